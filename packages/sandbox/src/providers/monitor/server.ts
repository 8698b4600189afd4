/**
 * An OpenTelemetry collector (OTLP/HTTP, JSON), in Application Insights' place: the apps' spans,
 * which the live view joins with the audit log by trace context. Plain HTTP on loopback, like a
 * local collector. It starts after the providers whose secrets it must keep out of the spans it
 * stores, and reads them as it stores.
 */
import { closing, host } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { SpanStore, collectorErrors, createCollector } from "./collector.ts";

export interface MonitorRunning extends RunningProvider {
  readonly spans: SpanStore;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT */
  readonly tracesUrl: string;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly monitor: MonitorRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<MonitorRunning> {
    const { running, directory } = context;
    const spans = new SpanStore({
      secrets: () => [
        ...running.web.api.keys(),
        ...directory.servicePrincipals.map((sp) => sp.secret),
        ...[...directory.apps.values()].map((app) => app.identityHeader),
        ...running["key-vault"]
          .secretsOf(context.names.keyVault)
          .list()
          .flatMap((secret) => secret.versions.map((version) => version.value)),
      ],
    });
    const service = await host(createCollector(spans), {
      name: "OpenTelemetry collector",
      errors: collectorErrors,
      port: context.ports.telemetry ?? 0,
      localOnly: true,
    });
    return {
      spans,
      tracesUrl: `http://127.0.0.1:${service.port}/v1/traces`,
      reload: () => spans.clear(),
      stop: closing(service),
    };
  },
};
