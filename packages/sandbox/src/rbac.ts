/**
 * Azure role-based access control, for data planes: a role assignment gives a
 * principal a role at a scope, and a request is allowed when an assignment at
 * the resource's scope or any scope above it (resource group, subscription)
 * has a role whose data actions include the request's action.
 */
import { randomUUID } from "node:crypto";
import type { Authorizer, Principal } from "./contracts.ts";
import { KEY_VAULT_ROLES } from "./keyvault/roles.ts";
import { QUEUE_ROLES } from "./queue/roles.ts";

export interface RoleDefinition {
  readonly name: string;
  /** The built-in role's GUID, the same in every Azure tenant. */
  readonly id: string;
  /** Control-plane actions (queue create/delete, for example). */
  readonly actions: readonly string[];
  readonly dataActions: readonly string[];
}

/** The built-in roles of the sandbox's services, with Azure's ids and (data) actions. */
export const ROLE_DEFINITIONS: readonly RoleDefinition[] = [...KEY_VAULT_ROLES, ...QUEUE_ROLES];

export interface RoleAssignment {
  readonly id: string;
  readonly principalId: string;
  readonly principalType: "ServicePrincipal" | "User";
  readonly roleDefinitionName: string;
  readonly roleDefinitionId: string;
  readonly scope: string;
  readonly createdOn: string;
  /** When the assignment starts to count (Azure takes a while to propagate). */
  readonly effectiveFrom: number;
  /** When a deleted assignment stops counting. */
  readonly effectiveUntil?: number;
}

export interface NewAssignment {
  readonly principalId: string;
  readonly principalType?: "ServicePrincipal" | "User";
  readonly role: string;
  readonly scope: string;
}

export function findRole(nameOrId: string): RoleDefinition | undefined {
  const wanted = nameOrId.toLowerCase().replace(/^.*\/roledefinitions\//, "");
  return ROLE_DEFINITIONS.find((role) => role.name.toLowerCase() === wanted || role.id === wanted);
}

/** True when `scope` is `resource` or one of its parents (case-insensitive, whole segments). */
export function scopeCovers(scope: string, resource: string): boolean {
  const parent = scope.toLowerCase().replace(/\/+$/, "");
  const child = resource.toLowerCase();
  return child === parent || child.startsWith(`${parent}/`);
}

function grants(patterns: readonly string[], action: string): boolean {
  const wanted = action.toLowerCase();
  return patterns.some((pattern) => {
    const lower = pattern.toLowerCase();
    return lower.endsWith("/*") ? wanted.startsWith(lower.slice(0, -1)) : lower === wanted;
  });
}

export class RoleAssignments implements Authorizer {
  #assignments: RoleAssignment[] = [];
  /** Simulates Azure's propagation time: 0 makes every change count at once. */
  delayMs: number;

  constructor(delayMs = 0) {
    this.delayMs = delayMs;
  }

  /** Creates an assignment, as `az role assignment create` does. Unknown roles throw. */
  add(assignment: NewAssignment, options: { immediately?: boolean } = {}): RoleAssignment {
    const role = findRole(assignment.role);
    if (!role) throw new RoleNotFoundError(assignment.role);
    const existing = this.list({ principalId: assignment.principalId, scope: assignment.scope }).find(
      (found) => found.roleDefinitionId === role.id,
    );
    if (existing) throw new RoleAssignmentExistsError();
    const created: RoleAssignment = {
      id: randomUUID(),
      principalId: assignment.principalId,
      principalType: assignment.principalType ?? "ServicePrincipal",
      roleDefinitionName: role.name,
      roleDefinitionId: role.id,
      scope: assignment.scope,
      createdOn: new Date().toISOString(),
      effectiveFrom: Date.now() + (options.immediately ? 0 : this.delayMs),
    };
    this.#assignments.push(created);
    return created;
  }

  /** Deletes matching assignments (they stop counting after the delay); returns them. */
  remove(filter: { principalId?: string; role?: string; scope?: string; id?: string }): RoleAssignment[] {
    const role = filter.role ? findRole(filter.role) : undefined;
    if (filter.role && !role) throw new RoleNotFoundError(filter.role);
    const matches = (assignment: RoleAssignment) =>
      (!filter.id || assignment.id === filter.id) &&
      (!filter.principalId || assignment.principalId === filter.principalId) &&
      (!role || assignment.roleDefinitionId === role.id) &&
      (!filter.scope || assignment.scope.toLowerCase() === filter.scope.toLowerCase());
    const removed = this.#assignments.filter(
      (assignment) => assignment.effectiveUntil === undefined && matches(assignment),
    );
    const until = Date.now() + this.delayMs;
    this.#assignments = this.#assignments.map((assignment) =>
      removed.includes(assignment) ? { ...assignment, effectiveUntil: until } : assignment,
    );
    return removed;
  }

  /** Current assignments (not deleted), optionally filtered. */
  list(filter: { principalId?: string; scope?: string } = {}): RoleAssignment[] {
    return this.#assignments.filter(
      (assignment) =>
        assignment.effectiveUntil === undefined &&
        (!filter.principalId || assignment.principalId === filter.principalId) &&
        (!filter.scope || scopeCovers(assignment.scope, filter.scope) || scopeCovers(filter.scope, assignment.scope)),
    );
  }

  clear(): void {
    this.#assignments = [];
  }

  isAllowed(principal: Principal, action: string, scope: string): boolean {
    return this.decide(principal, action, scope).allowed;
  }

  /**
   * Azure RBAC's decision, with its reason: the assignment that grants the
   * action, or, for a denial, one that would grant it but has not taken
   * effect yet (Azure's propagation delay).
   */
  decide(principal: Principal, action: string, scope: string): RbacDecision {
    const now = Date.now();
    const granting = this.#assignments.filter((assignment) => {
      if (assignment.principalId !== principal.objectId || !scopeCovers(assignment.scope, scope)) return false;
      const role = findRole(assignment.roleDefinitionId);
      return role !== undefined && (grants(role.dataActions, action) || grants(role.actions, action));
    });
    const inEffect = granting.find(
      (assignment) =>
        assignment.effectiveFrom <= now && (assignment.effectiveUntil === undefined || assignment.effectiveUntil > now),
    );
    if (inEffect) return { allowed: true, assignment: inEffect };
    const pending = granting.find(
      (assignment) => assignment.effectiveFrom > now && assignment.effectiveUntil === undefined,
    );
    return pending ? { allowed: false, pending } : { allowed: false };
  }
}

/** What Azure RBAC decided, and which assignment made it so. */
export interface RbacDecision {
  readonly allowed: boolean;
  /** The assignment that grants the action (it may be deleted and still in effect, until its deletion propagates). */
  readonly assignment?: RoleAssignment;
  /** For a denial: an assignment that grants the action once it takes effect. */
  readonly pending?: RoleAssignment;
}

export class RoleNotFoundError extends Error {
  override name = "RoleNotFoundError";
  constructor(role: string) {
    super(`Role '${role}' doesn't exist.`);
  }
}

export class RoleAssignmentExistsError extends Error {
  override name = "RoleAssignmentExistsError";
  constructor() {
    super("The role assignment already exists.");
  }
}
