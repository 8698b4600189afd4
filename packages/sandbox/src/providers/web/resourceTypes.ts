/**
 * Microsoft.Web's control plane: App Service plans, sites (web apps and
 * function apps) with their managed identities, their application settings,
 * their publishing policies, and a function app's host keys (`listKeys`, what
 * a template reads the third party's key with).
 */
import { randomBytes } from "node:crypto";
import { parseResourceId, type ResourceId } from "../../arm/resourceId.ts";
import { envelope, type ResourceStore, storedType } from "../../arm/resourceStore.ts";
import { type ArmResource, ArmFailure, type ResourceBody, type ResourceTypeHandler } from "../../arm/resourceType.ts";
import type { Directory } from "../entra/directory.ts";
import type { FunctionKeys } from "./functionKeys.ts";

export const SITE_TYPE = "Microsoft.Web/sites";
export const PLAN_TYPE = "Microsoft.Web/serverfarms";
export const SETTINGS_TYPE = "Microsoft.Web/sites/config";
const POLICY_TYPE = "Microsoft.Web/sites/basicPublishingCredentialsPolicies";
const HOST_TYPE = "Microsoft.Web/sites/host";
const USER_ASSIGNED_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities";

/** Azure's rule for site names: 2-60 letters, digits and hyphens, not starting or ending with a hyphen. */
const SITE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,58}[a-zA-Z0-9])?$/;

