import type { RoleDefinition } from "../../roles.ts";

/** The resource (audience) of Key Vault's tokens in the sandbox; on Azure, https://vault.azure.net. */
export const VAULT_RESOURCE = "https://vault.localhost";

/** Key Vault's built-in data-plane roles (Azure RBAC for Key Vault), with Azure's ids and data actions. */
export const KEY_VAULT_ROLES: readonly RoleDefinition[] = [
  {
    name: "Key Vault Administrator",
    id: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    actions: [],
    dataActions: ["Microsoft.KeyVault/vaults/*"],
  },
  {
    name: "Key Vault Secrets Officer",
    id: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    actions: [],
    dataActions: ["Microsoft.KeyVault/vaults/secrets/*"],
  },
  {
    name: "Key Vault Secrets User",
    id: "4633458b-17de-408a-b874-0445c86b69e6",
    actions: [],
    dataActions: [
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ],
  },
  {
    name: "Key Vault Reader",
    id: "21090545-7ca7-4776-b22c-e363652d74d2",
    actions: [],
    dataActions: ["Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
  },
];
