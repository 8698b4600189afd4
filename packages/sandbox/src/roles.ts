/**
 * Azure RBAC's vocabulary, shared by every provider: a role definition (its
 * actions on the control plane, its data actions on the data plane, and what
 * it excludes), and how a scope covers a resource. Each provider brings its
 * built-in roles (`roles.ts` in its folder); the registry lists them all.
 */

export interface RoleDefinition {
  readonly name: string;
  /** The built-in role's GUID, the same in every Azure tenant. */
  readonly id: string;
  /** What it says it is for, as `az role definition list` shows. */
  readonly description?: string;
  /** Control-plane actions (through Resource Manager): `Microsoft.Web/sites/write`, `*`. */
  readonly actions: readonly string[];
  /** Control-plane actions taken out of `actions`: Contributor has every action but those that write role assignments. */
  readonly notActions?: readonly string[];
  /** Data-plane actions: `Microsoft.KeyVault/vaults/secrets/getSecret/action`. */
  readonly dataActions: readonly string[];
  readonly notDataActions?: readonly string[];
}

/** True when `scope` is `resource` or one of its parents (case-insensitive, whole segments). */
export function scopeCovers(scope: string, resource: string): boolean {
  const parent = scope.toLowerCase().replace(/\/+$/, "");
  const child = resource.toLowerCase();
  return child === parent || child.startsWith(`${parent}/`) || parent === "/";
}

/** Whether one of the patterns (`*`, `Microsoft.KeyVault/vaults/*`, an exact action) matches the action. */
function matches(patterns: readonly string[], action: string): boolean {
  const wanted = action.toLowerCase();
  return patterns.some((pattern) => {
    const lower = pattern.toLowerCase();
    if (lower === "*") return true;
    if (lower.endsWith("/*")) return wanted.startsWith(lower.slice(0, -1));
    // Azure's wildcards may stand mid-action too, as in Contributor's notActions.
    if (lower.includes("*")) return new RegExp(`^${lower.split("*").map(escapeRegExp).join("[^]*")}$`).test(wanted);
    return lower === wanted;
  });
}
const escapeRegExp = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");

/**
 * Whether a role grants an action. A data action (reading a secret, sending a message) is granted
 * only by `dataActions`: Owner's `*` is every control-plane action, and no data action at all.
 */
export function roleGrants(role: RoleDefinition, action: string, kind: "data" | "control"): boolean {
  return kind === "data"
    ? matches(role.dataActions, action) && !matches(role.notDataActions ?? [], action)
    : matches(role.actions, action) && !matches(role.notActions ?? [], action);
}

/**
 * Whether an action is a data action: one that some built-in role lists among its `dataActions`
 * (the providers' roles say which of their actions act on data).
 */
export function isDataAction(roles: readonly RoleDefinition[], action: string): boolean {
  return roles.some((role) => role.dataActions.some((pattern) => pattern !== "*" && matches([pattern], action)));
}

/** A role by name or id (a bare GUID or a roleDefinitions resource id), as `az role assignment create --role` takes it. */
export function findRoleIn(roles: readonly RoleDefinition[], nameOrId: string): RoleDefinition | undefined {
  const wanted = nameOrId.toLowerCase().replace(/^.*\/roledefinitions\//, "");
  return roles.find((role) => role.name.toLowerCase() === wanted || role.id === wanted);
}
