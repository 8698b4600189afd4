/**
 * The order of a deployment. A resource waits for what it names in
 * `dependsOn` (a name, a `type/name`, a resource id, or a copy loop's name),
 * for what its expressions read with `reference()` or `list*()` (ARM's
 * implicit dependencies), for the resource it is nested in, and for the one
 * its `scope` names. The order is topological; ties keep the template's
 * order, so a deployment is the same every time. A cycle is refused.
 */
import { circularDependency, ExpressionError, missingDependency, sectionError } from "./errors.ts";
import { evaluate, parseCached } from "./evaluate.ts";
import { isRuntimeFunction } from "./functions/index.ts";
import { calls, classify } from "./parser.ts";
import { member, type ResourceInstance } from "./resources.ts";
import { isObject, type Json } from "./values.ts";
import { evaluateValue } from "./walk.ts";

/** The instances a `dependsOn` entry or a `reference()` target names. */
export function resolveTarget(text: string, instances: readonly ResourceInstance[]): ResourceInstance[] {
  const lower = text.toLowerCase().replace(/\/$/, "");
  if (lower.startsWith("/")) return instances.filter((instance) => instance.id.toLowerCase() === lower);
  const byTypeAndName = instances.filter((instance) => `${instance.type}/${instance.name}`.toLowerCase() === lower);
  if (byTypeAndName.length > 0) return byTypeAndName;
  const byLoop = instances.filter((instance) => instance.copy?.name.toLowerCase() === lower);
  if (byLoop.length > 0) return byLoop;
  const byName = instances.filter((instance) => instance.name.toLowerCase() === lower);
  if (byName.length > 0) return byName;
  // A child declared inside its parent is known by its own name too ("default" for "st/default").
  return instances.filter(
    (instance) => instance.definition.parent && instance.name.toLowerCase().split("/").at(-1) === lower,
  );
}

/** Every string of a JSON value (keys too): where implicit dependencies hide. */
function* stringsOf(value: Json): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsOf(item);
  else if (isObject(value))
    for (const [key, item] of Object.entries(value)) {
      yield key;
      yield* stringsOf(item);
    }
}

/** The targets of `reference()` and `list*()` calls whose first argument is known before deployment. */
function implicitTargets(instance: ResourceInstance): string[] {
  const targets: string[] = [];
  for (const [key, value] of Object.entries(instance.definition.raw)) {
    if (["resources", "dependson", "copy", "comments", "metadata"].includes(key.toLowerCase())) continue;
    for (const text of stringsOf(value)) {
      const kind = classify(text);
      if (kind.kind !== "expression") continue;
      for (const call of calls(parseCached(kind.text))) {
        const first = call.args[0];
        if (!isRuntimeFunction(call.name) || !first) continue;
        try {
          const target = evaluate(first, instance.ctx);
          if (typeof target === "string") targets.push(target);
        } catch {
          // A target computed from another reference() is known only at run time: no static dependency.
        }
      }
    }
  }
  return targets;
}

export interface Ordered {
  /** The instances in deployment order. */
  readonly order: ResourceInstance[];
  /** What each instance waits for. */
  readonly dependsOn: ReadonlyMap<ResourceInstance, ReadonlySet<ResourceInstance>>;
}

export function orderResources(instances: readonly ResourceInstance[]): Ordered {
  const dependsOn = new Map<ResourceInstance, Set<ResourceInstance>>();
  for (const instance of instances) {
    const wants = new Set<ResourceInstance>();
    const explicit = member(instance.definition.raw, "dependsOn");
    if (explicit !== undefined) {
      let entries: Json;
      try {
        entries = evaluateValue(explicit, instance.ctx);
      } catch (error) {
        throw sectionError("resource", instance.name, error, instance.at);
      }
      if (!Array.isArray(entries))
        throw sectionError(
          "resource",
          instance.name,
          new ExpressionError("The 'dependsOn' property must be an array"),
          instance.at,
        );
      for (const entry of entries) {
        if (typeof entry !== "string")
          throw sectionError(
            "resource",
            instance.name,
            new ExpressionError("Each 'dependsOn' entry must be a string"),
            instance.at,
          );
        const found = resolveTarget(entry, instances);
        if (found.length === 0) throw missingDependency(entry, instance.at);
        for (const target of found) wants.add(target);
      }
    }
    // A resource reading its own properties is no dependency (ARM refuses that at run time, not here).
    for (const target of implicitTargets(instance))
      for (const found of resolveTarget(target, instances)) if (found !== instance) wants.add(found);
    const parent = instance.definition.parent;
    if (parent) for (const other of instances) if (other.definition === parent) wants.add(other);
    if (instance.scopeId) for (const found of resolveTarget(instance.scopeId, instances)) wants.add(found);
    // A serial copy loop deploys in batches: each batch waits for the one before.
    const copy = instance.copy;
    if (copy?.serial && copy.index >= copy.batchSize) {
      const batch = Math.floor(copy.index / copy.batchSize);
      for (const other of instances)
        if (
          other.definition === instance.definition &&
          other.copy &&
          Math.floor(other.copy.index / copy.batchSize) === batch - 1
        )
          wants.add(other);
    }
    dependsOn.set(instance, wants);
  }
  return { order: topological(instances, dependsOn), dependsOn };
}

/** Kahn's algorithm, taking the ready instance that comes first in the template each time. */
function topological(
  instances: readonly ResourceInstance[],
  dependsOn: ReadonlyMap<ResourceInstance, ReadonlySet<ResourceInstance>>,
) {
  const order: ResourceInstance[] = [];
  const done = new Set<ResourceInstance>();
  let remaining = [...instances];
  while (remaining.length > 0) {
    const ready = remaining.find((instance) => [...(dependsOn.get(instance) ?? [])].every((other) => done.has(other)));
    if (!ready) {
      const onCycle = findCycle(remaining, dependsOn);
      throw circularDependency(onCycle.id, onCycle.at);
    }
    order.push(ready);
    done.add(ready);
    remaining = remaining.filter((instance) => instance !== ready);
  }
  return order;
}

/** A resource on a cycle (not one merely waiting behind it): follow dependencies until one repeats. */
function findCycle(
  remaining: readonly ResourceInstance[],
  dependsOn: ReadonlyMap<ResourceInstance, ReadonlySet<ResourceInstance>>,
) {
  const pending = new Set(remaining);
  let current = remaining[0] as ResourceInstance;
  const seen = new Set<ResourceInstance>();
  while (!seen.has(current)) {
    seen.add(current);
    current = [...(dependsOn.get(current) ?? [])].find((next) => pending.has(next)) ?? current;
  }
  return current;
}
