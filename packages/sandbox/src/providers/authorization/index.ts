/** Microsoft.Authorization: role definitions and assignments, and the RBAC check every other provider asks. */
import type { ProviderManifest } from "../../provider.ts";
import { GENERAL_ROLES } from "./roles.ts";

export const authorization: ProviderManifest = {
  name: "authorization",
  title: "Azure role-based access control",
  namespace: "Microsoft.Authorization",
  roles: GENERAL_ROLES,
  az: () => import("./az.ts"),
  azGroups: ["role"],
  server: () => import("./server.ts"),
};
