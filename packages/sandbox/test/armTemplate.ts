/**
 * infra/ read as data, for static checks of the template: its files, and the
 * few things a reader of ARM template expressions needs (which parameters and
 * variables an expression names, what a copy loop expands to). No expression
 * is evaluated here: the sandbox's template engine does that.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const INFRA_DIR = join(REPO_ROOT, "infra");

export interface TemplateParameter {
  readonly type: string;
  readonly defaultValue?: unknown;
  readonly allowedValues?: readonly unknown[];
  readonly metadata?: { readonly description?: string; readonly suppliedAtDeployTime?: string };
}

export interface TemplateResource {
  readonly type: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly condition?: string;
  readonly copy?: { readonly name: string; readonly count: string };
  readonly scope?: string;
  readonly kind?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly identity?: unknown;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly dependsOn?: readonly string[];
}

export interface Template {
  readonly $schema: string;
  readonly parameters: Readonly<Record<string, TemplateParameter>>;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly resources: readonly TemplateResource[];
  readonly outputs: Readonly<Record<string, { readonly type: string; readonly value: unknown }>>;
}

export interface ParametersFile {
  readonly $schema: string;
  readonly contentVersion: string;
  readonly parameters: Readonly<Record<string, { readonly value?: unknown; readonly metadata?: object }>>;
}

export function readInfraText(file: string): string {
  return readFileSync(join(INFRA_DIR, file), "utf8");
}

export function readInfraJson<T>(file: string): T {
  return JSON.parse(readInfraText(file)) as T;
}

/** `[variables('x')]` → `x`, or undefined when the expression is anything else. */
export function variableName(expression: string): string | undefined {
  return /^\[variables\('(\w+)'\)\]$/.exec(expression)?.[1];
}

/** The inside of an expression: `[f(x)]` → `f(x)`. A literal string stays as it is, quoted. */
export function inner(expression: string): string {
  return expression.startsWith("[") && expression.endsWith("]") ? expression.slice(1, -1) : `'${expression}'`;
}

/** The parameters an expression names, directly or through the variables it names (strings, arrays and objects alike). */
export function parametersBehind(template: Template, expression: unknown, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  const text = JSON.stringify(expression) ?? "";
  for (const [, name] of text.matchAll(/parameters\('(\w+)'\)/g)) if (name) found.add(name);
  for (const [, name] of text.matchAll(/variables\('(\w+)'\)/g)) {
    if (!name || seen.has(name)) continue;
    seen.add(name);
    for (const parameter of parametersBehind(template, template.variables[name], seen)) found.add(parameter);
  }
  return found;
}

/**
 * A resource as its copy loop expands it: one copy per element of the array
 * variable its count measures (`[length(variables('x'))]`). A string that is
 * only `[variables('x')[copyIndex()]]` (or a property of it) becomes the
 * element's value itself; inside a longer expression, the element's
 * expression takes its place. A resource without a loop is itself.
 */
export function expandCopy(template: Template, resource: TemplateResource): TemplateResource[] {
  if (!resource.copy) return [resource];
  const arrayName = /^\[length\(variables\('(\w+)'\)\)\]$/.exec(resource.copy.count)?.[1];
  const elements = arrayName ? template.variables[arrayName] : undefined;
  if (!arrayName || !Array.isArray(elements)) throw new Error(`copy count not understood: ${resource.copy.count}`);
  const element = `variables\\('${arrayName}'\\)\\[copyIndex\\(\\)\\](?:\\.(\\w+))?`;
  const whole = new RegExp(`^\\[${element}\\]$`);
  const within = new RegExp(element, "g");
  return elements.map((item: unknown) => {
    const pick = (property: string | undefined) => (property ? (item as Record<string, unknown>)[property] : item);
    const expand = (value: unknown): unknown => {
      if (typeof value === "string") {
        const match = whole.exec(value);
        if (match) return pick(match[1]);
        return value.replace(within, (original, property: string | undefined) => {
          const picked = pick(property);
          return typeof picked === "string" ? inner(picked) : original;
        });
      }
      if (Array.isArray(value)) return value.map(expand);
      if (value && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [expand(key), expand(item)]));
      return value;
    };
    const expanded = expand(resource) as TemplateResource;
    if (JSON.stringify(expanded).includes("copyIndex()")) throw new Error(`copy of ${resource.name} not understood`);
    return expanded;
  });
}

/** Every resource of the template, copy loops expanded. */
export function allResources(template: Template): TemplateResource[] {
  return template.resources.flatMap((resource) => expandCopy(template, resource));
}

/** The names of the template functions an expression calls. */
export function functionsCalled(expression: string): string[] {
  if (!expression.startsWith("[") || expression.startsWith("[[")) return [];
  // Quoted string literals first, so that words inside them ('Microsoft.Web/sites') are not taken for calls.
  const code = expression.replace(/'(?:[^']|'')*'/g, "''");
  return [...code.matchAll(/([A-Za-z]\w*)\s*\(/g)].map(([, name]) => name ?? "");
}

/** Every string in a JSON value, keys included (ARM evaluates expressions in both). */
export function allStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([key, item]) => [key, ...allStrings(item)]);
  return [];
}
