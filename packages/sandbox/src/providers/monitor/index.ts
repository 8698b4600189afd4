/**
 * Azure Monitor's part in the sandbox: an OpenTelemetry collector in
 * Application Insights' place, where the apps' traces go (the live view joins
 * them with the audit log).
 */
import type { ProviderManifest } from "../../provider.ts";

export const monitor: ProviderManifest = {
  name: "monitor",
  title: "Azure Monitor (OpenTelemetry)",
  namespace: "Microsoft.Insights",
  server: () => import("./server.ts"),
};
