/** Microsoft Entra ID: the directory (users, app registrations, service principals) and the tokens it signs. */
import type { ProviderManifest } from "../../provider.ts";

export const entra: ProviderManifest = {
  name: "entra",
  title: "Microsoft Entra ID",
  auditCategories: [
    { name: "SignInLogs", description: "a user's sign-in (the developer's az login)" },
    {
      name: "ServicePrincipalSignInLogs",
      description: "an app signing in with its own credential (a client secret, a federated token)",
    },
  ],
  az: () => import("./az.ts"),
  azGroups: ["account", "login", "logout", "ad"],
  server: () => import("./server.ts"),
};
