/**
 * Everything ARM checks before it changes anything, in order: the template's
 * shape, the mode (Incremental only), every expression, the parameters, the
 * resources unrolled with their ids, whether the host can deploy each type,
 * the dependency order, and each resource body and output evaluated as far
 * as it can be without the deployed world. What passes is a plan that
 * validate, what-if and deploy share.
 */
import { checkExpressions, functionNames } from "./check.ts";
import type { EvalContext } from "./context.ts";
import { orderResources } from "./dependencies.ts";
import { ExpressionError, invalidTemplate, notSupported, sectionError } from "./errors.ts";
import { murmurHash64 } from "./functions/hashes.ts";
import type { TemplateHost } from "./host.ts";
import { member as outputMember, outputValue } from "./outputs.ts";
import { parseParameterValues, type ResolvedParameter, resolveParameters } from "./parameters.ts";
import { expandResources, member, type ResourceInstance, TEMPLATE_ONLY } from "./resources.ts";
import { createRuntime } from "./runtime.ts";
import { Secrets } from "./secrets.ts";
import { parseTemplate, type Template } from "./template.ts";
import { type JsonObject, setProperty } from "./values.ts";
import { VariableTable } from "./variables.ts";
import { evaluateValue, ITERATION_BUDGET, newTracking, type Tracking, Unresolved } from "./walk.ts";

/** What `az deployment group create/validate/what-if` sends: a template, its parameters, a mode. */
export interface DeploymentRequest {
  /** The template: its text, or the value a REST body held (positions are then those of its two-space-indented text). */
  readonly template: unknown;
  /** A parameters file, or the `{"name": {"value": …}}` map of a REST body; text or value. */
  readonly parameters?: unknown;
  /** "Incremental" (the default); "Complete" is refused. */
  readonly mode?: string;
}

export interface Plan {
  readonly template: Template;
  readonly parameters: ReadonlyMap<string, ResolvedParameter>;
  readonly context: EvalContext;
  readonly instances: readonly ResourceInstance[];
  readonly order: readonly ResourceInstance[];
  readonly dependsOn: ReadonlyMap<ResourceInstance, ReadonlySet<ResourceInstance>>;
  readonly secrets: Secrets;
  readonly templateHash: string;
}

/** The templateHash Azure reports: a decimal 64-bit hash of the template's text. */
function templateHashOf(template: Template): string {
  const { high, low } = murmurHash64(Buffer.from(JSON.stringify(template.document.value), "utf8"));
  return ((BigInt(high) << 32n) | BigInt(low)).toString();
}

