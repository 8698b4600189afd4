import type { RoleDefinition } from "../../roles.ts";

/** App Service's built-in role: manage web apps (deploy, configure), but not who has access to them. */
export const WEB_ROLES: readonly RoleDefinition[] = [
  {
    name: "Website Contributor",
    id: "de139f84-1756-47ae-9be6-808fbbe84772",
    description: "Lets you manage websites (not web plans), but not access to them.",
    actions: [
      "Microsoft.Authorization/*/read",
      "Microsoft.Insights/alertRules/*",
      "Microsoft.Insights/components/*",
      "Microsoft.ResourceHealth/availabilityStatuses/read",
      "Microsoft.Resources/deployments/*",
      "Microsoft.Resources/subscriptions/resourceGroups/read",
      "Microsoft.Support/*",
      "Microsoft.Web/certificates/*",
      "Microsoft.Web/listSitesAssignedToHostName/read",
      "Microsoft.Web/serverFarms/join/action",
      "Microsoft.Web/serverFarms/read",
      "Microsoft.Web/sites/*",
    ],
    dataActions: [],
  },
];
