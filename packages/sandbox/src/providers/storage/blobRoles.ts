import type { RoleDefinition } from "../../roles.ts";

/**
 * Blob Storage's owner role: the template gives it to the third party's function app on its own
 * storage account, where Azure Functions keeps its keys and state (an identity-based
 * AzureWebJobsStorage). The sandbox serves no blobs; the role is assignable as on Azure.
 */
export const BLOB_ROLES: readonly RoleDefinition[] = [
  {
    name: "Storage Blob Data Owner",
    id: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    description:
      "Allows for full access to Azure Storage blob containers and data, including assigning POSIX access control.",
    actions: [
      "Microsoft.Storage/storageAccounts/blobServices/containers/*",
      "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
    ],
    dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
  },
];
