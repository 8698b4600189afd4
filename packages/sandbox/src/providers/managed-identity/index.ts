/**
 * Microsoft.ManagedIdentity: user-assigned identities and their federated
 * credentials, and the endpoints through which each host (App Service,
 * Container Apps, a VM's IMDS, AKS) hands an app the token of its identity.
 */
import type { ProviderManifest } from "../../provider.ts";

export const managedIdentity: ProviderManifest = {
  name: "managed-identity",
  title: "Managed identities",
  namespace: "Microsoft.ManagedIdentity",
  auditCategories: [
    {
      name: "ManagedIdentitySignInLogs",
      description: "a managed identity getting a token from its host (App Service, Container Apps, IMDS)",
    },
  ],
  az: () => import("./az.ts"),
  azGroups: ["identity"],
  server: () => import("./server.ts"),
};
