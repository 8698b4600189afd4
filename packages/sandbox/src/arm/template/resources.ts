/**
 * Resources unrolled into instances: each `copy` loop becomes `count`
 * instances, each child nested in a `resources` array gets its full type
 * (`Microsoft.KeyVault/vaults` + `secrets`) and full name (`kv` + `s1`), and
 * each instance its resource id. Names, types and api-versions are known
 * before anything is deployed (ARM refuses `reference()` in them).
 */
import type { EvalContext } from "./context.ts";
import { ExpressionError, invalidTemplate, notSupported, type Position, sectionError } from "./errors.ts";
import { resourceGroupId, typeDepth } from "./resourceIds.ts";
import type { ResourceDefinition, Template } from "./template.ts";
import { findKey, type Json, type JsonObject } from "./values.ts";
import { copyCount, evaluateValue, withLoop } from "./walk.ts";

export interface CopyLoop {
  readonly name: string;
  readonly index: number;
  readonly count: number;
  readonly serial: boolean;
  readonly batchSize: number;
}

export interface ResourceInstance {
  readonly definition: ResourceDefinition;
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly apiVersion: string;
  /** The resource an extension resource (a role assignment) applies to, from its `scope` property. */
  readonly scopeId: string | undefined;
  readonly copy: CopyLoop | undefined;
  /** The context its expressions are evaluated in: its copy loop's index, if any. */
  readonly ctx: EvalContext;
  readonly at: Position;
}

/** The template-only members of a resource: the rest is the body of its PUT. */
export const TEMPLATE_ONLY = new Set([
  "type",
  "name",
  "apiversion",
  "dependson",
  "condition",
  "copy",
  "resources",
  "comments",
  "scope",
  "metadata",
]);

export const member = (raw: JsonObject, name: string): Json | undefined => {
  const key = findKey(raw, name);
  return key === undefined ? undefined : raw[key];
};

function stringOf(raw: JsonObject, name: string, ctx: EvalContext): string {
  const value = evaluateValue(member(raw, name) ?? null, ctx);
  if (typeof value !== "string" || value === "")
    throw new ExpressionError(`The '${name}' must evaluate to a non-empty string`);
  return value;
}

/** Every instance of every resource, in template order. */
/** The most resources one template may deploy, copies included, as in Azure. */
export const MAX_RESOURCES = 800;

export function expandResources(template: Template, base: EvalContext): ResourceInstance[] {
  const instances: ResourceInstance[] = [];
  const byDefinition = new Map<ResourceDefinition, ResourceInstance[]>();
  for (const definition of template.resources) {
    const label = String(member(definition.raw, "name"));
    try {
      const made = instancesOf(definition, base, definition.parent ? byDefinition.get(definition.parent) : undefined);
      byDefinition.set(definition, made);
      instances.push(...made);
      if (instances.length > MAX_RESOURCES)
        throw invalidTemplate(
          `The number of template resources limit exceeded. Limit: '${MAX_RESOURCES}' and actual: '${instances.length}'`,
        );
    } catch (error) {
      throw sectionError("resource", label, error, definition.at);
    }
  }
  return instances;
}

function instancesOf(
  definition: ResourceDefinition,
  base: EvalContext,
  parents: ResourceInstance[] | undefined,
): ResourceInstance[] {
  const { raw, at } = definition;
  const copy = member(raw, "copy");
  if (copy === undefined) return [instance(definition, base, undefined, parents)];
  if (definition.parent || member(raw, "resources") !== undefined)
    throw notSupported("A copy loop on a resource with nested child resources, or nested in one,", at);
  if (typeof copy !== "object" || copy === null || Array.isArray(copy))
    throw new ExpressionError("The 'copy' property must be an object with 'name' and 'count'");
  const name = member(copy, "name");
  if (typeof name !== "string" || name === "") throw new ExpressionError("The copy loop must have a 'name'");
  const count = copyCount(evaluateValue(member(copy, "count") ?? null, base));
  const mode = member(copy, "mode");
  const serial = typeof mode === "string" && mode.toLowerCase() === "serial";
  if (mode !== undefined && !(typeof mode === "string" && ["serial", "parallel"].includes(mode.toLowerCase())))
    throw new ExpressionError("The copy 'mode' must be 'serial' or 'parallel'");
  const batch = member(copy, "batchSize");
  const batchSize = batch === undefined ? 1 : copyCount(evaluateValue(batch, base));
  if (batchSize < 1) throw new ExpressionError("The copy 'batchSize' must be at least 1");
  return Array.from({ length: count }, (_, index) =>
    instance(definition, withLoop(base, name, index, true), { name, index, count, serial, batchSize }, undefined),
  );
}

function instance(
  definition: ResourceDefinition,
  ctx: EvalContext,
  copy: CopyLoop | undefined,
  parents: ResourceInstance[] | undefined,
): ResourceInstance {
  const { raw, at } = definition;
  const parent = parents?.[0];
  let type = stringOf(raw, "type", ctx);
  let name = stringOf(raw, "name", ctx);
  const apiVersion = stringOf(raw, "apiVersion", ctx);
  if (parent && !type.includes("/")) {
    type = `${parent.type}/${type}`;
    name = `${parent.name}/${name}`;
  }
  if (!/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+(\/[A-Za-z0-9_.-]+)+$/.test(type))
    throw new ExpressionError(`The resource type '${type}' is not valid`);
  const segments = name.split("/");
  if (segments.length !== typeDepth(type) || segments.some((segment) => segment === ""))
    throw invalidTemplate(
      `The template resource '${name}' for type '${type}' at line '${at.line}' and column '${at.column}' has incorrect segment lengths. A nested resource type must have identical number of segments as its resource name. A root resource type must have segment length one greater than its resource name. Please see https://aka.ms/arm-syntax-resources for usage details`,
      at,
    );
  const scopeValue = member(raw, "scope");
  const groupId = resourceGroupId(ctx.scope.subscriptionId, ctx.scope.resourceGroup.name);
  let scopeId: string | undefined;
  if (scopeValue !== undefined) {
    const scope = evaluateValue(scopeValue, ctx);
    if (typeof scope !== "string" || scope === "")
      throw new ExpressionError("The 'scope' must evaluate to a resource id");
    // `Microsoft.KeyVault/vaults/kv` (as Bicep writes it) is relative to the deployment's resource group.
    scopeId = scope.startsWith("/") ? scope.replace(/\/$/, "") : `${groupId}/providers/${scope}`;
    if (!scopeId.toLowerCase().startsWith(groupId.toLowerCase()))
      throw notSupported(`The scope '${scope}' (outside the deployment's resource group)`, at);
  }
  const [namespace, ...types] = type.split("/");
  const path = `/providers/${namespace}${types.map((t, index) => `/${t}/${segments[index]}`).join("")}`;
  const id = `${scopeId ?? groupId}${path}`;
  return { definition, id, type, name, apiVersion, scopeId, copy, ctx, at };
}
