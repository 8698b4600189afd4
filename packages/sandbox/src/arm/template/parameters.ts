/**
 * Parameters: the values a deployment is given (a parameters file, or the
 * REST body's `parameters` map, `{"name": {"value": …}}`), checked against
 * the template's definitions: type, allowed values, lengths and bounds.
 * A parameter not given takes its `defaultValue`, which may be an
 * expression, even one that reads another parameter.
 *
 * A `securestring` or `secureObject` value never appears in a message: an
 * error names the parameter, never what it was given.
 */
import type { EvalContext } from "./context.ts";
import { ExpressionError, invalidTemplate, notSupported, type Position, sectionError } from "./errors.ts";
import { parseJson } from "./json.ts";
import type { ParameterDefinition, ParameterType, Template } from "./template.ts";
import { deepEquals, findKey, isObject, type Json, type JsonObject, setProperty, typeName } from "./values.ts";
import { evaluateValue } from "./walk.ts";

export interface GivenParameter {
  readonly value: Json;
  readonly at: Position;
}

/** A parameters file, or the bare `{"name": {"value": …}}` map a REST body carries. */
export function parseParameterValues(source: unknown): Map<string, GivenParameter> {
  const given = new Map<string, GivenParameter>();
  if (source === undefined || source === null) return given;
  const document = parseJson(source, "properties.parameters");
  const root = document.value;
  if (!isObject(root)) throw invalidTemplate("The deployment parameters must be a JSON object", document.locate([]));
  const isFile = findKey(root, "$schema") !== undefined || findKey(root, "contentVersion") !== undefined;
  const mapKey = isFile ? findKey(root, "parameters") : undefined;
  const map = mapKey === undefined ? (isFile ? {} : root) : root[mapKey];
  const prefix = mapKey === undefined ? [] : [mapKey];
  if (!isObject(map)) throw invalidTemplate("The deployment parameters must be an object", document.locate(prefix));
  for (const [name, entry] of Object.entries(map)) {
    const at = document.locate([...prefix, name]);
    if (isObject(entry) && findKey(entry, "reference") !== undefined)
      throw notSupported(`The Key Vault reference given for the parameter '${name}'`, at);
    const valueKey = isObject(entry) ? findKey(entry, "value") : undefined;
    if (!isObject(entry) || valueKey === undefined)
      throw invalidTemplate(
        `The value of deployment parameter '${name}' is null. Please specify the value or use the parameter reference`,
        at,
      );
    given.set(name, { value: entry[valueKey] ?? null, at });
  }
  return given;
}

const EXPECTED: Record<ParameterType, string> = {
  string: "String",
  securestring: "String",
  int: "Integer",
  bool: "Boolean",
  object: "Object",
  secureobject: "Object",
  array: "Array",
};

/** The type name ARM writes for a parameter or output in a deployment's answer. */
export const DISPLAY_TYPE: Record<ParameterType, string> = {
  string: "String",
  securestring: "SecureString",
  int: "Int",
  bool: "Bool",
  object: "Object",
  secureobject: "SecureObject",
  array: "Array",
};

export const isSecureType = (type: ParameterType) => type === "securestring" || type === "secureobject";

const fits = (type: ParameterType, value: Json) => {
  const actual = typeName(value);
  return EXPECTED[type] === actual;
};

export interface ResolvedParameter {
  readonly definition: ParameterDefinition;
  readonly value: Json;
  readonly secure: boolean;
}

/**
 * Resolves every parameter of the template: checks the names given, then
 * each value, evaluating defaults (lazily: a default may read a parameter
 * declared after it).
 */
