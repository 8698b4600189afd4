/** Small builders the engine's tests share: a template, an expression evaluated in a plain context. */
import type { EvalContext } from "../../src/arm/template/context.ts";
import { evaluate } from "../../src/arm/template/evaluate.ts";
import type { Json, JsonObject } from "../../src/arm/template/index.ts";
import { parseExpression } from "../../src/arm/template/parser.ts";
import { scope } from "./fakeHost.ts";

export const SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

export const template = (parts: Record<string, unknown> = {}): Record<string, unknown> => ({
  $schema: SCHEMA,
  contentVersion: "1.0.0.0",
  resources: [],
  ...parts,
});

/** An expression's value (the text inside `[...]`), with parameters and variables given directly. */
export function evalExpression(text: string, values: { parameters?: JsonObject; variables?: JsonObject } = {}): Json {
  const ctx: EvalContext = {
    scope: scope(),
    parameter: (name) => {
      const value = values.parameters?.[name];
      if (value === undefined) throw new Error(`no parameter ${name}`);
      return value;
    },
    variable: (name) => {
      const value = values.variables?.[name];
      if (value === undefined) throw new Error(`no variable ${name}`);
      return value;
    },
    copyIndex: () => 0,
    deployment: () => ({ name: "main" }),
    runtime: undefined,
    markSecure: () => {},
    budget: { remaining: 10_000 },
  };
  return evaluate(parseExpression(text), ctx);
}

/** Every string inside a value, keys included: what a secret must be absent from. */
export function allStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([key, item]) => [key, ...allStrings(item)]);
  return [];
}
