/**
 * A template's shape, read and checked before anything is evaluated: the
 * schema (resource-group deployments), the sections, each parameter, each
 * resource (child resources nested in `resources` arrays flattened, each
 * knowing its parent) and each output, with the position of every one.
 */
import { invalidTemplate, notSupported, type Position, TemplateError } from "./errors.ts";
import { type JsonDocument, type JsonPath, parseJson } from "./json.ts";
import { findKey, isObject, type Json, type JsonObject } from "./values.ts";

export const TEMPLATE_SCHEMAS = [
  "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
];

export type ParameterType = "string" | "securestring" | "int" | "bool" | "object" | "secureobject" | "array";
const PARAMETER_TYPES: readonly ParameterType[] = [
  "string",
  "securestring",
  "int",
  "bool",
  "object",
  "secureobject",
  "array",
];

export interface ParameterDefinition {
  readonly name: string;
  readonly type: ParameterType;
  readonly definition: JsonObject;
  readonly at: Position;
}

export interface ResourceDefinition {
  /** The resource's JSON, expressions and all. */
  readonly raw: JsonObject;
  readonly path: JsonPath;
  readonly at: Position;
  /** The resource it is nested in, for a child declared in a `resources` array. */
  readonly parent: ResourceDefinition | undefined;
  /** Its place in the template, read top to bottom: ties in the deployment order follow it. */
  readonly order: number;
}

export interface OutputDefinition {
  readonly name: string;
  readonly type: ParameterType;
  readonly definition: JsonObject;
  readonly at: Position;
}

export interface Template {
  readonly document: JsonDocument;
  readonly contentVersion: string;
  readonly schema: string;
  readonly parameters: readonly ParameterDefinition[];
  readonly variables: JsonObject;
  readonly resources: readonly ResourceDefinition[];
  readonly outputs: readonly OutputDefinition[];
}

const TEMPLATE_KEYS = [
  "$schema",
  "contentVersion",
  "parameters",
  "variables",
  "resources",
  "outputs",
  "metadata",
  "functions",
];
const RESOURCE_KEYS = [
  "type",
  "name",
  "apiVersion",
  "location",
  "tags",
  "sku",
  "kind",
  "plan",
  "identity",
  "properties",
  "dependsOn",
  "condition",
  "copy",
  "resources",
  "comments",
  "scope",
  "zones",
  "managedBy",
  "extendedLocation",
  "metadata",
  "etag",
];
const PARAMETER_KEYS = [
  "type",
  "defaultValue",
  "allowedValues",
  "minValue",
  "maxValue",
  "minLength",
  "maxLength",
  "metadata",
];
const OUTPUT_KEYS = ["type", "value", "copy", "condition", "metadata"];

/** Azure's answer for a member it does not know: the request's JSON does not fit the template's schema. */
function unknownMember(member: string, of: string, at: Position): TemplateError {
  return new TemplateError(
    "InvalidRequestContent",
    `The request content was invalid and could not be deserialized: 'Could not find member '${member}' on object of type '${of}'. Path '${at.path}', line ${at.line}, position ${at.column}.'.`,
    at,
  );
}

function checkMembers(object: JsonObject, allowed: readonly string[], of: string, path: JsonPath, doc: JsonDocument) {
  const known = new Set(allowed.map((key) => key.toLowerCase()));
  for (const key of Object.keys(object))
    if (!known.has(key.toLowerCase())) throw unknownMember(key, of, doc.locate([...path, key]));
}

const member = (object: JsonObject, name: string): Json | undefined => {
  const key = findKey(object, name);
  return key === undefined ? undefined : object[key];
};

function typeOf(definition: JsonObject, what: string, at: Position): ParameterType {
  const type = member(definition, "type");
  const lower = typeof type === "string" ? type.toLowerCase() : "";
  if (!PARAMETER_TYPES.includes(lower as ParameterType))
    throw invalidTemplate(
      `The ${what} at line '${at.line}' and column '${at.column}' has type '${typeof type === "string" ? type : ""}', which is not valid. The supported types are 'string, securestring, int, bool, object, secureObject, array'`,
      at,
    );
  return lower as ParameterType;
}