export function createPlan(request: DeploymentRequest, host: TemplateHost): Plan {
  const template = parseTemplate(request.template);
  if (request.mode !== undefined && request.mode.toLowerCase() !== "incremental")
    throw notSupported(
      `The deployment mode '${request.mode}' (only 'Incremental': this sandbox never deletes what a template leaves out)`,
    );
  checkExpressions(template);
  const secrets = new Secrets();
  const templateHash = templateHashOf(template);
  const deployment: JsonObject = {
    name: host.scope.deploymentName,
    properties: {
      templateHash,
      template: { $schema: template.schema, contentVersion: template.contentVersion },
      mode: "Incremental",
      provisioningState: "Accepted",
    },
  };
  const outOfPlace = (fn: string) => () => {
    throw new ExpressionError(`The template function '${fn}' is not expected at this location`);
  };
  const base = {
    scope: host.scope,
    variable: outOfPlace("variables"),
    copyIndex: outOfPlace("copyIndex"),
    deployment: () => deployment,
    runtime: undefined,
    markSecure: () => {},
    budget: { remaining: ITERATION_BUDGET },
  };
  const parameters = resolveParameters(template, parseParameterValues(request.parameters), base);
  for (const parameter of parameters.values()) if (parameter.secure) secrets.add(parameter.value);
  const variables = new VariableTable(template);
  const context: EvalContext = {
    ...base,
    parameter: (name, reader) => {
      const parameter = parameters.get(name.toLowerCase());
      if (!parameter)
        throw new ExpressionError(
          `The template parameter '${name}' is not found. Please see https://aka.ms/arm-syntax-parameters for usage details`,
        );
      if (parameter.secure) reader.markSecure();
      return parameter.value;
    },
    variable: (name, reader) => variables.read(name, reader),
  };

  // Every variable is evaluated now, read or not: a fault in one is refused before any change, as on Azure.
  for (const name of variables.names()) variables.read(name, context);
  const instances = expandResources(template, context);
  for (const instance of instances) {
    if (instance.type.toLowerCase() === "microsoft.resources/deployments")
      throw notSupported(`The nested deployment '${instance.name}' (Microsoft.Resources/deployments)`, instance.at);
    const reason = host.supports(instance.type, instance.apiVersion);
    if (reason !== undefined)
      throw invalidTemplate(
        `The template resource '${instance.name}' at line '${instance.at.line}' and column '${instance.at.column}' is not valid: The resource type '${instance.type}' (api-version '${instance.apiVersion}') is not supported by this sandbox: ${reason}`,
        instance.at,
      );
  }
  const { order, dependsOn } = orderResources(instances);
  const plan = { template, parameters, context, instances, order, dependsOn, secrets, templateHash };
  checkStatically(plan, host);
  return plan;
}

/** Each body and output evaluated with what is known now: a fault that needs no deployed resource is found before any change. */
function checkStatically(plan: Plan, host: TemplateHost): void {
  const runtime = createRuntime("validate", host, plan.instances, new Map(), plan.secrets);
  for (const instance of plan.order) {
    try {
      const ctx = { ...instance.ctx, runtime };
      try {
        evaluateCondition(instance, ctx);
      } catch (error) {
        if (!(error instanceof Unresolved)) throw error;
      }
      evaluateBody(instance, ctx, newTracking());
    } catch (error) {
      throw sectionError("resource", instance.name, error, instance.at);
    }
  }
  for (const output of plan.template.outputs) {
    const track = newTracking();
    const ctx = { ...plan.context, runtime };
    try {
      const condition = outputMember(output.definition, "condition");
      if (condition !== undefined) evaluateValue(condition, ctx, newTracking());
      outputValue(output, ctx, track);
    } catch (error) {
      throw sectionError("output", output.name, error, output.at);
    }
    const secureType = output.type === "securestring" || output.type === "secureobject";
    const readsList = functionNames(output.definition).some((name) => /^list/i.test(name));
    if (!secureType && (track.secure.length > 0 || readsList))
      throw invalidTemplate(
        `The template output '${output.name}' at line '${output.at.line}' and column '${output.at.column}' is not valid: its value comes from a secure value (a secure parameter or a list*() function), which a deployment's outputs never show in this sandbox. Declare the output 'securestring' or 'secureObject', or leave it out`,
        output.at,
      );
  }
}

/** The members of a resource that are its PUT body, evaluated; the condition apart. */
export function evaluateBody(instance: ResourceInstance, ctx: EvalContext, track: Tracking): JsonObject {
  const body: JsonObject = {};
  for (const [key, value] of Object.entries(instance.definition.raw)) {
    if (TEMPLATE_ONLY.has(key.toLowerCase())) continue;
    setProperty(body, key, evaluateValue(value, ctx, track, [key]));
  }
  return body;
}

/** A resource's condition: true when it has none. `Unresolved` passes through (what-if reports it). */
export function evaluateCondition(instance: ResourceInstance, ctx: EvalContext): boolean {
  const condition = member(instance.definition.raw, "condition");
  if (condition === undefined) return true;
  const value = evaluateValue(condition, ctx);
  if (typeof value !== "boolean") throw new ExpressionError("The 'condition' property must evaluate to a boolean");
  return value;
}
