/**
 * Microsoft Graph, as `az` asks it who a principal is. The sandbox serves no
 * Graph API for its own `az`: its directory's principals (the admin API's
 * `/principals`) stand in for Graph's users and service principals, and these
 * functions ask them what az asks Graph.
 */
import type { AdminPrincipal } from "../providers/resources/admin.ts";
import type { Connection } from "./connection.ts";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (value: string) => GUID.test(value);

/** Every user and service principal of the directory (read once per command). */
const cache = new WeakMap<Connection, Promise<AdminPrincipal[]>>();
export function principals(connection: Connection): Promise<AdminPrincipal[]> {
  let found = cache.get(connection);
  if (!found) {
    found = connection.admin<AdminPrincipal[]>("GET", "/principals");
    cache.set(connection, found);
  }
  return found;
}

/** Role assignments name a principal's kind as `User` or `ServicePrincipal`. */
export type PrincipalType = "User" | "ServicePrincipal";

/**
 * az's `_resolve_object_id_and_type`: a user principal name (it has an `@`), a
 * service principal name (a service principal's appId), or an object id, in
 * that order; display names are not looked up.
 */
export async function resolveAssignee(
  connection: Connection,
  assignee: string,
): Promise<{ objectId: string; principalType: PrincipalType }> {
  const wanted = assignee.toLowerCase();
  const all = await principals(connection);
  const found =
    (assignee.includes("@")
      ? all.find((principal) => principal.type === "User" && principal.displayName.toLowerCase() === wanted)
      : undefined) ??
    all.find((principal) => principal.type === "ServicePrincipal" && principal.appId?.toLowerCase() === wanted) ??
    (isGuid(assignee) ? all.find((principal) => principal.objectId.toLowerCase() === wanted) : undefined);
  if (!found)
    throw new Error(
      `Cannot find user or service principal in graph database for '${assignee}'. If the assignee is an appId, make sure the corresponding service principal is created with 'az ad sp create --id ${assignee}'.`,
    );
  return { objectId: found.objectId, principalType: found.type === "User" ? "User" : "ServicePrincipal" };
}

/** az's `_get_displayable_name`: a user's principal name, a service principal's first name (its appId). */
export async function displayableNames(connection: Connection): Promise<Map<string, string>> {
  return new Map(
    (await principals(connection)).map((principal) => [
      principal.objectId,
      principal.type === "User" ? principal.displayName : (principal.appId ?? principal.displayName),
    ]),
  );
}
