/**
 * A function app's functions and their keys, as Resource Manager serves them
 * (`az functionapp function keys list|set|delete`):
 *
 *   POST   …/sites/{app}/functions/{fn}/listkeys      the function's keys, by name
 *   PUT    …/sites/{app}/functions/{fn}/keys/{name}   add or replace one (a value is made when none is given)
 *   DELETE …/sites/{app}/functions/{fn}/keys/{name}   delete one
 *
 * The sandbox's one function is the third party's RandomNumber, deployed with
 * its app; its keys are the `FunctionKeys` its host accepts, so a change counts
 * at once, is journaled, and (through Resource Manager) is in the Activity log.
 */
import { randomBytes } from "node:crypto";
import type { ResourceId } from "../../arm/resourceId.ts";
import type { ResourceStore } from "../../arm/resourceStore.ts";
import { type ArmResource, ArmFailure, type ResourceTypeHandler } from "../../arm/resourceType.ts";
import type { FunctionKeys } from "./functionKeys.ts";

export const FUNCTION_TYPE = "Microsoft.Web/sites/functions";
export const FUNCTION_KEY_TYPE = "Microsoft.Web/sites/functions/keys";

/** Azure Functions' rule for key names: letters, digits, `.`, `_` and `-`. */
const KEY_NAME = /^[A-Za-z0-9._-]{1,128}$/;
/** The sandbox's floor for a key's value, so that a learner cannot set a guessable one. */
const MIN_KEY_LENGTH = 16;

export interface FunctionTypesOptions {
  readonly resources: ResourceStore;
  /** The function app that runs the sandbox's function, its function's name, and the keys its host accepts. */
  readonly thirdParty: { readonly name: string; readonly functionName: string; readonly keys: FunctionKeys };
  /** Where a site answers: `<name>.azurewebsites.localhost:<port>`. */
  readonly hostNameOf: (site: string) => string;
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

const same = (a: string | undefined, b: string) => (a ?? "").toLowerCase() === b.toLowerCase();

export function functionTypes(options: FunctionTypesOptions): ResourceTypeHandler[] {
  const { thirdParty } = options;
  const siteIdOf = (functionId: string) => functionId.split(/\/functions\//i)[0] ?? "";
  const functionIdOf = (keyId: string) => keyId.split(/\/keys\//i)[0] ?? "";

  /** The function an id names, as ARM shows it; undefined when its app does not have it. */
  const functionAt = (id: string): ArmResource | undefined => {
    const site = options.resources.get(siteIdOf(id));
    const name = id.split("/").at(-1);
    if (!site || !same(site.name, thirdParty.name) || !same(name, thirdParty.functionName)) return undefined;
    return {
      id: `${site.id}/functions/${thirdParty.functionName}`,
      name: thirdParty.functionName,
      type: FUNCTION_TYPE,
      properties: {
        name: thirdParty.functionName,
        function_app_id: site.id,
        invoke_url_template: `https://${options.hostNameOf(site.name)}/api/${thirdParty.functionName.toLowerCase()}`,
        language: "node",
        isDisabled: false,
      },
    };
  };
  const existingFunction = (id: string) => {
    const found = functionAt(id);
    if (!found)
      throw new ArmFailure(
        404,
        "NotFound",
        `Error retrieving function '${(id.split("/").at(-1) ?? "").slice(0, 64)}'.`,
      );
    return found;
  };

  const functions: ResourceTypeHandler = {
    type: FUNCTION_TYPE,
    put: () => {
      throw new ArmFailure(
        400,
        "BadRequest",
        `This sandbox deploys no function code: ${thirdParty.name}'s ${thirdParty.functionName} is its function.`,
      );
    },
    get: (id) => functionAt(id.id),
    list: (parent) => {
      const found = functionAt(`${parent}/functions/${thirdParty.functionName}`);
      return found ? [found] : [];
    },
    actions: {
      // A StringDictionary: the keys by name, in `properties`.
      listkeys: ({ id }) => {
        const found = existingFunction(id.id);
        return { id: found.id, name: found.name, type: FUNCTION_TYPE, properties: thirdParty.keys.list() };
      },
    },
  };

  /** A key as a GET shows it: its name, never its value (that takes `listkeys`, an action Readers do not have). */
  const keyResource = (functionId: string, name: string): ArmResource => ({
    id: `${functionId}/keys/${name}`,
    name,
    type: FUNCTION_KEY_TYPE,
    properties: { name },
  });
  const keyOf = (id: ResourceId) =>
    Object.hasOwn(thirdParty.keys.list(), id.name) && functionAt(functionIdOf(id.id)) ? id.name : undefined;

  const keys: ResourceTypeHandler = {
    type: FUNCTION_KEY_TYPE,
    put({ id, body }) {
      const found = existingFunction(functionIdOf(id.id));
      if (!KEY_NAME.test(id.name))
        throw new ArmFailure(
          400,
          "BadRequest",
          "A function key's name is 1-128 letters, digits, periods, underscores and hyphens.",
        );
      // Older api-versions send KeyInfo as {name, value}, newer ones as {properties: {name, value}}: either is read,
      // and answered in the shape it came in.
      const enveloped = body.properties !== undefined;
      const given = enveloped ? record(body.properties)["value"] : (body as Record<string, unknown>)["value"];
      if (given !== undefined && given !== null && (typeof given !== "string" || given.length < MIN_KEY_LENGTH))
        throw new ArmFailure(
          400,
          "BadRequest",
          `A function key value must be a string of at least ${MIN_KEY_LENGTH} characters.`,
        );
      const value = typeof given === "string" ? given : randomBytes(40).toString("base64");
      thirdParty.keys.set(id.name, value);
      return enveloped
        ? { ...keyResource(found.id, id.name), properties: { name: id.name, value } }
        : ({ name: id.name, value } as unknown as ArmResource);
    },
    get: (id) => (keyOf(id) ? keyResource(functionIdOf(id.id), id.name) : undefined),
    list: (parent) =>
      functionAt(parent) ? Object.keys(thirdParty.keys.list()).map((name) => keyResource(parent, name)) : [],
    delete({ id }) {
      if (!keyOf(id)) return false;
      try {
        return thirdParty.keys.delete(id.name);
      } catch (error) {
        throw new ArmFailure(400, "BadRequest", error instanceof Error ? error.message : String(error));
      }
    },
    activity: (resource) => ({ keyName: resource.name }),
  };
  return [functions, keys];
}