export function resolveParameters(
  template: Template,
  given: ReadonlyMap<string, GivenParameter>,
  baseContext: Omit<EvalContext, "parameter">,
): Map<string, ResolvedParameter> {
  const byName = new Map(template.parameters.map((definition) => [definition.name.toLowerCase(), definition]));
  const unknown = [...given.keys()].filter((name) => !byName.has(name.toLowerCase()));
  if (unknown.length > 0)
    throw invalidTemplate(
      `The template parameters '${unknown.join(", ")}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '${template.parameters.map((p) => p.name).join(", ")}'. Please see https://aka.ms/arm-pass-parameter-values for usage details`,
      given.get(unknown[0] ?? "")?.at,
    );
  const givenLower = new Map([...given].map(([name, entry]) => [name.toLowerCase(), entry]));
  const resolved = new Map<string, ResolvedParameter>();
  const resolving = new Set<string>();

  const context: EvalContext = { ...baseContext, parameter: (name, reader) => read(name, reader) };
  const read = (name: string, reader: EvalContext): Json => {
    const definition = byName.get(name.toLowerCase());
    if (!definition) throw new ExpressionError(`The template parameter '${name}' is not found`);
    const parameter = resolve(definition);
    if (parameter.secure) reader.markSecure();
    return parameter.value;
  };
  const resolve = (definition: ParameterDefinition): ResolvedParameter => {
    const key = definition.name.toLowerCase();
    const done = resolved.get(key);
    if (done) return done;
    if (resolving.has(key))
      throw invalidTemplate(
        `The template parameter '${definition.name}' has a default value that depends on itself`,
        definition.at,
      );
    resolving.add(key);
    const value = givenOrDefault(definition, givenLower.get(key), context);
    check(definition, value);
    const parameter = { definition, value, secure: isSecureType(definition.type) };
    resolved.set(key, parameter);
    resolving.delete(key);
    return parameter;
  };
  for (const definition of template.parameters) resolve(definition);
  return resolved;
}

function givenOrDefault(
  definition: ParameterDefinition,
  given: GivenParameter | undefined,
  context: EvalContext,
): Json {
  if (given !== undefined) return given.value;
  const defaultKey = findKey(definition.definition, "defaultValue");
  if (defaultKey === undefined)
    throw invalidTemplate(
      `The value for the template parameter '${definition.name}' at line '${definition.at.line}' and column '${definition.at.column}' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details`,
      definition.at,
    );
  try {
    return evaluateValue(definition.definition[defaultKey] ?? null, { ...context, runtime: undefined });
  } catch (error) {
    throw sectionError("parameter", definition.name, error, definition.at);
  }
}

function check(definition: ParameterDefinition, value: Json): void {
  const { name, type, at } = definition;
  const fail = (why: string) =>
    invalidTemplate(
      `The provided value for the template parameter '${name}' at line '${at.line}' and column '${at.column}' is not valid. ${why} Please see https://aka.ms/arm-create-parameter-file for usage details`,
      at,
    );
  if (!fits(type, value))
    throw fail(
      `Template parameter JToken type is not valid. Expected '${EXPECTED[type]}'. Actual '${typeName(value)}'.`,
    );
  const rule = (key: string) => {
    const found = findKey(definition.definition, key);
    return found === undefined ? undefined : definition.definition[found];
  };
  const allowed = rule("allowedValues");
  if (Array.isArray(allowed)) {
    const ok = Array.isArray(value)
      ? value.every((item) => allowed.some((option) => deepEquals(option, item)))
      : allowed.some((option) => deepEquals(option, value));
    if (!ok)
      throw fail(
        `The parameter value is not part of the allowed value(s): '${allowed.map((option) => (typeof option === "string" ? option : JSON.stringify(option))).join(",")}'.`,
      );
  }
  const length = typeof value === "string" || Array.isArray(value) ? value.length : undefined;
  const minLength = rule("minLength");
  const maxLength = rule("maxLength");
  if (length !== undefined && typeof minLength === "number" && length < minLength)
    throw fail(`Length of the value should be greater than or equal to '${minLength}'.`);
  if (length !== undefined && typeof maxLength === "number" && length > maxLength)
    throw fail(`Length of the value should be less than or equal to '${maxLength}'.`);
  const minValue = rule("minValue");
  const maxValue = rule("maxValue");
  if (typeof value === "number" && typeof minValue === "number" && value < minValue)
    throw fail(`Value should be greater than or equal to '${minValue}'.`);
  if (typeof value === "number" && typeof maxValue === "number" && value > maxValue)
    throw fail(`Value should be less than or equal to '${maxValue}'.`);
}

/** The parameters as a deployment answers them: secure ones by type alone, with no value. */
export function describeParameters(parameters: ReadonlyMap<string, ResolvedParameter>): JsonObject {
  const answer: JsonObject = {};
  for (const { definition, value, secure } of parameters.values())
    setProperty(
      answer,
      definition.name,
      secure ? { type: DISPLAY_TYPE[definition.type] } : { type: DISPLAY_TYPE[definition.type], value },
    );
  return answer;
}
