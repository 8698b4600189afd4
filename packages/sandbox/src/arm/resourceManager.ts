/**
 * Resource Manager's control plane: every PUT, GET, DELETE and POST on a
 * resource id, from `az`, from the real Azure CLI or from a template
 * deployment, takes the same road:
 *
 *   1. the id, read as ARM reads it (resourceId.ts), and its type's handler, from the providers
 *   2. where it goes must exist: the subscription, the resource group, the parent resource,
 *      the resource an extension resource (a role assignment) is on
 *   3. RBAC on the control plane: `<type>/write`, `/read`, `/delete`, `/<action>/action` at the id
 *   4. the handler, in one state transaction (it checks the whole body before it changes anything)
 *   5. the Activity log: who changed what
 *
 * A caller of `undefined` is the sandbox itself (provisioning): no RBAC, no log.
 */
import type { AuditSink } from "../audit/log.ts";
import type { Authorizer, Principal } from "../contracts.ts";
import type { StateStore } from "../state/store.ts";
import { type ResourceId, parseResourceId, sameResource } from "./resourceId.ts";
import { type ArmResource, ArmFailure, type ResourceBody, type ResourceTypeHandler } from "./resourceType.ts";

export interface ResourceManagerOptions {
  readonly state: StateStore;
  readonly rbac: Authorizer;
  readonly audit?: AuditSink;
  /** Who a principal is, for the Activity log and messages. */
  readonly describe?: (objectId: string) => { readonly type?: string } | undefined;
}

/** How a caller is named in a request: a principal, or the sandbox itself. */
export type Caller = Principal | undefined;

