/**
 * Template deployments (Microsoft.Resources/deployments), as `az deployment
 * group create / validate / what-if` call them: the template engine
 * (arm/template) plans, checks and deploys; this file gives it the sandbox as
 * its host, every resource going through Resource Manager's one door, as the
 * deployer (its RBAC, its Activity log).
 *
 * A deployment is not one transaction, on Azure nor here: each resource is
 * its own, and a deployment that fails half-way leaves the resources it
 * created. What is kept is the deployment's record (never its secure
 * parameters: the engine scrubs them) and its operations.
 */
import { randomInt } from "node:crypto";
import { TemplateText } from "../../arm/requestBody.ts";
import type { ResourceManager } from "../../arm/resourceManager.ts";
import { parseResourceId } from "../../arm/resourceId.ts";
import type { ResourceStore } from "../../arm/resourceStore.ts";
import { type ArmResource, ArmFailure, type ResourceTypeHandler } from "../../arm/resourceType.ts";
import {
  type DeploymentRequest,
  deploy,
  HostError,
  type Json,
  type JsonObject,
  type TemplateHost,
  TemplateError,
  validate,
  whatIf,
} from "../../arm/template/index.ts";
import type { Principal } from "../../contracts.ts";

export const DEPLOYMENT_TYPE = "Microsoft.Resources/deployments";
const OPERATIONS_TYPE = "Microsoft.Resources/deployments/operations";

export interface DeploymentsOptions {
  readonly arm: ResourceManager;
  readonly resources: ResourceStore;
  readonly tenantId: string;
  readonly subscription: () => { readonly id: string; readonly name: string };
  /** What `environment()` answers in a template: the sandbox's cloud. */
  readonly environment: () => JsonObject;
}

/** A template error or a host refusal, as Resource Manager answers it (a template error with its position). */
export function armFailureOf(error: unknown): unknown {
  if (error instanceof TemplateError) {
    const { code, message, ...extras } = error.toArmError();
    return new ArmFailure(400, code, message, extras);
  }
  if (error instanceof HostError) return new ArmFailure(error.status, error.code, error.message);
  return error;
}

/** The template as the engine reads it: the text it was sent as (its positions the request's), or a value. */
function templateOf(template: unknown): unknown {
  if (template instanceof TemplateText) return template.text;
  if (typeof template === "string")
    throw new ArmFailure(
      400,
      "InvalidTemplate",
      "Deployment template validation failed: 'The template must be a JSON object'.",
    );
  return template;
}