export function parseTemplate(source: unknown): Template {
  const document = parseJson(source, "properties.template");
  const root = document.value;
  if (!isObject(root)) throw invalidTemplate("The template must be a JSON object", document.locate([]));
  if (member(root, "languageVersion") !== undefined)
    throw notSupported(
      "The template language version (symbolic names, 'languageVersion')",
      document.locate(["languageVersion"]),
    );
  for (const feature of ["apiProfile", "definitions"])
    if (member(root, feature) !== undefined)
      throw notSupported(`The template property '${feature}'`, document.locate([feature]));
  checkMembers(root, TEMPLATE_KEYS, "Template", [], document);

  const schema = member(root, "$schema");
  if (typeof schema !== "string" || !TEMPLATE_SCHEMAS.some((known) => known.toLowerCase() === schema.toLowerCase()))
    throw notSupported(
      `The template schema '${typeof schema === "string" ? schema : ""}' (only resource group deployments, ${TEMPLATE_SCHEMAS[0]})`,
      document.locate(["$schema"]),
    );
  const contentVersion = member(root, "contentVersion");
  if (typeof contentVersion !== "string" || !/^[0-9]+(\.[0-9]+){3}$/.test(contentVersion))
    throw invalidTemplate(
      "The template 'contentVersion' is missing or not valid: it must be four numbers, such as '1.0.0.0'",
      document.locate(["contentVersion"]),
    );
  const functions = member(root, "functions");
  if (functions !== undefined && !(Array.isArray(functions) && functions.length === 0))
    throw notSupported("User-defined functions ('functions')", document.locate(["functions"]));

  const section = (name: string): JsonObject => {
    const value = member(root, name) ?? {};
    if (!isObject(value))
      throw invalidTemplate(`The template '${name}' section must be an object`, document.locate([name]));
    return value;
  };
  const keyOf = (name: string) => findKey(root, name) ?? name;

  const parameters = Object.entries(section("parameters")).map(([name, definition]) => {
    const path = [keyOf("parameters"), name];
    const at = document.locate(path);
    if (!isObject(definition)) throw invalidTemplate(`The template parameter '${name}' must be an object`, at);
    checkMembers(definition, PARAMETER_KEYS, "TemplateInputParameter", path, document);
    return { name, type: typeOf(definition, `template parameter '${name}'`, at), definition, at };
  });

  const outputs = Object.entries(section("outputs")).map(([name, definition]) => {
    const path = [keyOf("outputs"), name];
    const at = document.locate(path);
    if (!isObject(definition)) throw invalidTemplate(`The template output '${name}' must be an object`, at);
    checkMembers(definition, OUTPUT_KEYS, "TemplateOutputParameter", path, document);
    if ((member(definition, "value") === undefined) === (member(definition, "copy") === undefined))
      throw invalidTemplate(`The template output '${name}' must have either 'value' or 'copy'`, at);
    return { name, type: typeOf(definition, `template output '${name}'`, at), definition, at };
  });

  const resources: ResourceDefinition[] = [];
  const collect = (list: Json | undefined, path: JsonPath, parent: ResourceDefinition | undefined) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw invalidTemplate("The template 'resources' must be an array", document.locate(path));
    list.forEach((raw, index) => {
      const itemPath = [...path, index];
      const at = document.locate(itemPath);
      if (!isObject(raw)) throw invalidTemplate("The template resource must be an object", at);
      checkMembers(raw, RESOURCE_KEYS, "TemplateResource", itemPath, document);
      for (const required of ["type", "name", "apiVersion"])
        if (typeof member(raw, required) !== "string")
          throw invalidTemplate(
            `The template resource at line '${at.line}' and column '${at.column}' is not valid: the '${required}' property is missing or not a string`,
            at,
          );
      const resource = { raw, path: itemPath, at, parent, order: resources.length };
      resources.push(resource);
      const children = findKey(raw, "resources");
      if (children !== undefined) collect(raw[children], [...itemPath, children], resource);
    });
  };
  collect(member(root, "resources") ?? [], [keyOf("resources")], undefined);

  return { document, contentVersion, schema, parameters, variables: section("variables"), resources, outputs };
}
