/**
 * What the template engine asks of the world it deploys into: the host.
 *
 * The engine knows the ARM template language and nothing about Key Vault or
 * App Service. Whoever runs it (the sandbox's Resource Manager, or a test's
 * fake) answers these few questions, as Azure's resource providers answer
 * Resource Manager: which types it can deploy, what a resource looks like now,
 * a PUT of a resource, and a POST of an action such as `listKeys`.
 */
import type { Json, JsonObject } from "./values.ts";

/** Where a deployment lands: one resource group of one subscription, as `az deployment group` deploys. */
export interface DeploymentScope {
  readonly tenantId: string;
  readonly subscriptionId: string;
  readonly subscriptionDisplayName: string;
  readonly resourceGroup: { readonly name: string; readonly location: string; readonly tags?: JsonObject };
  readonly deploymentName: string;
  /** What `environment()` answers: the cloud's endpoints and suffixes (the sandbox's own, not Azure's). */
  readonly environment: JsonObject;
}

/** One resource as the engine hands it over: its identity and the body of its PUT. */
export interface ResourcePut {
  /** The full resource id, `/subscriptions/…/providers/Microsoft.Web/sites/app`. */
  readonly id: string;
  /** The full type, `Microsoft.KeyVault/vaults/secrets`. */
  readonly type: string;
  /** The full name, `kv/secret` for a child resource. */
  readonly name: string;
  readonly apiVersion: string;
  /** What ARM would PUT: `location`, `tags`, `sku`, `kind`, `identity`, `properties`, … (evaluated, never an expression). */
  readonly body: JsonObject;
}

/** A resource as the host stores it: at least `id`, `name`, `type`; runtime properties included (principalId, vaultUri, …). */
export type StoredResource = JsonObject;

/**
 * A refusal by the host, in Azure's words: the deployment stops at that
 * resource and reports `code` and `message` as the operation's error.
 */
export class HostError extends Error {
  readonly code: string;
  /** The HTTP status Azure's provider would answer (400, 403, 409, …). */
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = "HostError";
    this.code = code;
    this.status = status;
  }
}

export interface TemplateHost {
  readonly scope: DeploymentScope;
  /**
   * Whether this host can deploy a type at an api-version: `undefined` when it
   * can, or the reason it cannot (the engine refuses the template, naming it).
   */
  supports(type: string, apiVersion: string): string | undefined;
  /** The resource as it is now, or `undefined` when there is none. */
  get(id: string, apiVersion: string): Promise<StoredResource | undefined>;
  /** Creates or updates the resource (incremental: properties it is not given stay), and answers it as stored. */
  put(resource: ResourcePut): Promise<StoredResource>;
  /** A POST action on a resource, such as `listKeys`; throws a HostError when the resource or action does not exist. */
  invoke(id: string, action: string, apiVersion: string, body?: Json): Promise<Json>;
  /** Every resource in the deployment's resource group (what-if shows those the template leaves alone as Ignore). */
  list(): Promise<StoredResource[]>;
}