const notFound = (id: ResourceId) => {
  if (id.type === "Microsoft.Resources/resourceGroups")
    return new ArmFailure(404, "ResourceGroupNotFound", `Resource group '${id.name.slice(0, 90)}' could not be found.`);
  if (id.type.toLowerCase() === "microsoft.resources/deployments")
    return new ArmFailure(404, "DeploymentNotFound", `Deployment '${id.name.slice(0, 64)}' could not be found.`);
  const where = id.resourceGroup ? ` under resource group '${id.resourceGroup}'` : "";
  return new ArmFailure(
    404,
    "ResourceNotFound",
    `The Resource '${id.type}/${id.names.join("/")}'${where} was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
};

export class ResourceManager {
  readonly #options: ResourceManagerOptions;
  readonly #types = new Map<string, ResourceTypeHandler>();

  constructor(options: ResourceManagerOptions) {
    this.#options = options;
  }

  /** A provider's resource types (called as it starts). */
  register(...handlers: ResourceTypeHandler[]): void {
    for (const handler of handlers) this.#types.set(handler.type.toLowerCase(), handler);
  }

  /** The handler of a type, if any provider serves it. */
  handlerOf(type: string): ResourceTypeHandler | undefined {
    return this.#types.get(type.toLowerCase());
  }

  /** The types every provider serves (what a template may deploy). */
  get types(): readonly string[] {
    return [...this.#types.values()].map((handler) => handler.type);
  }

  /** Reads an id, or refuses it as ARM does. */
  parse(id: string): ResourceId {
    const parsed = parseResourceId(id);
    if (!parsed) throw new ArmFailure(400, "InvalidResourceId", `The resource id '${id.slice(0, 256)}' is not valid.`);
    return parsed;
  }

  #handler(id: ResourceId): ResourceTypeHandler {
    const handler = this.handlerOf(id.type);
    if (!handler) {
      throw new ArmFailure(
        400,
        "NoRegisteredProviderFound",
        `No registered resource provider found for location and API version for type '${id.type}'. This sandbox serves: ${this.types.join(", ")}.`,
      );
    }
    return handler;
  }

  /** Whether a resource (a subscription, a group, any resource) exists: what a role assignment's scope must name. */
  exists(id: string): boolean {
    const parsed = parseResourceId(id);
    if (!parsed) return false;
    return this.handlerOf(parsed.type)?.get(parsed) !== undefined;
  }

  /** The resource, as GET shows it; undefined when it does not exist. Throws for a type nobody serves. */
  find(id: string): ArmResource | undefined {
    const parsed = this.parse(id);
    return this.#handler(parsed).get(parsed);
  }

  /** The resource as a deployment wrote it (see `asDeployed`), for a what-if's comparison; undefined when it does not exist. */
  findAsDeployed(id: string): ArmResource | undefined {
    const parsed = this.parse(id);
    const handler = this.#handler(parsed);
    const found = handler.get(parsed);
    return found && handler.asDeployed ? handler.asDeployed(found) : found;
  }

  get(id: string, caller: Caller, apiVersion = ""): ArmResource {
    const parsed = this.parse(id);
    const handler = this.#handler(parsed);
    this.authorize(caller, `${parsed.type}/read`, parsed.id);
    this.#checkApiVersion(handler, apiVersion);
    const found = handler.get(parsed);
    if (!found) throw notFound(parsed);
    return found;
  }

  /** The resources of a type under a parent (a resource group, a vault). */
  list(parent: string, type: string, caller: Caller): ArmResource[] {
    const handler = this.#handler({ id: parent, type, names: [], name: "" });
    this.authorize(caller, `${handler.type}/read`, parent);
    return handler.list(parent);
  }

  /** Reads a resource, and throws ARM's ResourceNotFound when it does not exist: for actions that need one. */
  existing(id: ResourceId): ArmResource {
    const found = this.handlerOf(id.type)?.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  /** Whether a resource exists, as `HEAD {id}` answers it (`az group exists`): the caller must be allowed to read it. */
  checkExistence(id: string, caller: Caller): boolean {
    const parsed = this.parse(id);
    const handler = this.#handler(parsed);
    this.authorize(caller, `${parsed.type}/read`, parsed.id);
    return handler.get(parsed) !== undefined;
  }

  /**
   * The resources in a resource group, or in every group of a subscription, as ARM lists them
   * (`az resource list`, what-if's "to ignore"): each a resource of its own, directly in its group.
   * A child (a vault's secret) is listed with its parent, an extension resource (a role assignment)
   * with what it extends, neither on its own.
   */
  listAll(scope: string, caller: Caller): ArmResource[] {
    this.authorize(caller, "Microsoft.Resources/subscriptions/resourceGroups/resources/read", scope);
    const parsed = this.parse(scope);
    const groups =
      parsed.type === "Microsoft.Resources/subscriptions"
        ? (this.handlerOf("Microsoft.Resources/resourceGroups")?.list(parsed.id) ?? []).map((group) => group.id)
        : [parsed.id];
    return groups.flatMap((group) => this.#inGroup(group).filter((resource) => isTopLevelIn(group, resource.id)));
  }

  /** Every resource of every type a group's listing finds: its own, and those extending what is in it. */
  #inGroup(group: string): ArmResource[] {
    return [...this.#types.values()]
      .filter((handler) => !handler.type.startsWith("Microsoft.Resources/"))
      .flatMap((handler) => handler.list(group));
  }

  put(id: string, body: ResourceBody, caller: Caller, apiVersion = ""): { resource: ArmResource; created: boolean } {
    const parsed = this.parse(id);
    const handler = this.#handler(parsed);
    this.#checkApiVersion(handler, apiVersion);
    checkEnvelope(body);
    this.#checkParents(parsed);
    this.authorize(caller, `${parsed.type}/write`, parsed.id);
    const { state } = this.#options;
    const outcome = state.transaction(() => {
      const created = handler.get(parsed) === undefined;
      return { resource: handler.put({ id: parsed, body, apiVersion, ...(caller ? { caller } : {}) }), created };
    });
    this.#activity(
      caller,
      `${parsed.type}/write`,
      parsed.id,
      outcome.created ? 201 : 200,
      handler.activity?.(outcome.resource),
    );
    return outcome;
  }

  delete(id: string, caller: Caller, apiVersion = ""): boolean {
    const parsed = this.parse(id);
    const handler = this.#handler(parsed);
    this.#checkApiVersion(handler, apiVersion);
    this.authorize(caller, `${parsed.type}/delete`, parsed.id);
    if (!handler.delete) throw new ArmFailure(405, "MethodNotAllowed", `A ${parsed.type} cannot be deleted.`);
    const remove = handler.delete.bind(handler);
    const details = this.#details(handler, parsed);
    const deleted = this.#options.state.transaction(() => {
      if (parsed.type === "Microsoft.Resources/resourceGroups") this.#emptyGroup(parsed.id, caller, apiVersion);
      return remove({ id: parsed, apiVersion, ...(caller ? { caller } : {}) });
    });
    if (deleted) this.#activity(caller, `${parsed.type}/delete`, parsed.id, 200, details);
    return deleted;
  }

  /**
   * A group's deletion deletes what is in it, as on Azure: each resource through its own type (a
   * site's identity leaves the directory), the role assignments on them too, the deepest first.
   */
  #emptyGroup(group: string, caller: Caller, apiVersion: string): void {
    const inside = this.#inGroup(group)
      .filter((resource) => resource.id.toLowerCase().startsWith(`${group.toLowerCase()}/`))
      .sort((a, b) => b.id.length - a.id.length);
    for (const resource of inside) {
      const id = parseResourceId(resource.id);
      const handler = id ? this.handlerOf(id.type) : undefined;
      if (id && handler?.delete && handler.get(id)) handler.delete({ id, apiVersion, ...(caller ? { caller } : {}) });
    }
  }

  /** A POST action on a resource (`listKeys`, `config/appsettings/list`), as ARM and a template's `list*()` call it. */
  invoke(id: string, action: string, caller: Caller, body?: unknown, apiVersion = ""): unknown {
    const parsed = this.parse(id);
    const handler = this.#handler(parsed);
    const run = handler.actions?.[action] ?? handler.actions?.[action.toLowerCase()];
    if (!run)
      throw new ArmFailure(404, "InvalidResourceType", `The resource type '${parsed.type}' has no action '${action}'.`);
    this.authorize(caller, `${parsed.type}/${action}/action`, parsed.id);
    return this.#options.state.transaction(() =>
      run({ id: parsed, apiVersion, ...(body !== undefined ? { body } : {}), ...(caller ? { caller } : {}) }),
    );
  }

  #checkApiVersion(handler: ResourceTypeHandler, apiVersion: string): void {
    if (!apiVersion || !handler.apiVersions || handler.apiVersions.includes(apiVersion)) return;
    throw new ArmFailure(
      400,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location and API version '${apiVersion}' for type '${handler.type}'. The supported api-versions are '${handler.apiVersions.join(", ")}'.`,
    );
  }

  /** A resource lands only where its parents are: the subscription, the group, its parent resource, what it extends. */
  #checkParents(id: ResourceId): void {
    if (id.subscriptionId && !this.exists(`/subscriptions/${id.subscriptionId}`))
      throw new ArmFailure(404, "SubscriptionNotFound", `The subscription '${id.subscriptionId}' could not be found.`);
    if (id.resourceGroup && id.type !== "Microsoft.Resources/resourceGroups") {
      const group = `/subscriptions/${id.subscriptionId}/resourceGroups/${id.resourceGroup}`;
      if (!this.exists(group))
        throw new ArmFailure(404, "ResourceGroupNotFound", `Resource group '${id.resourceGroup}' could not be found.`);
    }
    const parent = id.extends ?? (id.names.length > 1 ? id.parent : undefined);
    if (parent && !this.exists(parent)) {
      const parsed = parseResourceId(parent);
      throw id.extends
        ? parsed
          ? notFound(parsed)
          : new ArmFailure(400, "InvalidResourceId", `The scope '${parent}' is not valid.`)
        : new ArmFailure(
            404,
            "ParentResourceNotFound",
            `Failed to perform 'write' on resource(s) of type '${id.type}', because the parent resource '${parent}' could not be found.`,
          );
    }
  }

  /** Control-plane RBAC: ARM's AuthorizationFailed names the caller, the action and the scope. */
  authorize(caller: Caller, action: string, scope: string): void {
    if (!caller) return;
    if (this.#options.rbac.isAllowed(caller, action, scope, "control")) return;
    throw new ArmFailure(
      403,
      "AuthorizationFailed",
      `The client '${caller.objectId}' with object id '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }

  /** What the Activity log says of a resource about to change (read before a deletion takes it away). */
  #details(handler: ResourceTypeHandler, id: ResourceId): Readonly<Record<string, string>> | undefined {
    if (!handler.activity) return undefined;
    const found = handler.get(id);
    return found ? handler.activity(found) : undefined;
  }

  /** The Activity log: every change a caller made through Resource Manager (a deployment's too). */
  recordActivity(caller: Caller, operationName: string, resource: string, statusCode: number): void {
    this.#activity(caller, operationName, resource, statusCode);
  }

  #activity(
    caller: Caller,
    operationName: string,
    resource: string,
    statusCode: number,
    details?: Readonly<Record<string, string>>,
  ): void {
    if (!caller) return;
    this.#options.audit?.record({
      category: "AzureActivity",
      operationName,
      resultType: "Success",
      statusCode,
      caller: {
        objectId: caller.objectId,
        ...(caller.appId ? { appId: caller.appId } : {}),
      },
      resource,
      properties: { activityCategory: "Administrative", ...details },
    });
  }
}

/** What each member of a resource's envelope must be, as ARM deserializes a PUT (null: not given). */
const ENVELOPE: Readonly<Record<string, "string" | "object" | "tags">> = {
  location: "string",
  kind: "string",
  tags: "tags",
  sku: "object",
  identity: "object",
  properties: "object",
};

/**
 * ARM reads a PUT's envelope into its types before any provider sees it: a `kind` that is a list, `tags` whose values
 * are objects, `properties` that is a string are InvalidRequestContent, as ARM words it (every handler may then rely
 * on the types `ResourceBody` names).
 */
function checkEnvelope(body: ResourceBody): void {
  const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
  for (const [member, kind] of Object.entries(ENVELOPE)) {
    const value = (body as Record<string, unknown>)[member];
    if (value === undefined || value === null) continue;
    const fits =
      kind === "string"
        ? typeof value === "string"
        : kind === "object"
          ? isObject(value)
          : isObject(value) && Object.values(value as object).every((tag) => typeof tag === "string");
    if (!fits) {
      const path =
        kind === "tags" && isObject(value)
          ? `tags.${Object.keys(value as object).find((key) => typeof (value as Record<string, unknown>)[key] !== "string")}`
          : member;
      throw new ArmFailure(
        400,
        "InvalidRequestContent",
        `The request content was invalid and could not be deserialized: 'Error converting value to type '${kind === "object" ? "Object" : "String"}'. Path '${path.slice(0, 128)}'.'.`,
      );
    }
  }
}

/** Whether a resource is one of a group's own: `{group}/providers/{namespace}/{type}/{name}`, nothing deeper. */
function isTopLevelIn(group: string, id: string): boolean {
  const parsed = parseResourceId(id);
  return (
    parsed !== undefined && !parsed.extends && parsed.names.length === 1 && sameResource(parsed.parent ?? "", group)
  );
}
