/**
 * A deployment's template and `--parameters`, read as the Azure CLI reads
 * them (azure-cli's `_process_parameters` and `_get_missing_parameters`):
 *
 * - each `--parameters` item is, in turn: a file path (a parameters file), a
 *   JSON object (`@file` gives the file's text, as az expands `@` itself), or
 *   `name=value`, typed by the template's declaration of `name`;
 * - files and objects are merged parameter by parameter, later over earlier,
 *   as Python's `dict.update`;
 * - a parameter the template requires (no `defaultValue`) and nobody gave is
 *   refused before anything is sent: az cannot prompt without a terminal.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { parse, type ParseError } from "jsonc-parser";
import { type Shell, usage } from "./shell.ts";

type ParameterValues = Record<string, { value?: unknown } & Record<string, unknown>>;

/** What a template declares of a parameter: its type and whether it has a default. */
type Declarations = Readonly<Record<string, { readonly type?: unknown; readonly defaultValue?: unknown }>>;

/** JSON with comments, as az reads templates and parameters files; undefined when it is not JSON. */
function parseJsonc(text: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false }) as unknown;
  return errors.length === 0 && value !== undefined ? value : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A parameters file's `parameters`, or the object itself when it has none (az accepts both). */
const parametersOf = (parsed: unknown): ParameterValues | undefined =>
  isObject(parsed) ? ((isObject(parsed["parameters"]) ? parsed["parameters"] : parsed) as ParameterValues) : undefined;

/**
 * A template file: its text, sent as it is, and its parameter declarations. Files are read where the
 * command was typed (`shell.file`); messages name them as they were given.
 */
export function readTemplate(file: string, shell: Shell): { text: string; parameters: Declarations } {
  if (extname(file).toLowerCase() === ".bicep")
    throw new Error(
      `${file}: this sandbox cannot build Bicep offline (the Azure CLI downloads Bicep on first use). Deploy the ARM JSON: az bicep build --file ${basename(file)} where you are online, or infra/main.json.`,
    );
  if (!existsSync(shell.file(file))) throw new Error(`[Errno 2] No such file or directory: '${file}'`);
  const text = readFileSync(shell.file(file), "utf8");
  const parsed = parseJsonc(text);
  if (!isObject(parsed)) throw new Error(`Failed to parse '${file}', please check whether it is a valid JSON format`);
  return { text, parameters: (isObject(parsed["parameters"]) ? parsed["parameters"] : {}) as Declarations };
}

/** `@path`: the file's text, as az (knack) expands an argument that starts with `@`. */
function expandAt(item: string, shell: Shell): string {
  if (!item.startsWith("@")) return item;
  const path = item.slice(1);
  if (!existsSync(shell.file(path))) throw usage(`[Errno 2] No such file or directory: '${path}'`);
  return readFileSync(shell.file(path), "utf8");
}

function fromFile(item: string, shell: Shell): ParameterValues | undefined {
  let isFile = false;
  try {
    isFile = statSync(shell.file(item)).isFile();
  } catch {
    return undefined;
  }
  if (!isFile) return undefined;
  const text = readFileSync(shell.file(item), "utf8");
  if (!text) return undefined;
  const parameters = parametersOf(parseJsonc(text));
  if (!parameters)
    throw new Error(
      `Failed to parse ${item} with exception:\n    Failed to parse '${item}', please check whether it is a valid JSON format`,
    );
  return parameters;
}

/** `name=value`: typed as the template declares `name` (an object or array is JSON, a bool `true` or not, an int a number). */
function fromPair(declarations: Declarations, item: string, into: ParameterValues, shell: Shell): boolean {
  if (item === "{}" && Object.keys(into).length === 0) return true;
  const at = item.indexOf("=");
  if (at < 0) return false;
  const [name, value] = [item.slice(0, at), item.slice(at + 1)];
  const declared = Object.hasOwn(declarations, name) ? declarations[name] : undefined;
  if (!declared)
    throw new Error(
      `unrecognized template parameter '${name}'. Allowed parameters: ${Object.keys(declarations).sort().join(", ")}`,
    );
  const type = typeof declared.type === "string" ? declared.type.toLowerCase() : "";
  if (["object", "array", "secureobject"].includes(type)) {
    const parsed = parseJsonc(value);
    if (parsed === undefined) throw new Error(`Failed to parse JSON: ${value}`);
    into[name] = { value: parsed };
  } else if (type === "string" || type === "securestring") into[name] = { value };
  else if (type === "bool") into[name] = { value: value.toLowerCase() === "true" };
  else if (type === "int") {
    if (!/^\s*[-+]?\d+\s*$/.test(value)) throw new Error(`invalid literal for int() with base 10: '${value}'`);
    into[name] = { value: Number.parseInt(value, 10) };
  } else {
    shell.warn(`Unrecognized type '${String(declared.type)}' for parameter '${name}'. Interpretting as string.`);
    into[name] = { value };
  }
  return true;
}

/** Every `--parameters` item, merged in order, as the deployment's `parameters`. */
export function processParameters(declarations: Declarations, items: readonly string[], shell: Shell): ParameterValues {
  const parameters: ParameterValues = {};
  for (const given of items) {
    const item = expandAt(given, shell);
    const found = fromFile(item, shell) ?? parametersOf(parseJsonc(item));
    if (found) Object.assign(parameters, found);
    else if (!fromPair(declarations, item, parameters, shell)) throw new Error(`Unable to parse parameter: ${item}`);
  }
  return parameters;
}

/** The template's required parameters nobody gave: refused, as az refuses them with no terminal to prompt on. */
export function checkMissing(
  declarations: Declarations,
  parameters: ParameterValues,
  noPrompt: boolean,
  shell: Shell,
): void {
  const missing = Object.keys(declarations)
    .filter((name) => !Object.hasOwn(declarations[name] ?? {}, "defaultValue"))
    .filter((name) => parameters[name] === undefined || parameters[name] === null)
    .sort();
  if (missing.length === 0) return;
  if (noPrompt) shell.warn(`Missing input parameters: ${missing.join(", ")} `);
  else throw new Error(`Missing input parameters: ${missing.join(", ")}`);
}

/** az's default deployment name: the template file's name without its extension. */
export const deploymentNameOf = (file: string) => basename(file, extname(file));
