/** Microsoft.KeyVault: vaults, and their secrets' data plane behind Entra tokens and Azure RBAC. */
import type { ProviderManifest } from "../../provider.ts";
import { KEY_VAULT_ROLES, VAULT_RESOURCE } from "./roles.ts";

export const keyVault: ProviderManifest = {
  name: "key-vault",
  title: "Azure Key Vault",
  namespace: "Microsoft.KeyVault",
  roles: KEY_VAULT_ROLES,
  audiences: [VAULT_RESOURCE],
  auditCategories: [{ name: "AuditEvent", description: "Key Vault's data plane: every secret read, write and denial" }],
  denials: {
    category: "AuditEvent",
    service: "Key Vault",
    audience: VAULT_RESOURCE,
    // The lessons grant on the vault, not on one secret.
    fixScope: (resource) => resource.replace(/\/secrets\/[^/]+$/i, ""),
  },
  az: () => import("./az.ts"),
  azGroups: ["keyvault"],
  server: () => import("./server.ts"),
};
