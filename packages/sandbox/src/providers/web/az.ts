/**
 * `az webapp identity show` and `az webapp config appsettings list`: an App
 * Service app's managed identity (the id lessons grant roles to) and its
 * application settings, which is all an app of any language needs to run as
 * that app in the sandbox.
 */
import type { Command } from "commander";
import type { AdminAccount } from "../resources/admin.ts";
import type { Connection } from "../../az/connection.ts";
import { registerFunctionApp } from "./azFunctionApp.ts";
import { type Run, usage } from "../../az/shell.ts";

/** The Microsoft.Web api-version the commands call (what Azure CLI 2.6x sends). */
const WEB_API = "2024-11-01";

type WebApp = AdminAccount["webApps"][number];

const notFound = (name: string, group: string) =>
  Object.assign(
    new Error(`The Resource 'Microsoft.Web/sites/${name}' under resource group '${group}' was not found.`),
    { code: "ResourceNotFound" },
  );

async function findApp(connection: Connection, name: string, group: string): Promise<WebApp> {
  const details = await connection.account();
  const app = details.webApps.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (!app || details.resourceGroup.toLowerCase() !== group.toLowerCase()) throw notFound(name, group);
  return app;
}

const target = (command: Command) =>
  command
    .requiredOption("-n, --name <name>", "name of the web app")
    .requiredOption("-g, --resource-group <group>", "name of resource group");

export function registerWebApp(az: Command, run: Run): void {
  const webapp = az.command("webapp").description("Manage web apps.");

  target(
    webapp
      .command("identity")
      .description("Manage the web app's managed identity.")
      .command("show")
      .description("Display the managed service identity of a web app."),
  ).action((options: { name: string; resourceGroup: string }) =>
    run(async (connection) => {
      const app = await findApp(connection, options.name, options.resourceGroup);
      // An app without a managed identity has none to show: az prints nothing.
      if (!app.principalId && !app.userAssignedIdentities?.length) return undefined;
      const account = await connection.account();
      // User-assigned identities by resource id, each with its client and principal ids.
      const userAssigned = Object.fromEntries(
        (app.userAssignedIdentities ?? []).map((id) => {
          const identity = account.userAssignedIdentities?.find((candidate) => candidate.id === id);
          return [id, { clientId: identity?.clientId ?? "", principalId: identity?.principalId ?? "" }];
        }),
      );
      const kinds = [
        ...(app.principalId ? ["SystemAssigned"] : []),
        ...(Object.keys(userAssigned).length > 0 ? ["UserAssigned"] : []),
      ];
      return {
        principalId: app.principalId || null,
        tenantId: account.tenantId,
        type: kinds.join(", "),
        userAssignedIdentities: Object.keys(userAssigned).length > 0 ? userAssigned : null,
      };
    }),
  );

  const appsettings = webapp
    .command("config")
    .description("Configure a web app.")
    .command("appsettings")
    .description("Configure web app settings.");
  registerAppSettingsSet(appsettings, run);
  target(appsettings.command("list").description("Get the details of a web app's settings.")).action(
    (options: { name: string; resourceGroup: string }) =>
      run(async (connection) => {
        const app = await findApp(connection, options.name, options.resourceGroup);
        return connection.admin<{ name: string; slotSetting: boolean; value: string }[]>(
          "GET",
          `/webapps/${encodeURIComponent(app.name)}/appsettings`,
        );
      }),
  );
}

/** `az webapp config appsettings set`: the settings merged into the app's, through Resource Manager (which restarts it on Azure). */
function registerAppSettingsSet(appsettings: Command, run: Run): void {
  target(
    appsettings
      .command("set")
      .description("Set a web app's settings.")
      .requiredOption("--settings <settings...>", "space-separated app settings in a format of `<name>=<value>`"),
  ).action((options: { name: string; resourceGroup: string; settings: string[] }) =>
    run(async (connection) => {
      const account = await connection.account();
      const site = `/subscriptions/${account.subscription.id}/resourceGroups/${options.resourceGroup}/providers/Microsoft.Web/sites/${options.name}`;
      const current = await connection.arm<{ properties: Record<string, string> }>(
        "POST",
        `${site}/config/appsettings/list`,
        WEB_API,
      );
      const given = Object.fromEntries(
        options.settings.map((pair) => {
          const at = pair.indexOf("=");
          if (at < 1) throw usage(`usage error: --settings expects <name>=<value>, not '${pair}'`);
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
      );
      const updated = await connection.arm<{ properties: Record<string, string> }>(
        "PUT",
        `${site}/config/appsettings`,
        WEB_API,
        { properties: { ...current.properties, ...given } },
      );
      // az prints the settings, their values hidden, as a list.
      return Object.keys(updated.properties).map((name) => ({ name, slotSetting: false, value: null }));
    }),
  );
}

/** `az webapp` and `az functionapp`: App Service and Azure Functions. */
export function register(az: Command, run: Run): void {
  registerWebApp(az, run);
  registerFunctionApp(az, run);
}