export interface WebTypesOptions {
  readonly resources: ResourceStore;
  readonly directory: Directory;
  readonly tenantId: string;
  /** The host name a site answers on in the sandbox, with its port: `<name>.azurewebsites.localhost:<port>`. */
  readonly hostNameOf: (site: string) => string;
  /** The function app the sandbox's third party runs as, and its keys. */
  readonly thirdParty: { readonly name: string; readonly keys: FunctionKeys; readonly issued: readonly string[] };
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** `siteConfig.appSettings` (`[{name, value}]`) as a map, as `config/appsettings` holds them. */
const settingsFromArray = (value: unknown): Record<string, string> =>
  Object.fromEntries(
    (Array.isArray(value) ? value : [])
      .map(record)
      .filter((entry) => typeof entry["name"] === "string")
      .map((entry) => [String(entry["name"]), String(entry["value"] ?? "")]),
  );

export function webTypes(options: WebTypesOptions): ResourceTypeHandler[] {
  const { resources, directory } = options;
  const settingsId = (site: string) => `${site}/config/appsettings`;

  const plans = storedType(resources, {
    type: PLAN_TYPE,
    accept: ({ id, body }) => {
      if (!body.location) throw new ArmFailure(400, "LocationRequired", "The location property is required.");
      const properties = record(body.properties);
      return envelope(id, body, { ...properties, status: "Ready", provisioningState: "Succeeded" });
    },
  });

  /** The site's identity as ARM shows it, its service principals made (or removed) in the directory. */
  const identityOf = (id: ResourceId, body: ResourceBody): Record<string, unknown> | undefined => {
    const identity = record(body.identity);
    const type = String(identity["type"] ?? "None");
    const kinds = type.split(",").map((kind) => kind.trim().toLowerCase());
    const userAssignedIds = Object.keys(record(identity["userAssignedIdentities"]));
    const attached = userAssignedIds.map((userAssignedId) => {
      const found = resources.get(userAssignedId);
      if (!found || found.type.toLowerCase() !== USER_ASSIGNED_TYPE.toLowerCase())
        throw new ArmFailure(
          400,
          "InvalidUserAssignedIdentity",
          `The user-assigned identity '${userAssignedId.slice(0, 256)}' does not exist.`,
        );
      return found;
    });
    if (!kinds.includes("systemassigned")) {
      directory.removeManagedIdentity(id.id);
      // No identity: none to show, or `{type: "None"}` when the PUT said so (a template redeployed compares the same).
      if (!kinds.includes("userassigned")) return body.identity === undefined ? undefined : { type: "None" };
    }
    const system = kinds.includes("systemassigned")
      ? directory.putManagedIdentity({
          resourceId: id.id,
          kind: "SystemAssigned",
          displayName: id.name,
          attached: attached.map((identity) => identity.name),
        })
      : undefined;
    return {
      type,
      ...(system ? { principalId: system.objectId, tenantId: options.tenantId } : {}),
      ...(attached.length > 0
        ? {
            userAssignedIdentities: Object.fromEntries(
              attached.map((identity) => [
                identity.id,
                {
                  principalId: record(identity.properties)["principalId"],
                  clientId: record(identity.properties)["clientId"],
                },
              ]),
            ),
          }
        : {}),
    };
  };

  const sites = storedType(resources, {
    type: SITE_TYPE,
    accept: ({ id, body }, previous) => {
      if (!SITE_NAME.test(id.name))
        throw new ArmFailure(400, "InvalidSiteName", `The site name '${id.name.slice(0, 64)}' is not valid.`);
      if (!body.location) throw new ArmFailure(400, "LocationRequired", "The location property is required.");
      const properties = record(body.properties);
      const plan = String(properties["serverFarmId"] ?? "");
      if (plan && !resources.get(plan))
        throw new ArmFailure(
          404,
          "ServerFarmNotFound",
          `The server farm '${plan.split("/").at(-1) ?? ""}' was not found.`,
        );
      const siteConfig = record(properties["siteConfig"]);
      // Settings given in siteConfig are the app's settings, as `config/appsettings` holds them.
      if (Array.isArray(siteConfig["appSettings"])) {
        const settings = settingsFromArray(siteConfig["appSettings"]);
        const settingsResource = parseResourceId(settingsId(id.id));
        if (settingsResource) resources.put(envelope(settingsResource, {}, settings), id.id);
      }
      const identity = identityOf(id, body);
      const isFunctionApp = (body.kind ?? "").toLowerCase().includes("functionapp");
      // The third party's function app starts with the key it issued us (step 01 has it in its code).
      if (isFunctionApp && !previous && id.name.toLowerCase() === options.thirdParty.name.toLowerCase()) {
        options.thirdParty.keys.provision(
          Object.fromEntries(
            options.thirdParty.issued.map((key, index) => [index === 0 ? "default" : `key${index + 1}`, key]),
          ),
        );
      }
      // Any other new function app: its host makes a `default` function key when it first starts, as Azure
      // Functions' does (random, 56 characters of base64), kept with the app and read back by listKeys only.
      if (isFunctionApp && !previous && id.name.toLowerCase() !== options.thirdParty.name.toLowerCase()) {
        const hostId = parseResourceId(`${id.id}/host/default`);
        const keys = { functionKeys: { default: randomBytes(40).toString("base64") } };
        if (hostId) resources.put(envelope(hostId, {}, keys), id.id);
      }
      // The names of settings given inline are kept (their values live in config/appsettings): what-if's view below.
      const { appSettings: inline, ...kept } = siteConfig;
      const inlineNames = Array.isArray(inline) ? Object.keys(settingsFromArray(inline)).map((name) => ({ name })) : [];
      return envelope(
        id,
        { ...body, ...(identity ? { identity } : { identity: undefined }) },
        {
          ...properties,
          siteConfig: { ...kept, ...(inlineNames.length > 0 ? { appSettings: inlineNames } : {}) },
          state: "Running",
          enabled: true,
          httpsOnly: properties["httpsOnly"] ?? false,
          provisioningState: "Succeeded",
        },
      );
    },
    // Its host name carries the port the sandbox serves it on, which a restart may change.
    // Its settings are not shown, as on Azure: reading them is `config/appsettings/list`, an action Readers lack.
    show: (site) => {
      const hostName = options.hostNameOf(site.name);
      const { appSettings: _names, ...siteConfig } = record(site.properties?.["siteConfig"]);
      return {
        ...site,
        properties: {
          ...site.properties,
          siteConfig,
          defaultHostName: hostName,
          hostNames: [hostName],
          enabledHostNames: [hostName],
        },
      };
    },
    onDelete: (site) => {
      directory.removeManagedIdentity(site.id);
      resources.delete(settingsId(site.id));
    },
  });

  /** A site as a template deploys it: the settings it was given inline, with their values now (what-if compares this). */
  const sitesAsDeployed: ResourceTypeHandler = {
    ...sites,
    asDeployed: (site) => {
      const names = record(record(resources.get(site.id)?.properties)["siteConfig"])["appSettings"];
      if (!Array.isArray(names)) return site;
      const values = settingsOf(resources, site.id);
      const appSettings = names
        .map((entry) => String(record(entry)["name"]))
        .map((name) => ({ name, value: values[name] ?? "" }));
      const siteConfig = { ...record(site.properties?.["siteConfig"]), appSettings };
      return { ...site, properties: { ...site.properties, siteConfig } };
    },
  };

  const siteOf = (id: ResourceId) => {
    const site = resources.get(id.parent ?? "");
    if (!site)
      throw new ArmFailure(404, "ResourceNotFound", `The Resource '${SITE_TYPE}/${id.names[0] ?? ""}' was not found.`);
    return site;
  };

  /**
   * A settings section as a read shows it: the names of the settings, not their values (one holds step 02's client
   * secret). Reading needs `Microsoft.Web/sites/config/read`, which a Reader has; the values are the `list` action's,
   * which it has not, as on Azure.
   */
  const withoutValues = (section: ArmResource): ArmResource =>
    section.name.toLowerCase() === "appsettings"
      ? {
          ...section,
          properties: Object.fromEntries(Object.keys(record(section.properties)).map((name) => [name, null])),
        }
      : section;

  /** `config/appsettings` (and the other config sections, kept as given). */
  const config: ResourceTypeHandler = {
    type: SETTINGS_TYPE,
    put({ id, body }) {
      siteOf(id);
      const properties = record(body.properties);
      if (id.name.toLowerCase() === "appsettings") {
        const invalid = Object.entries(properties).find(([, value]) => typeof value !== "string");
        if (invalid)
          throw new ArmFailure(
            400,
            "BadRequest",
            `The application setting '${invalid[0].slice(0, 64)}' must be a string.`,
          );
      }
      const kept = envelope(id, {}, properties);
      resources.put(kept, id.parent ?? "");
      return kept;
    },
    // `config/web` is the site's configuration, as its `siteConfig` holds it (what `az webapp show` reads), settings aside.
    get: (id) => {
      const stored = resources.get(id.id);
      if (stored) return withoutValues(stored);
      if (id.name.toLowerCase() !== "web") return undefined;
      const site = resources.get(id.parent ?? "");
      if (!site) return undefined;
      const { appSettings: _names, ...siteConfig } = record(site.properties?.["siteConfig"]);
      return envelope(id, {}, siteConfig);
    },
    list: (parent) => resources.children(parent, SETTINGS_TYPE).map(withoutValues),
    // A what-if compares a template's settings with the values, which a GET leaves out.
    asDeployed: (resource) => resources.get(resource.id) ?? resource,
    actions: {
      // `POST …/config/appsettings/list`: the settings, values and all (az webapp config appsettings list).
      list: ({ id }) => {
        siteOf(id);
        return resources.get(id.id) ?? envelope(id, {}, {});
      },
    },
  };

  const policies = storedType(resources, {
    type: POLICY_TYPE,
    accept: ({ id, body }) => {
      siteOf(id);
      if (!["ftp", "scm"].includes(id.name.toLowerCase()))
        throw new ArmFailure(400, "BadRequest", "A publishing credentials policy is named ftp or scm.");
      const allow = record(body.properties)["allow"];
      if (typeof allow !== "boolean")
        throw new ArmFailure(400, "BadRequest", "The property 'allow' must be true or false.");
      return envelope(id, body, { allow });
    },
  });

  /** A function app's host (`…/sites/<app>/host/default`): its keys, which `listKeys` reads. */
  const host: ResourceTypeHandler = {
    type: HOST_TYPE,
    put: () => {
      throw new ArmFailure(405, "MethodNotAllowed", "A function app's host is not deployed: it comes with the app.");
    },
    get: (id) => {
      const site = resources.get(id.parent ?? "");
      return site && id.name === "default" ? { id: id.id, name: "default", type: HOST_TYPE } : undefined;
    },
    list: () => [],
    actions: {
      listKeys: ({ id }) => {
        const site = siteOf(id);
        if (!(site.kind ?? "").toLowerCase().includes("functionapp"))
          throw new ArmFailure(400, "BadRequest", `${site.name} is not a function app: it has no host keys.`);
        const isThirdParty = site.name.toLowerCase() === options.thirdParty.name.toLowerCase();
        const kept = record(record(resources.get(`${site.id}/host/default`)?.properties)["functionKeys"]);
        return { masterKey: null, functionKeys: isThirdParty ? options.thirdParty.keys.list() : kept, systemKeys: {} };
      },
    },
  };
  return [plans, sitesAsDeployed, config, policies, host];
}

/** A site's application settings, as `config/appsettings` holds them. */
export function settingsOf(resources: ResourceStore, siteId: string): Record<string, string> {
  return record(resources.get(`${siteId}/config/appsettings`)?.properties) as Record<string, string>;
}

/** Every site, as Resource Manager holds it. */
export const sitesIn = (resources: ResourceStore): ArmResource[] => resources.ofType(SITE_TYPE);
