/**
 * Microsoft.Resources: Resource Manager itself (subscriptions, resource
 * groups, deployments of templates) and the Activity log of every change made
 * through it.
 */
import type { ProviderManifest } from "../../provider.ts";
import { MANAGEMENT_AUDIENCES } from "./audiences.ts";

export const resources: ProviderManifest = {
  name: "resources",
  title: "Azure Resource Manager",
  namespace: "Microsoft.Resources",
  audiences: MANAGEMENT_AUDIENCES,
  auditCategories: [
    {
      name: "AzureActivity",
      description: "the Activity log: changes to resources (role assignments, keys, deployments) and their health",
    },
  ],
  az: () => import("./az.ts"),
  azGroups: ["group", "resource", "deployment"],
  server: () => import("./server.ts"),
};
