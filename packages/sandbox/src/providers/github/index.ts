/**
 * GitHub Actions' OIDC provider: not an Azure resource provider, but the other
 * side of workload identity federation. A workflow's job asks it for a token
 * that says which repository, branch, event and environment it runs for;
 * Entra ID exchanges that token for its own when a federated identity
 * credential trusts it. The pipeline runner (packages/pipeline) plays the
 * runner that asks.
 */
import type { ProviderManifest } from "../../provider.ts";

export const github: ProviderManifest = {
  name: "github",
  title: "GitHub Actions' OIDC provider",
  server: () => import("./server.ts"),
};
