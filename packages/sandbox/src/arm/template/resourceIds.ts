/**
 * Resource ids, the addresses of Azure: how a type and a name become an id
 * (`Microsoft.KeyVault/vaults/secrets` + `kv/s1` → `…/providers/Microsoft.KeyVault/vaults/kv/secrets/s1`),
 * and back again.
 */
import { ExpressionError } from "./errors.ts";

/** `Microsoft.Web/sites/config`: a namespace with a dot, then one or more type names. */
export const isResourceType = (text: string) => /^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+(\/[A-Za-z0-9_.-]+)+$/.test(text);

/** The name segments a type needs: one per type name after the namespace. */
export const typeDepth = (type: string) => type.split("/").length - 1;

/** `/providers/{namespace}/{type1}/{name1}/{type2}/{name2}`: the part of an id after its scope. */
export function providerPath(type: string, names: readonly string[], fn = "resourceId"): string {
  const [namespace, ...types] = type.split("/");
  const segments = names.flatMap((name) => name.split("/"));
  if (segments.length !== types.length || segments.some((segment) => segment === ""))
    throw new ExpressionError(
      `Unable to evaluate template language function '${fn}': the type '${type}' requires '${types.length}' resource name argument(s)`,
    );
  return `/providers/${namespace}${types.map((t, index) => `/${t}/${segments[index]}`).join("")}`;
}

export const subscriptionId = (subscription: string) => `/subscriptions/${subscription}`;
export const resourceGroupId = (subscription: string, group: string) =>
  `/subscriptions/${subscription}/resourceGroups/${group}`;

/** An id read back: its scope (what comes before the last `/providers/`), its full type and its full name. */
export interface ParsedId {
  readonly scope: string;
  readonly type: string;
  readonly name: string;
}

export function parseResourceId(id: string): ParsedId | undefined {
  const at = id.toLowerCase().lastIndexOf("/providers/");
  if (at < 0) return undefined;
  const [namespace, ...rest] = id.slice(at + "/providers/".length).split("/");
  if (!namespace || rest.length === 0 || rest.length % 2 !== 0) return undefined;
  const types = rest.filter((_, index) => index % 2 === 0);
  const names = rest.filter((_, index) => index % 2 === 1);
  return { scope: id.slice(0, at), type: [namespace, ...types].join("/"), name: names.join("/") };
}
