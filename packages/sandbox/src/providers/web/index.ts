/** Microsoft.Web: App Service plans, web apps and function apps (the third party), their settings and keys. */
import type { ProviderManifest } from "../../provider.ts";
import { WEB_ROLES } from "./roles.ts";

export const web: ProviderManifest = {
  name: "web",
  title: "Azure App Service",
  namespace: "Microsoft.Web",
  roles: WEB_ROLES,
  az: () => import("./az.ts"),
  azGroups: ["webapp", "functionapp"],
  server: () => import("./server.ts"),
};
