/**
 * `az webapp show|list`, `az webapp identity show` and `az webapp config
 * appsettings list|set`: an App Service app as Resource Manager serves it, its
 * managed identity (the id lessons grant roles to) and its application
 * settings:
 *
 *   GET  {group}/providers/Microsoft.Web/sites/{name}
 *   POST {site}/config/appsettings/list      (the values: an action, which Readers do not have)
 *   PUT  {site}/config/appsettings
 */
import type { Command } from "commander";
import { asModel, SITE_MODEL } from "../../az/models.ts";
import { groupScope, type Run, usage } from "../../az/shell.ts";
import { registerWebAppDeploy } from "./azDeploy.ts";
import { registerFunctionApp } from "./azFunctionApp.ts";
import { siteId, WEB_API } from "./azSite.ts";

interface Site {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly kind?: string;
  readonly location?: string;
  readonly tags?: Record<string, string>;
  readonly identity?: { readonly type?: string } & Record<string, unknown>;
  readonly properties?: Record<string, unknown>;
}

/**
 * A site as az prints the SDK's Site model: its properties flattened, the plan's id named
 * `appServicePlanId` (az renames `serverFarmId`).
 */
function siteJson(site: Site): Record<string, unknown> & { name?: unknown; resourceGroup?: string } {
  const { serverFarmId, ...properties } = site.properties ?? {};
  return asModel(SITE_MODEL, {
    ...properties,
    appServicePlanId: serverFarmId,
    id: site.id,
    identity: site.identity,
    kind: site.kind,
    location: site.location,
    name: site.name,
    tags: site.tags,
    type: site.type,
  });
}

const target = (command: Command) =>
  command
    .requiredOption("-n, --name <name>", "name of the web app")
    .requiredOption("-g, --resource-group <group>", "name of resource group");

export function registerWebApp(az: Command, run: Run): void {
  const webapp = az.command("webapp").description("Manage web apps.");
  registerWebAppDeploy(webapp, run);

  target(webapp.command("show").description("Get the details of a web app.")).action(
    (options: { name: string; resourceGroup: string }) =>
      run(async (connection) => {
        // As az does: the site, then its configuration (`config/web`); the sandbox publishes over no FTP.
        const id = await siteId(connection, options.resourceGroup, options.name);
        const site = await connection.arm<Site>("GET", id, WEB_API);
        const config = await connection.arm<{ properties?: Record<string, unknown> }>(
          "GET",
          `${id}/config/web`,
          WEB_API,
        );
        return { ...siteJson(site), ftpPublishingUrl: null, siteConfig: config.properties ?? null };
      }),
  );

  webapp
    .command("list")
    .description("List web apps (function apps are listed by az functionapp list).")
    .option("-g, --resource-group <group>", "name of resource group; the whole subscription when not given")
    .action((options: { resourceGroup?: string }) =>
      run(
        async (connection) => {
          const subscriptionId = await connection.subscriptionId();
          const scope = options.resourceGroup
            ? groupScope(subscriptionId, options.resourceGroup)
            : `/subscriptions/${subscriptionId}`;
          const { value } = await connection.arm<{ value: Site[] }>(
            "GET",
            `${scope}/providers/Microsoft.Web/sites`,
            WEB_API,
          );
          // As az does: a function app is a site too, but not a web app.
          return value.filter((site) => !(site.kind ?? "").toLowerCase().includes("function")).map(siteJson);
        },
        {
          table: (rows) =>
            (rows as ReturnType<typeof siteJson>[]).map((row) => ({
              Name: row.name,
              Location: row["location"],
              State: row["state"],
              ResourceGroup: row.resourceGroup,
              DefaultHostName: row["defaultHostName"],
              AppServicePlan: String(row["appServicePlanId"] ?? "")
                .split("/")
                .at(-1),
            })),
        },
      ),
    );

  target(
    webapp
      .command("identity")
      .description("Manage the web app's managed identity.")
      .command("show")
      .description("Display the managed service identity of a web app."),
  ).action((options: { name: string; resourceGroup: string }) =>
    run(async (connection) => {
      const site = await connection.arm<Site>(
        "GET",
        await siteId(connection, options.resourceGroup, options.name),
        WEB_API,
      );
      // An app without a managed identity has none to show: az prints nothing.
      if (!site.identity || (site.identity.type ?? "None") === "None") return undefined;
      return {
        principalId: site.identity["principalId"] ?? null,
        tenantId: site.identity["tenantId"] ?? null,
        type: site.identity.type,
        userAssignedIdentities: site.identity["userAssignedIdentities"] ?? null,
      };
    }),
  );

  const appsettings = webapp
    .command("config")
    .description("Configure a web app.")
    .command("appsettings")
    .description("Configure web app settings.");
  target(appsettings.command("list").description("Get the details of a web app's settings.")).action(
    (options: { name: string; resourceGroup: string }) =>
      run(async (connection) => {
        const site = await siteId(connection, options.resourceGroup, options.name);
        const settings = await connection.arm<{ properties: Record<string, string> }>(
          "POST",
          `${site}/config/appsettings/list`,
          WEB_API,
        );
        return Object.entries(settings.properties).map(([name, value]) => ({ name, slotSetting: false, value }));
      }),
  );
  registerAppSettingsSet(appsettings, run);
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
      const site = await siteId(connection, options.resourceGroup, options.name);
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
