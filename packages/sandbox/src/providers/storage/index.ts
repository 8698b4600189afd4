/** Microsoft.Storage: storage accounts and Queue Storage, behind Entra tokens and Azure RBAC (no shared keys). */
import type { ProviderManifest } from "../../provider.ts";
import { QUEUE_ROLES, STORAGE_RESOURCE } from "../../queue/roles.ts";
import { BLOB_ROLES } from "./blobRoles.ts";

export const storage: ProviderManifest = {
  name: "storage",
  title: "Azure Queue Storage",
  namespace: "Microsoft.Storage",
  roles: [...QUEUE_ROLES, ...BLOB_ROLES],
  audiences: [STORAGE_RESOURCE],
  auditCategories: [
    { name: "StorageQueueLogs", description: "Queue Storage's data plane: every queue and message request" },
  ],
  denials: {
    category: "StorageQueueLogs",
    service: "Queue Storage",
    audience: STORAGE_RESOURCE,
    // Storage's log keeps the code only: its messages, in Azure's words.
    messages: {
      AuthorizationPermissionMismatch:
        "This request is not authorized to perform this operation using this permission.",
      InvalidAuthenticationInfo:
        "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
      NoAuthenticationInformation:
        "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
      KeyBasedAuthenticationNotPermitted: "Key based authentication is not permitted on this storage account.",
    },
    // The lessons grant on the queue, not on its messages.
    fixScope: (resource) => resource.replace(/\/messages$/i, ""),
    keyAuthentication: {
      reason:
        "The storage account does not allow shared key access (AllowSharedKeyAccess is false), so a connection string, an account key or a SAS is refused whatever it grants.",
      fix: "Sign in with Microsoft Entra ID: give QueueClient a DefaultAzureCredential and the queue's URL, and grant the identity a Storage Queue Data role.",
    },
  },
  az: () => import("../../az/storage.ts"),
  azGroups: ["storage"],
  server: () => import("./server.ts"),
};
