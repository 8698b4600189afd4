/**
 * `az group show|list|create|delete|exists` and `az resource show|list`:
 * resource groups, and any resource by its id, through Resource Manager:
 *
 *   GET|PUT|DELETE|HEAD /subscriptions/{id}/resourcegroups/{name}
 *   GET  {id}                                   (az resource show --ids)
 *   GET  {group or subscription}/resources?$filter=resourceType eq '…' and name eq '…'
 */
import type { Command } from "commander";
import type { Connection } from "../../az/connection.ts";
import { asModel, IDENTITY_MODEL, SKU_MODEL } from "../../az/models.ts";
import { groupScope, type Run, usage } from "../../az/shell.ts";

/** Microsoft.Resources' api-version the commands send (what Azure CLI 2.5x and later send). */
const API = "2022-09-01";

interface Resource {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly location?: string;
  readonly kind?: string;
  readonly managedBy?: string;
  readonly tags?: Record<string, string>;
  readonly sku?: Record<string, unknown>;
  readonly identity?: Record<string, unknown>;
  readonly properties?: Record<string, unknown>;
}

/** A group as az prints the SDK's ResourceGroup. */
const groupJson = (group: Resource) => ({
  id: group.id,
  location: group.location ?? null,
  managedBy: group.managedBy ?? null,
  name: group.name,
  properties: group.properties ?? null,
  tags: group.tags ?? null,
  type: group.type,
});

/** A resource as az prints the SDK's GenericResource (show) or GenericResourceExpanded (list). */
const resourceJson = (resource: Resource, listed = false) => ({
  ...(listed ? { changedTime: null, createdTime: null, provisioningState: null } : {}),
  extendedLocation: null,
  id: resource.id,
  identity: resource.identity ? asModel(IDENTITY_MODEL, resource.identity) : null,
  kind: resource.kind ?? null,
  location: resource.location ?? null,
  managedBy: resource.managedBy ?? null,
  name: resource.name,
  plan: null,
  properties: resource.properties ?? null,
  sku: resource.sku ? asModel(SKU_MODEL, resource.sku) : null,
  tags: resource.tags ?? null,
  type: resource.type,
});

/** `--tags a=b c`: az's tags, each `key[=value]`. */
const tagsOf = (pairs: readonly string[] | undefined) =>
  pairs
    ? Object.fromEntries(pairs.map((pair) => [pair.split("=")[0] ?? "", pair.split("=").slice(1).join("=")]))
    : undefined;

interface Named {
  readonly name?: string;
  readonly resourceGroup?: string;
}

/** The group named by --name or --resource-group, in the subscription az is signed in to. */
const groupPath = async (connection: Connection, options: Named) => {
  const name = options.name ?? options.resourceGroup;
  if (!name) throw usage("the following arguments are required: --name/-n/--resource-group/-g");
  return groupScope(await connection.subscriptionId(), name);
};

export function registerGroup(az: Command, run: Run): void {
  const group = az.command("group").description("Manage resource groups and template deployments.");
  // az takes the group's name as --name/-n or --resource-group/-g.
  const named = (command: Command) =>
    command
      .option("-n, --name <name>", "name of resource group")
      .option("-g, --resource-group <name>", "the same: name of resource group");

  named(group.command("show").description("Gets a resource group.")).action((options: Named) =>
    run(async (connection) =>
      groupJson(await connection.arm<Resource>("GET", await groupPath(connection, options), API)),
    ),
  );

  group
    .command("list")
    .description("List resource groups.")
    .action(() =>
      run(
        async (connection) => {
          const { value } = await connection.arm<{ value: Resource[] }>(
            "GET",
            `/subscriptions/${await connection.subscriptionId()}/resourcegroups`,
            API,
          );
          return value.map(groupJson);
        },
        {
          table: (rows) =>
            (rows as ReturnType<typeof groupJson>[]).map((row) => ({
              Name: row.name,
              Location: row.location,
              Status: (row.properties as { provisioningState?: string } | null)?.provisioningState ?? "",
            })),
        },
      ),
    );

  named(group.command("create").description("Create a new resource group."))
    .requiredOption("-l, --location <location>", "location, e.g. westeurope")
    .option("--tags <tags...>", "space-separated tags: key[=value]")
    .option("--managed-by <id>", "the id of the resource that manages this group")
    .action((options: Named & { location: string; tags?: string[]; managedBy?: string }) =>
      run(async (connection) => {
        const tags = tagsOf(options.tags);
        const created = await connection.arm<Resource>("PUT", await groupPath(connection, options), API, {
          location: options.location,
          ...(tags ? { tags } : {}),
          ...(options.managedBy ? { managedBy: options.managedBy } : {}),
        });
        return groupJson(created);
      }),
    );

  named(group.command("delete").description("Delete a resource group, and every resource in it."))
    .option("-y, --yes", "do not prompt for confirmation")
    .option("--no-wait", "do not wait for the long-running operation to finish")
    .action((options: Named & { yes?: boolean }) =>
      run(async (connection, shell) => {
        await shell.confirm(options.yes);
        await connection.arm("DELETE", await groupPath(connection, options), API);
        return undefined;
      }),
    );

  named(group.command("exists").description("Check if a resource group exists.")).action((options: Named) =>
    run(async (connection) => {
      const answer = await connection.armRequest("HEAD", await groupPath(connection, options), API);
      if (answer.status === 204) return true;
      if (answer.status === 404) return false;
      return connection.arm("GET", await groupPath(connection, options), API);
    }),
  );
}

