/**
 * The `$filter` of a listing, as Resource Manager reads the ones `az` sends:
 *
 *   resourceType eq 'Microsoft.Web/sites' and name eq 'x'   (az resource list)
 *   resourceGroup eq 'keyless-rg'                           (az resource list -g, az 2.45)
 *   roleName eq 'Key Vault Secrets User'                    (az role assignment create --role)
 *   atScope()                                               (az role assignment list --scope)
 *   principalId eq '…'  /  assignedTo('…')                  (az role assignment list --assignee)
 *
 * conditions joined by `and`; values compare case-insensitively, as ARM's do.
 * Anything else is refused as ARM refuses it: never ignored, which would answer
 * more than was asked for.
 */
import { scopeCovers } from "../roles.ts";
import type { ArmResource } from "./resourceType.ts";
import { ArmFailure } from "./resourceType.ts";

type Test = (resource: ArmResource) => boolean;

const text = (value: unknown) => (typeof value === "string" ? value.toLowerCase() : undefined);
const propertyOf = (resource: ArmResource, name: string) =>
  (resource.properties as Record<string, unknown> | undefined)?.[name] ??
  (resource as unknown as Record<string, unknown>)[name];

/** A member's value as a filter names it. */
function fieldOf(resource: ArmResource, field: string): unknown {
  switch (field.toLowerCase()) {
    case "resourcetype":
      return resource.type;
    case "name":
      return resource.name;
    case "resourcegroup":
      return /\/resourcegroups\/([^/]+)/i.exec(resource.id)?.[1];
    default:
      return propertyOf(resource, field);
  }
}

function condition(source: string, parent: string, filter: string): Test {
  if (/^\s*atScope\(\)\s*$/i.test(source))
    return (resource) => {
      const scope = propertyOf(resource, "scope");
      return typeof scope === "string" && scopeCovers(scope, parent);
    };
  const assigned = /^\s*assignedTo\('([^']*)'\)\s*$/i.exec(source);
  if (assigned) return (resource) => text(propertyOf(resource, "principalId")) === assigned[1]?.toLowerCase();
  const equals = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(source);
  if (equals) {
    const [, field = "", value = ""] = equals;
    const wanted = value.replaceAll("''", "'").toLowerCase();
    return (resource) => text(fieldOf(resource, field)) === wanted;
  }
  throw new ArmFailure(
    400,
    "InvalidFilterInQueryString",
    `Invalid $filter '${filter.slice(0, 200)}' specified in the query string: this sandbox reads 'name eq', 'resourceType eq', 'resourceGroup eq', property 'eq' conditions, atScope() and assignedTo(), joined by 'and'.`,
  );
}

/** The test a listing's `$filter` asks for; everything passes when there is none. */
export function odataFilter(filter: unknown, parent: string): Test {
  if (typeof filter !== "string" || filter.trim() === "") return () => true;
  const tests = filter.split(/\s+and\s+/i).map((source) => condition(source, parent, filter));
  return (resource) => tests.every((test) => test(resource));
}
