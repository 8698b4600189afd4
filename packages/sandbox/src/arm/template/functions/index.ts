/**
 * Every template function the engine knows, by name (ARM's function names
 * ignore case). A name not here is refused before anything runs:
 * "The template function 'X' is not valid".
 */
import { collectionFunctions } from "./collections.ts";
import { logicFunctions } from "./logic.ts";
import { scopeFunctions } from "./scope.ts";
import { stringFunctions } from "./strings.ts";
import { listFunction, templateFunctions } from "./template.ts";
import type { TemplateFunction } from "./types.ts";

const registry: ReadonlyMap<string, TemplateFunction> = new Map(
  Object.entries({
    ...stringFunctions,
    ...collectionFunctions,
    ...logicFunctions,
    ...scopeFunctions,
    ...templateFunctions,
  }),
);

/** `listKeys`, `listSecrets`, `listAccountSas`, …: the `list` prefix and a name. */
const LIST = /^list[A-Za-z0-9]+$/i;

export function lookupFunction(name: string): TemplateFunction | undefined {
  return registry.get(name.toLowerCase()) ?? (LIST.test(name) ? listFunction(name) : undefined);
}

/** The functions that read deployed resources, and so order the deployment (implicit dependencies). */
export const isRuntimeFunction = (name: string) => name.toLowerCase() === "reference" || LIST.test(name);

/** The names the engine supports, for documentation and for the report of what it refuses. */
export const supportedFunctionNames = (): string[] => [...registry.keys(), "list*"].sort();