interface ResourceOptions {
  readonly ids?: string[];
  readonly resourceGroup?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly resourceType?: string;
  readonly parent?: string;
  readonly apiVersion?: string;
}

/**
 * A resource's id from az's parts: `--resource-type Microsoft.Web/sites` (or `--namespace
 * Microsoft.Web --resource-type sites`), `--parent sites/app` for a child, `-g` and `-n`.
 */
async function idOf(connection: Connection, options: ResourceOptions): Promise<string> {
  if (!options.resourceGroup || !options.name || !options.resourceType)
    throw usage("usage error: --ids IDs | --resource-group NAME --name NAME --resource-type TYPE");
  const [namespace, ...types] = options.namespace
    ? [options.namespace, ...options.resourceType.split("/")]
    : options.resourceType.split("/");
  if (!namespace || types.length === 0)
    throw usage(`--resource-type '${options.resourceType}': give it as <namespace>/<type>, or with --namespace`);
  const parent = options.parent ? `/${options.parent.replace(/^\/+|\/+$/g, "")}` : "";
  return `${groupScope(await connection.subscriptionId(), options.resourceGroup)}/providers/${namespace}${parent}/${types.join("/")}/${options.name}`;
}

export function registerResource(az: Command, run: Run): void {
  const resource = az.command("resource").description("Manage Azure resources.");
  // The sandbox's providers take any api-version: az's own is sent unless one is given.
  const apiVersionOf = (options: ResourceOptions) => options.apiVersion ?? API;

  resource
    .command("show")
    .description("Get the details of a resource.")
    .option("--ids <ids...>", "one or more resource ids")
    .option("-g, --resource-group <group>", "name of resource group")
    .option("-n, --name <name>", "the resource name")
    .option("--namespace <namespace>", "provider namespace, e.g. Microsoft.Web")
    .option("--resource-type <type>", "the resource type, e.g. Microsoft.Web/sites")
    .option("--parent <path>", "the parent path, e.g. sites/keyless-step-03")
    .option("--api-version <version>", "the api-version of the resource")
    .action((options: ResourceOptions) =>
      run(async (connection) => {
        const show = async (id: string) =>
          resourceJson(await connection.arm<Resource>("GET", id, apiVersionOf(options)));
        if (options.ids?.length) {
          const shown = await Promise.all(options.ids.map(show));
          return shown.length === 1 ? shown[0] : shown;
        }
        return show(await idOf(connection, options));
      }),
    );

  resource
    .command("list")
    .description("List resources.")
    .option("-g, --resource-group <group>", "name of resource group; the whole subscription when not given")
    .option("-n, --name <name>", "only resources of this name")
    .option("--namespace <namespace>", "provider namespace, e.g. Microsoft.Web")
    .option("--resource-type <type>", "only resources of this type, e.g. Microsoft.Web/sites")
    .action((options: ResourceOptions) =>
      run(
        async (connection) => {
          const subscriptionId = await connection.subscriptionId();
          const scope = options.resourceGroup
            ? groupScope(subscriptionId, options.resourceGroup)
            : `/subscriptions/${subscriptionId}`;
          const type = options.resourceType
            ? options.namespace
              ? `${options.namespace}/${options.resourceType}`
              : options.resourceType
            : undefined;
          const quote = (value: string) => value.replaceAll("'", "''");
          const filter = [
            ...(type ? [`resourceType eq '${quote(type)}'`] : []),
            ...(options.name ? [`name eq '${quote(options.name)}'`] : []),
          ].join(" and ");
          const { value } = await connection.arm<{ value: Resource[] }>(
            "GET",
            `${scope}/resources${filter ? `?$filter=${encodeURIComponent(filter)}` : ""}`,
            API,
          );
          return value.map((found) => resourceJson(found, true));
        },
        {
          table: (rows) =>
            (rows as (ReturnType<typeof resourceJson> & { resourceGroup?: string })[]).map((row) => ({
              Name: row.name,
              ResourceGroup: row.resourceGroup,
              Location: row.location,
              Type: row.type,
            })),
        },
      ),
    );
}
