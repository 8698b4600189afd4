import type { RoleDefinition } from "../../roles.ts";

/**
 * Azure's general-purpose built-in roles (Microsoft.Authorization's own), with
 * their ids and actions as `az role definition list` shows them. They act on
 * the control plane: none of them holds a data action, which is why an Owner
 * of a vault still needs "Key Vault Secrets User" to read a secret.
 */
export const GENERAL_ROLES: readonly RoleDefinition[] = [
  {
    name: "Owner",
    id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    actions: ["*"],
    dataActions: [],
  },
  {
    name: "Contributor",
    id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    description:
      "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
    actions: ["*"],
    notActions: [
      "Microsoft.Authorization/*/Delete",
      "Microsoft.Authorization/*/Write",
      "Microsoft.Authorization/elevateAccess/Action",
    ],
    dataActions: [],
  },
  {
    name: "Reader",
    id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    description: "View all resources, but does not allow you to make any changes.",
    actions: ["*/read"],
    dataActions: [],
  },
  {
    name: "User Access Administrator",
    id: "18d7d88d-d35e-4fb5-a5c3-7773c4a72d9d",
    description: "Lets you manage user access to Azure resources.",
    actions: ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
    dataActions: [],
  },
  {
    name: "Role Based Access Control Administrator",
    id: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    description:
      "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
    actions: [
      "Microsoft.Authorization/roleAssignments/write",
      "Microsoft.Authorization/roleAssignments/delete",
      "*/read",
      "Microsoft.Support/*",
    ],
    dataActions: [],
  },
];