/** The deployment's request, from a PUT or POST body: `{properties: {mode, template, parameters}}`. */
function requestOf(body: unknown): DeploymentRequest {
  const properties = (body as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  if (properties["templateLink"] !== undefined)
    throw new ArmFailure(
      400,
      "InvalidTemplate",
      "This sandbox deploys templates sent inline (--template-file): a templateLink would need the internet.",
    );
  if (properties["template"] === undefined)
    throw new ArmFailure(
      400,
      "InvalidRequestContent",
      "The request content was invalid: 'properties.template' is required.",
    );
  return {
    template: templateOf(properties["template"]),
    ...(properties["parameters"] !== undefined ? { parameters: properties["parameters"] } : {}),
    ...(typeof properties["mode"] === "string" ? { mode: properties["mode"] } : {}),
  };
}

export interface Deployments {
  readonly handlers: ResourceTypeHandler[];
  /**
   * Deploys a template into a group, as `az deployment group create` does: what the deployment's GET
   * then shows, whether it is new, and the id of the operation a client polls.
   */
  create(
    id: string,
    body: unknown,
    caller: Principal | undefined,
  ): Promise<{ deployment: ArmResource; created: boolean; operation: string }>;
  /** `POST …/deployments/{name}/validate`: the plan, checked whole, changing nothing. */
  validate(id: string, body: unknown, caller: Principal | undefined): unknown;
  /** `POST …/deployments/{name}/whatIf`: what the deployment would change, changing nothing. */
  whatIf(id: string, body: unknown, caller: Principal | undefined): Promise<unknown>;
  /**
   * `GET …/deployments/{name}/operationStatuses/{id}`: where its latest run stands, `{status, error}`.
   * A deployment runs before its PUT answers, so every operation id of it has the same status.
   */
  status(id: string, caller: Principal | undefined): { status: string; error?: unknown };
}

export function deployments(options: DeploymentsOptions): Deployments {
  const { arm, resources } = options;

  /** The sandbox, as the engine's host, for one deployment into one group, acting as `caller`. */
  const hostFor = (deploymentId: string, caller: Principal | undefined, readOnly = false): TemplateHost => {
    const id = arm.parse(deploymentId);
    const groupId = `/subscriptions/${id.subscriptionId}/resourceGroups/${id.resourceGroup}`;
    const group = arm.existing(arm.parse(groupId));
    const subscription = options.subscription();
    const wrap = async <T>(work: () => T): Promise<T> => {
      try {
        return work();
      } catch (error) {
        if (error instanceof ArmFailure) throw new HostError(error.code, error.message, error.status);
        throw error;
      }
    };
    return {
      scope: {
        tenantId: options.tenantId,
        subscriptionId: subscription.id,
        subscriptionDisplayName: subscription.name,
        resourceGroup: {
          name: group.name,
          location: group.location ?? "",
          ...(group.tags ? { tags: group.tags as JsonObject } : {}),
        },
        deploymentName: id.name,
        environment: options.environment(),
      },
      supports: (type) =>
        arm.handlerOf(type)
          ? undefined
          : `The sandbox has no resource provider for '${type}' (it serves ${arm.types.join(", ")}).`,
      // A what-if compares with the resources as deployed (a site's inline settings included).
      get: (resourceId) =>
        wrap(() => (readOnly ? arm.findAsDeployed(resourceId) : arm.find(resourceId)) as JsonObject | undefined),
      put: (resource) =>
        wrap(() => {
          if (readOnly) throw new ArmFailure(400, "InvalidOperation", "A what-if changes nothing.");
          return arm.put(resource.id, resource.body, caller, resource.apiVersion).resource as unknown as JsonObject;
        }),
      invoke: (resourceId, action, apiVersion, body) =>
        wrap(() => arm.invoke(resourceId, action, caller, body, apiVersion) as Json),
      list: () => wrap(() => arm.listAll(groupId, undefined) as unknown as JsonObject[]),
    };
  };

  const deploymentsType: ResourceTypeHandler = {
    type: DEPLOYMENT_TYPE,
    put: () => {
      // The HTTP door calls `create`, which deploys; a template cannot deploy a template (the engine refuses it).
      throw new ArmFailure(400, "InvalidTemplate", "Nested deployments are not supported by this sandbox.");
    },
    get: (id) => resources.get(id.id),
    list: (parent) => resources.children(parent, DEPLOYMENT_TYPE),
    delete: ({ id }) => resources.delete(id.id),
  };

  const operationsType: ResourceTypeHandler = {
    type: OPERATIONS_TYPE,
    put: () => {
      throw new ArmFailure(405, "MethodNotAllowed", "A deployment's operations are written by the deployment.");
    },
    get: (id) => resources.get(id.id),
    list: (parent) => resources.children(parent, OPERATIONS_TYPE),
  };

  return {
    handlers: [deploymentsType, operationsType],
    async create(id, body, caller) {
      const parsed = arm.parse(id);
      if (parsed.type.toLowerCase() !== DEPLOYMENT_TYPE.toLowerCase())
        throw new ArmFailure(400, "InvalidResourceType", `${id} is not a deployment.`);
      arm.authorize(caller, `${DEPLOYMENT_TYPE}/write`, parsed.id);
      const request = requestOf(body);
      const host = hostFor(parsed.id, caller);
      let outcome: Awaited<ReturnType<typeof deploy>>;
      try {
        outcome = await deploy(request, host);
      } catch (error) {
        throw armFailureOf(error);
      }
      const created = resources.get(parsed.id) === undefined;
      const record = outcome.deployment as unknown as ArmResource;
      // A deployment of the same name replaces the one before, operations and all.
      resources.delete(parsed.id);
      resources.put(record, parsed.parent ?? "");
      for (const operation of outcome.operations) {
        const operationId = parseResourceId(String(operation["id"] ?? ""));
        if (operationId) resources.put({ ...(operation as unknown as ArmResource), type: OPERATIONS_TYPE }, parsed.id);
      }
      arm.recordActivity(caller, `${DEPLOYMENT_TYPE}/write`, parsed.id, created ? 201 : 200);
      return { deployment: record, created, operation: operationNumber() };
    },
    validate(id, body, caller) {
      const parsed = arm.parse(id);
      arm.authorize(caller, `${DEPLOYMENT_TYPE}/validate/action`, parsed.id);
      try {
        return validate(requestOf(body), hostFor(parsed.id, caller));
      } catch (error) {
        throw armFailureOf(error);
      }
    },
    async whatIf(id, body, caller) {
      const parsed = arm.parse(id);
      arm.authorize(caller, `${DEPLOYMENT_TYPE}/whatIf/action`, parsed.id);
      let result: Awaited<ReturnType<typeof whatIf>>;
      try {
        result = await whatIf(requestOf(body), hostFor(parsed.id, caller, true));
      } catch (error) {
        throw armFailureOf(error);
      }
      // `--result-format ResourceIdOnly`: which resources change and how, not their contents.
      const settings = (body as { properties?: { whatIfSettings?: { resultFormat?: unknown } } } | undefined)
        ?.properties?.whatIfSettings;
      if (String(settings?.resultFormat ?? "").toLowerCase() !== "resourceidonly") return result;
      return {
        ...result,
        properties: {
          changes: result.properties.changes.map(({ resourceId, changeType, unsupportedReason }) => ({
            resourceId,
            changeType,
            ...(unsupportedReason ? { unsupportedReason } : {}),
          })),
        },
      };
    },
    status(id, caller) {
      const deployment = arm.get(id, caller);
      const properties = (deployment.properties ?? {}) as { provisioningState?: string; error?: unknown };
      return {
        status: properties.provisioningState ?? "Succeeded",
        ...(properties.error !== undefined ? { error: properties.error } : {}),
      };
    },
  };
}

/** An operation's id as ARM writes them: twenty digits. */
const operationNumber = () => `0858${randomInt(10 ** 7, 10 ** 8)}${randomInt(10 ** 7, 10 ** 8)}`;
