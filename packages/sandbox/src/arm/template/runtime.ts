/**
 * `reference()` and `list*()` read the deployed world, through the host,
 * which answers asynchronously; expressions are evaluated synchronously. So
 * a runtime answers from a cache, and a value not yet in it stops the
 * evaluation with a `Lookup`: the caller fetches it and evaluates again
 * (`withLookups`). Evaluation has no side effects, so doing it again is safe.
 *
 * Three runtimes differ in what they do with a resource not there:
 * validation knows nothing yet (every value is Unresolved); what-if treats a
 * resource it has not deployed as Unresolved; deployment says it is missing,
 * as Azure does.
 */
import type { Runtime } from "./context.ts";
import { ExpressionError } from "./errors.ts";
import { resolveTarget } from "./dependencies.ts";
import type { TemplateHost } from "./host.ts";
import { parseResourceId } from "./resourceIds.ts";
import type { ResourceInstance } from "./resources.ts";
import type { Secrets } from "./secrets.ts";
import { isObject, type Json } from "./values.ts";
import { Unresolved } from "./walk.ts";

/** A value the evaluation needs from the host. */
export class Lookup {
  readonly key: string;
  readonly fetch: () => Promise<Json | undefined>;
  constructor(key: string, fetch: () => Promise<Json | undefined>) {
    this.key = key;
    this.fetch = fetch;
  }
}

const MISSING = Symbol("missing");
export type LookupCache = Map<string, Json | typeof MISSING>;

/** Runs a synchronous evaluation, fetching what it asks for, until it completes. */
export async function withLookups<T>(compute: () => T, cache: LookupCache): Promise<T> {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    try {
      return compute();
    } catch (signal) {
      if (!(signal instanceof Lookup)) throw signal;
      const value = await signal.fetch();
      cache.set(signal.key, value === undefined ? MISSING : value);
    }
  }
  throw new ExpressionError("The template reads too many resources");
}

export type RuntimeMode = "validate" | "whatIf" | "deploy";

/** Where `reference('name')` or `reference(id)` points: an id, and the api-version to read it with. */
function target(text: string, apiVersion: string | undefined, instances: readonly ResourceInstance[], fn: string) {
  const found = resolveTarget(text, instances);
  if (found.length > 1)
    throw new ExpressionError(
      `Unable to evaluate template language function '${fn}': the name '${text}' is ambiguous in the template`,
    );
  const inTemplate = found[0];
  if (inTemplate) return { id: inTemplate.id, apiVersion: apiVersion ?? inTemplate.apiVersion };
  if (!text.startsWith("/") || !parseResourceId(text))
    throw new ExpressionError(
      `The resource '${text}' is not defined in the template. Please see https://aka.ms/arm-syntax for usage details`,
    );
  if (!apiVersion)
    throw new ExpressionError(
      `Unable to evaluate template language function '${fn}': the api-version is required for a resource not defined in the template`,
    );
  return { id: text, apiVersion };
}

export function createRuntime(
  mode: RuntimeMode,
  host: TemplateHost,
  instances: readonly ResourceInstance[],
  cache: LookupCache,
  secrets: Secrets,
): Runtime {
  const read = (id: string, apiVersion: string) => {
    const key = `GET ${id.toLowerCase()} ${apiVersion}`;
    if (!cache.has(key)) throw new Lookup(key, () => host.get(id, apiVersion));
    return cache.get(key);
  };
  const notFound = (id: string) => {
    const parsed = parseResourceId(id);
    return new ExpressionError(
      `The Resource '${parsed ? `${parsed.type}/${parsed.name}` : id}' under resource group '${host.scope.resourceGroup.name}' was not found`,
    );
  };
  return {
    reference(text, apiVersion, full) {
      const where = target(text, apiVersion, instances, "reference");
      if (mode === "validate") throw new Unresolved(`reference('${text}')`);
      const resource = read(where.id, where.apiVersion);
      if (resource === MISSING || resource === undefined) {
        if (mode === "whatIf") throw new Unresolved(`reference('${text}')`);
        throw notFound(where.id);
      }
      if (full) return resource;
      return isObject(resource) ? (resource["properties"] ?? {}) : {};
    },
    invoke(text, action, apiVersion, body) {
      const where = target(text, apiVersion, instances, action);
      if (mode === "validate") throw new Unresolved(`${action}('${text}')`);
      if (mode === "whatIf") {
        const exists = read(where.id, where.apiVersion);
        if (exists === MISSING || exists === undefined) throw new Unresolved(`${action}('${text}')`);
      }
      const key = `POST ${where.id.toLowerCase()} ${action.toLowerCase()} ${apiVersion} ${JSON.stringify(body ?? null)}`;
      if (!cache.has(key))
        throw new Lookup(key, async () => {
          const answer = await host.invoke(where.id, action, apiVersion, body);
          secrets.add(answer);
          return answer;
        });
      const answer = cache.get(key);
      if (answer === MISSING || answer === undefined) throw notFound(where.id);
      return answer;
    },
  };
}
