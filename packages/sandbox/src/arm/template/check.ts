/**
 * Every expression of the template read before anything runs: a syntax
 * error, a function the engine does not know, a wrong number of arguments,
 * or `reference()` where ARM does not allow it is refused here, naming the
 * section and its line, so that a deployment never stops half-way on it.
 */
import {
  ExpressionError,
  notExpectedHere,
  type Position,
  sectionError,
  unknownFunction,
  wrongArgumentCount,
} from "./errors.ts";
import { parseCached } from "./evaluate.ts";
import { isRuntimeFunction, lookupFunction } from "./functions/index.ts";
import { calls, classify } from "./parser.ts";
import type { Template } from "./template.ts";
import { findKey, isObject, type Json } from "./values.ts";

/** Functions Azure has and this sandbox does not carry out: refused by name, not as unknown. */
const NOT_IN_SANDBOX = new Set(
  [
    "utcNow",
    "newGuid",
    "dateTimeAdd",
    "dateTimeFromEpoch",
    "dateTimeToEpoch",
    "pickZones",
    "providers",
    "managementGroup",
    "managementGroupResourceId",
    "filter",
    "map",
    "reduce",
    "sort",
    "toObject",
    "flatten",
    "shallowMerge",
    "objectKeys",
    "tryGet",
    "indexFromEnd",
    "tryIndexFromEnd",
    "cidrSubnet",
    "cidrHost",
    "parseCidr",
    "dataUri",
    "dataUriToString",
    "base64ToJson",
    "lambda",
    "lambdaVariables",
  ].map((name) => name.toLowerCase()),
);

function* strings(value: Json, skip: readonly string[] = []): Generator<string> {
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (isObject(value))
    for (const [key, item] of Object.entries(value)) {
      if (skip.includes(key.toLowerCase())) continue;
      yield key;
      yield* strings(item);
    }
}

/** Checks one section's strings; `runtimeAllowed` says whether `reference()` and `list*()` may appear. */
function checkStrings(values: Iterable<string>, runtimeAllowed: boolean): void {
  for (const text of values) {
    const kind = classify(text);
    if (kind.kind !== "expression") continue;
    for (const call of calls(parseCached(kind.text))) {
      if (NOT_IN_SANDBOX.has(call.name.toLowerCase()))
        throw new ExpressionError(
          `The template function '${call.name}' is not supported by this sandbox, which refuses it rather than skip it`,
        );
      const fn = lookupFunction(call.name);
      if (!fn) throw unknownFunction(call.name);
      if (call.args.length < fn.min || call.args.length > fn.max) throw wrongArgumentCount(call.name, fn.min, fn.max);
      if (!runtimeAllowed && isRuntimeFunction(call.name)) throw notExpectedHere(call.name);
    }
  }
}

function guarded(
  section: "resource" | "variable" | "parameter" | "output",
  name: string,
  at: Position,
  check: () => void,
) {
  try {
    check();
  } catch (error) {
    throw sectionError(section, name, error, at);
  }
}

const IDENTITY_MEMBERS = ["type", "name", "apiversion", "dependson", "copy", "scope"];

/** The names of the functions a value's expressions call. */
export function functionNames(value: Json): string[] {
  const names: string[] = [];
  for (const text of strings(value)) {
    const kind = classify(text);
    if (kind.kind === "expression") for (const call of calls(parseCached(kind.text))) names.push(call.name);
  }
  return names;
}

export function checkExpressions(template: Template): void {
  for (const parameter of template.parameters)
    guarded("parameter", parameter.name, parameter.at, () =>
      checkStrings(strings(parameter.definition[findKey(parameter.definition, "defaultValue") ?? ""] ?? null), false),
    );
  for (const [name, value] of Object.entries(template.variables))
    guarded(
      "variable",
      name,
      template.document.locate([findKey(template.document.value as never, "variables") ?? "variables", name]),
      () => checkStrings([name, ...strings(value)], false),
    );
  for (const resource of template.resources) {
    const label = String(resource.raw[findKey(resource.raw, "name") ?? ""] ?? "");
    guarded("resource", label, resource.at, () => {
      for (const [key, value] of Object.entries(resource.raw)) {
        const lower = key.toLowerCase();
        if (lower === "resources" || lower === "comments" || lower === "metadata") continue;
        checkStrings(strings(value), !IDENTITY_MEMBERS.includes(lower));
      }
    });
  }
  for (const output of template.outputs)
    guarded("output", output.name, output.at, () => checkStrings(strings(output.definition, ["metadata"]), true));
}
