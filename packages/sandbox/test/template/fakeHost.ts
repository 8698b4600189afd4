/**
 * An in-memory host for the engine's tests: a few of Azure's resource types,
 * with the runtime properties their providers add (a system-assigned
 * identity's principalId, a vault's vaultUri, a site's defaultHostName), a
 * write-only secret value, and `listKeys` on a function app's host.
 */
import { createHash } from "node:crypto";
import {
  type DeploymentScope,
  HostError,
  type Json,
  type JsonObject,
  type ResourcePut,
  type StoredResource,
  type TemplateHost,
} from "../../src/arm/template/index.ts";

export const SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa";
export const TENANT = "00000000-0000-0000-0000-0000000000bb";
export const GROUP = "keyless-rg";
export const GROUP_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP}`;
export const FUNCTION_KEY = "fk-7c1f0e9a-secret-function-key-42";

export const scope = (deploymentName = "main"): DeploymentScope => ({
  tenantId: TENANT,
  subscriptionId: SUBSCRIPTION,
  subscriptionDisplayName: "Keyless sandbox",
  resourceGroup: { name: GROUP, location: "westeurope" },
  deploymentName,
  environment: { name: "KeylessSandbox", suffixes: { keyvaultDns: ".vault.localhost", storage: "localhost" } },
});

const TYPES = new Set(
  [
    "Microsoft.KeyVault/vaults",
    "Microsoft.KeyVault/vaults/secrets",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Storage/storageAccounts/queueServices",
    "Microsoft.Storage/storageAccounts/queueServices/queues",
    "Microsoft.Web/serverfarms",
    "Microsoft.Web/sites",
    "Microsoft.Web/sites/config",
    "Microsoft.Authorization/roleAssignments",
  ].map((type) => type.toLowerCase()),
);

const uuidOf = (text: string) => {
  const hex = createHash("sha256").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

export interface FakeHost extends TemplateHost {
  readonly resources: Map<string, StoredResource>;
  /** Every PUT, in order. */
  readonly puts: ResourcePut[];
  /** Every call the engine made, `get`/`put`/`invoke`/`list`. */
  readonly calls: string[];
  /** Ids whose PUT fails with the error given. */
  readonly failures: Map<string, HostError>;
  /** The values of secrets, which a GET never answers (as on Azure). */
  readonly secretValues: Map<string, Json>;
}

export function createFakeHost(deploymentName = "main"): FakeHost {
  const resources = new Map<string, StoredResource>();
  const secretValues = new Map<string, Json>();
  const puts: ResourcePut[] = [];
  const calls: string[] = [];
  const failures = new Map<string, HostError>();
  const key = (id: string) => id.toLowerCase();
  return {
    scope: scope(deploymentName),
    resources,
    puts,
    calls,
    failures,
    secretValues,
    supports(type) {
      return TYPES.has(type.toLowerCase()) ? undefined : "the sandbox has no provider for it";
    },
    async get(id) {
      calls.push(`get ${id}`);
      const found = resources.get(key(id));
      return found === undefined ? undefined : structuredClone(found);
    },
    async put(resource) {
      calls.push(`put ${resource.id}`);
      puts.push(structuredClone(resource));
      const failure = failures.get(key(resource.id));
      if (failure) throw failure;
      const body = structuredClone(resource.body);
      const properties = { ...((body["properties"] ?? {}) as JsonObject) };
      const type = resource.type.toLowerCase();
      if (type === "microsoft.keyvault/vaults/secrets") {
        secretValues.set(key(resource.id), properties["value"] ?? null);
        delete properties["value"];
        properties["secretUri"] =
          `https://${resource.name.split("/")[0]}.vault.localhost/secrets/${resource.name.split("/")[1]}`;
      }
      if (type === "microsoft.keyvault/vaults") properties["vaultUri"] = `https://${resource.name}.vault.localhost/`;
      if (type === "microsoft.web/sites") properties["defaultHostName"] = `${resource.name}.azurewebsites.localhost`;
      if (type === "microsoft.storage/storageaccounts")
        properties["primaryEndpoints"] = { queue: `https://${resource.name}.queue.localhost/` };
      properties["provisioningState"] = "Succeeded";
      const stored: JsonObject = {
        id: resource.id,
        name: resource.name.split("/").at(-1) ?? "",
        type: resource.type,
        ...body,
        properties,
      };
      const identity = body["identity"] as JsonObject | undefined;
      if (identity?.["type"] === "SystemAssigned")
        stored["identity"] = { ...identity, principalId: uuidOf(`principal ${key(resource.id)}`), tenantId: TENANT };
      resources.set(key(resource.id), stored);
      return structuredClone(stored);
    },
    async invoke(id, action, apiVersion) {
      calls.push(`invoke ${action} ${id} ${apiVersion}`);
      if (
        /\/providers\/Microsoft\.Web\/sites\/[^/]+\/host\/default$/i.test(id) &&
        action.toLowerCase() === "listkeys"
      ) {
        const site = id.replace(/\/host\/default$/i, "");
        if (!resources.has(key(site)))
          throw new HostError("ResourceNotFound", `The Resource '${site}' was not found.`, 404);
        return { masterKey: "mk-secret-master-key-1234", functionKeys: { default: FUNCTION_KEY }, systemKeys: {} };
      }
      throw new HostError("NotFound", `The action '${action}' is not found on '${id}'.`, 404);
    },
    async list() {
      calls.push("list");
      return [...resources.values()].map((resource) => structuredClone(resource));
    },
  };
}
