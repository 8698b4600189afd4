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

/** A template error or a host refusal, as Resource Manager answers it. */
export function armFailureOf(error: unknown): unknown {
  if (error instanceof TemplateError) {
    const body = error.toArmError();
    return new ArmFailure(400, body.code, body.message);
  }
  if (error instanceof HostError) return new ArmFailure(error.status, error.code, error.message);
  return error;
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
    template: properties["template"],
    ...(properties["parameters"] !== undefined ? { parameters: properties["parameters"] } : {}),
    ...(typeof properties["mode"] === "string" ? { mode: properties["mode"] } : {}),
  };
}

export interface Deployments {
  readonly handlers: ResourceTypeHandler[];
  /** Deploys a template into a group, as `az deployment group create` does: what the deployment's GET then shows. */
  create(id: string, body: unknown, caller: Principal | undefined): Promise<ArmResource>;
  /** `POST …/deployments/{name}/whatIf`: what the deployment would change, changing nothing. */
  whatIf(id: string, body: unknown, caller: Principal | undefined): Promise<unknown>;
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
      get: (resourceId) => wrap(() => arm.find(resourceId) as JsonObject | undefined),
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
    actions: {
      validate: ({ id, body, caller }) => {
        try {
          return validate(requestOf(body), hostFor(id.id, caller));
        } catch (error) {
          throw armFailureOf(error);
        }
      },
    },
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
      const request = requestOf(body);
      const host = hostFor(parsed.id, caller);
      let outcome: Awaited<ReturnType<typeof deploy>>;
      try {
        outcome = await deploy(request, host);
      } catch (error) {
        throw armFailureOf(error);
      }
      const record = outcome.deployment as unknown as ArmResource;
      resources.put(record, parsed.parent ?? "");
      for (const operation of outcome.operations) {
        const operationId = parseResourceId(String(operation["id"] ?? ""));
        if (operationId) resources.put({ ...(operation as unknown as ArmResource), type: OPERATIONS_TYPE }, parsed.id);
      }
      return record;
    },
    async whatIf(id, body, caller) {
      try {
        return await whatIf(requestOf(body), hostFor(arm.parse(id).id, caller, true));
      } catch (error) {
        throw armFailureOf(error);
      }
    },
  };
}
