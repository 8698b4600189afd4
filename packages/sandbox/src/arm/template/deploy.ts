/**
 * `az deployment group create`, incremental: the plan first (any fault
 * refused before a change), then each resource in dependency order,
 * evaluated now that what it reads exists, handed to the host, and recorded
 * as a deployment operation. The first failure stops the deployment, as on
 * Azure, and what was already created stays. Outputs are evaluated last.
 */
import type { Runtime } from "./context.ts";
import { type ArmErrorBody, deploymentFailed, ExpressionError, TemplateError } from "./errors.ts";
import { murmurHash64 } from "./functions/hashes.ts";
import { HostError, type TemplateHost } from "./host.ts";
import { evaluateOutputs } from "./outputs.ts";
import { describeParameters } from "./parameters.ts";
import { createPlan, type DeploymentRequest, evaluateBody, evaluateCondition, type Plan } from "./plan.ts";
import { resourceGroupId } from "./resourceIds.ts";
import type { ResourceInstance } from "./resources.ts";
import { createRuntime, type LookupCache, withLookups } from "./runtime.ts";
import type { Json, JsonObject } from "./values.ts";
import { newTracking, RUN_BUDGET } from "./walk.ts";

export interface DeployOptions {
  /** The clock the deployment's timestamps read (tests pass a fixed one). */
  readonly now?: () => Date;
  readonly correlationId?: string;
}

export interface DeploymentOutcome {
  /** The deployment as `GET …/deployments/{name}` answers it (Azure's DeploymentExtended). */
  readonly deployment: JsonObject;
  /** One per resource, as `GET …/deployments/{name}/operations` lists them. */
  readonly operations: JsonObject[];
}

const STATUS_CODES: Record<number, string> = {
  200: "OK",
  201: "Created",
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  429: "TooManyRequests",
};

export const deploymentId = (host: TemplateHost) =>
  `${resourceGroupId(host.scope.subscriptionId, host.scope.resourceGroup.name)}/providers/Microsoft.Resources/deployments/${host.scope.deploymentName}`;

const duration = (from: Date, to: Date) =>
  `PT${((to.getTime() - from.getTime()) / 1000).toFixed(3).replace(/\.?0+$/, "")}S`;

/** An operation's id: 16 hex digits, derived from the deployment and the resource so it is stable. */
function operationId(deployment: string, resource: string): string {
  const { high, low } = murmurHash64(Buffer.from(`${deployment}|${resource}`, "utf8"));
  return (high.toString(16).padStart(8, "0") + low.toString(16).padStart(8, "0")).toUpperCase();
}

/** What a resource's failure becomes in its operation: the host's words, or ARM's for an expression. */
function failureOf(error: unknown, instance: ResourceInstance): { status: number; error: ArmErrorBody } {
  if (error instanceof HostError) return { status: error.status, error: { code: error.code, message: error.message } };
  if (error instanceof ExpressionError || error instanceof TemplateError)
    return {
      status: 400,
      error: {
        code: "InvalidTemplate",
        message: `Unable to process template language expressions for resource '${instance.id}' at line '${instance.at.line}' and column '${instance.at.column}'. '${error instanceof ExpressionError ? `${error.message}.` : error.message}'`,
      },
    };
  return {
    status: 500,
    error: { code: "InternalServerError", message: "Encountered internal server error. Please try again." },
  };
}

/** What each resource waits for, as a deployment's `dependencies` lists it. */
function dependenciesOf(plan: Plan): Json[] {
  const describe = (instance: ResourceInstance) => ({
    id: instance.id,
    resourceType: instance.type,
    resourceName: instance.name,
  });
  return plan.order
    .filter((instance) => (plan.dependsOn.get(instance)?.size ?? 0) > 0)
    .map((instance) => ({ dependsOn: [...(plan.dependsOn.get(instance) ?? [])].map(describe), ...describe(instance) }));
}

export async function deploy(
  request: DeploymentRequest,
  host: TemplateHost,
  options: DeployOptions = {},
): Promise<DeploymentOutcome> {
  const now = options.now ?? (() => new Date());
  const plan = createPlan(request, host);
  plan.context.budget.remaining = RUN_BUDGET;
  const started = now();
  const id = deploymentId(host);
  const operations: JsonObject[] = [];
  const outputResources: Json[] = [];
  let failure: ArmErrorBody | undefined;
  const runtimeFor = (cache: LookupCache): Runtime =>
    createRuntime("deploy", host, plan.instances, cache, plan.secrets);

  for (const instance of plan.order) {
    // A fresh cache for each resource: what it reads may have been changed by the ones before it.
    const cache: LookupCache = new Map();
    const ctx = { ...instance.ctx, runtime: runtimeFor(cache) };
    const begun = now();
    let status = 201;
    let error: ArmErrorBody | undefined;
    try {
      if (!(await withLookups(() => evaluateCondition(instance, ctx), cache))) continue;
      const body = await withLookups(() => evaluateBody(instance, ctx, newTracking()), cache);
      const existing = await host.get(instance.id, instance.apiVersion);
      await host.put({
        id: instance.id,
        type: instance.type,
        name: instance.name,
        apiVersion: instance.apiVersion,
        body,
      });
      status = existing === undefined ? 201 : 200;
      outputResources.push({ id: instance.id });
    } catch (thrown) {
      ({ status, error } = failureOf(thrown, instance));
    }
    const operation = operationId(id, instance.id);
    operations.push({
      id: `${id}/operations/${operation}`,
      operationId: operation,
      properties: {
        provisioningOperation: "Create",
        provisioningState: error ? "Failed" : "Succeeded",
        timestamp: now().toISOString(),
        duration: duration(begun, now()),
        statusCode: STATUS_CODES[status] ?? String(status),
        ...(error ? { statusMessage: { status: "Failed", error: error as unknown as Json } } : {}),
        targetResource: {
          id: instance.id,
          resourceType: instance.type,
          resourceName: instance.name,
          apiVersion: instance.apiVersion,
        },
      },
    });
    if (error) {
      failure = deploymentFailed([error]);
      break;
    }
  }

  let outputs: JsonObject = {};
  if (!failure) {
    const cache: LookupCache = new Map();
    try {
      outputs = await withLookups(
        () => evaluateOutputs(plan.template.outputs, { ...plan.context, runtime: runtimeFor(cache) }),
        cache,
      );
    } catch (thrown) {
      const message =
        thrown instanceof Error && !(thrown instanceof HostError)
          ? thrown.message
          : "Encountered internal server error.";
      failure = {
        code: "DeploymentOutputEvaluationFailed",
        message:
          "Unable to evaluate template outputs. Please see error details and deployment operations. Please see https://aka.ms/arm-common-errors for usage details.",
        details: [{ code: "DeploymentOutputEvaluationFailed", message }],
      };
    }
  }

  const finished = now();
  const deployment: JsonObject = {
    id,
    name: host.scope.deploymentName,
    type: "Microsoft.Resources/deployments",
    properties: {
      templateHash: plan.templateHash,
      parameters: describeParameters(plan.parameters),
      mode: "Incremental",
      provisioningState: failure ? "Failed" : "Succeeded",
      timestamp: finished.toISOString(),
      duration: duration(started, finished),
      correlationId: options.correlationId ?? "00000000-0000-0000-0000-000000000000",
      dependencies: dependenciesOf(plan),
      outputResources,
      ...(failure ? { error: failure as unknown as Json } : { outputs }),
    },
  };
  return {
    deployment: plan.secrets.scrub(deployment),
    operations: operations.map((operation) => plan.secrets.scrub(operation)),
  };
}
