/**
 * The dev container's configuration, read as VS Code and Codespaces read it (JSON with comments,
 * no trailing commas) and checked against the Dev Container specification's schema
 * (`schemas/devContainer.base.schema.json` in devcontainers/spec) for every key this repository
 * uses. No package on npm carries that schema and the Dev Containers CLI needs Docker to read a
 * configuration, so the rules below are the schema's, written out for these keys: a key outside
 * them fails the check until its rule is added here from the spec.
 */
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";

/** A lifecycle command: one shell line, one program with its arguments, or named commands run in parallel. */
export type LifecycleCommand = string | readonly string[] | Readonly<Record<string, string | readonly string[]>>;

export interface PortAttributes {
  readonly label?: string;
  readonly onAutoForward?: string;
  readonly protocol?: string;
  readonly elevateIfNeeded?: boolean;
  readonly requireLocalPort?: boolean;
}

export interface DevContainer {
  readonly name?: string;
  readonly image?: string;
  readonly onCreateCommand?: LifecycleCommand;
  readonly updateContentCommand?: LifecycleCommand;
  readonly postCreateCommand?: LifecycleCommand;
  readonly postStartCommand?: LifecycleCommand;
  readonly forwardPorts?: readonly (number | string)[];
  readonly portsAttributes?: Readonly<Record<string, PortAttributes>>;
  readonly otherPortsAttributes?: PortAttributes;
  readonly customizations?: Readonly<Record<string, unknown>>;
}

/** Reads devcontainer.json as the spec allows it: comments yes, trailing commas no. */
export function parseDevContainer(source: string): { config: DevContainer; errors: string[] } {
  const errors: ParseError[] = [];
  const config = parse(source, errors, { allowTrailingComma: false, disallowComments: false }) as DevContainer;
  return { config, errors: errors.map((error) => `${printParseErrorCode(error.error)} at offset ${error.offset}`) };
}

const isString = (value: unknown): value is string => typeof value === "string";
const isStrings = (value: unknown): boolean => Array.isArray(value) && value.every(isString);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The spec's lifecycle command: a string, an array of strings, or an object of either. */
const isLifecycleCommand = (value: unknown): boolean =>
  isString(value) ||
  isStrings(value) ||
  (isObject(value) && Object.values(value).every((command) => isString(command) || isStrings(command)));

/** The spec's port attributes (portsAttributes' values, and otherPortsAttributes). */
function portAttributeProblems(where: string, value: unknown, onAutoForward: readonly string[]): string[] {
  if (!isObject(value)) return [`${where}: must be an object`];
  const rules: Record<string, (field: unknown) => boolean> = {
    label: isString,
    onAutoForward: (field) => isString(field) && onAutoForward.includes(field),
    protocol: (field) => field === "http" || field === "https",
    elevateIfNeeded: (field) => typeof field === "boolean",
    requireLocalPort: (field) => typeof field === "boolean",
  };
  return Object.entries(value).flatMap(([key, field]) => {
    const rule = rules[key];
    if (!rule) return [`${where}.${key}: not a port attribute in the spec`];
    return rule(field) ? [] : [`${where}.${key}: ${JSON.stringify(field)} is not allowed`];
  });
}

/** What the spec's schema finds wrong in an image-based configuration's keys; none when valid. */
export function specProblems(config: unknown): string[] {
  if (!isObject(config)) return ["the configuration must be a JSON object"];
  const port = (value: unknown) =>
    (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535) ||
    (isString(value) && /^([a-z0-9-]+):(\d{1,5})$/.test(value));
  const rules: Record<string, (value: unknown) => string[]> = {
    name: (value) => (isString(value) ? [] : ["name: must be a string"]),
    image: (value) => (isString(value) ? [] : ["image: must be a string"]),
    onCreateCommand: (value) => (isLifecycleCommand(value) ? [] : ["onCreateCommand: not a command"]),
    updateContentCommand: (value) => (isLifecycleCommand(value) ? [] : ["updateContentCommand: not a command"]),
    postCreateCommand: (value) => (isLifecycleCommand(value) ? [] : ["postCreateCommand: not a command"]),
    postStartCommand: (value) => (isLifecycleCommand(value) ? [] : ["postStartCommand: not a command"]),
    forwardPorts: (value) =>
      Array.isArray(value) && value.every(port) ? [] : ["forwardPorts: must be port numbers or host:port"],
    portsAttributes: (value) =>
      isObject(value)
        ? Object.entries(value).flatMap(([key, attributes]) =>
            portAttributeProblems(`portsAttributes.${key}`, attributes, [
              "notify",
              "openBrowser",
              "openBrowserOnce",
              "openPreview",
              "silent",
              "ignore",
            ]),
          )
        : ["portsAttributes: must be an object"],
    otherPortsAttributes: (value) =>
      portAttributeProblems("otherPortsAttributes", value, [
        "notify",
        "openBrowser",
        "openPreview",
        "silent",
        "ignore",
      ]),
    customizations: (value) => (isObject(value) ? [] : ["customizations: must be an object"]),
  };
  const problems = Object.entries(config).flatMap(([key, value]) => {
    const rule = rules[key];
    return rule ? rule(value) : [`${key}: not a key this check knows from the spec; add its rule from the schema`];
  });
  if (!("image" in config)) problems.push("image: required (an image-based dev container)");
  return problems;
}
