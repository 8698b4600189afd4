/**
 * Azure role-based access control: a role assignment gives a principal a role
 * at a scope, and a request is allowed when an assignment at the resource's
 * scope or any scope above it (resource group, subscription) has a role whose
 * actions (control plane) or data actions (data plane) include the request's.
 *
 * Assignments are kept in the state store, so they outlive a restart as they
 * do on Azure; the decision reads a copy in memory (this process is the only
 * writer), so that every request's RBAC check costs no disk read.
 */
import { randomUUID } from "node:crypto";
import type {
  ActionKind,
  Authorizer,
  DenyAssignment,
  Principal,
  RbacDecision,
  RoleAssignment,
} from "../../contracts.ts";

export type { DenyAssignment, RbacDecision, RoleAssignment } from "../../contracts.ts";
import { findRoleIn, isDataAction, roleGrants, scopeCovers, type RoleDefinition } from "../../roles.ts";
import type { Journal } from "../../state/journal.ts";
import type { Collection, StateStore } from "../../state/store.ts";

export interface NewAssignment {
  /** A GUID to name it by (ARM's PUT names it); a new one when not given. */
  readonly id?: string;
  readonly principalId: string;
  readonly principalType?: "ServicePrincipal" | "User";
  readonly role: string;
  readonly scope: string;
  readonly description?: string;
}

export interface AssignmentFilter {
  readonly principalId?: string;
  readonly role?: string;
  readonly scope?: string;
  readonly id?: string;
}

export class RoleAssignments implements Authorizer {
  readonly #roles: readonly RoleDefinition[];
  readonly #state: StateStore | undefined;
  readonly #stored: Collection<RoleAssignment> | undefined;
  #assignments: RoleAssignment[];
  readonly #journal: Journal | undefined;
  readonly #nameOf: (principalId: string) => string | undefined;
  /** Simulates Azure's propagation time: 0 makes every change count at once. */
  delayMs: number;
  /** Deny assignments, in memory only: each for a moment (see DenyAssignment). */
  #denies: DenyAssignment[] = [];

  /**
   * `roles`: every built-in role the providers bring. `state`: where the
   * assignments are kept (none: in memory only, for unit tests).
   */
  constructor(options: {
    roles: readonly RoleDefinition[];
    delayMs?: number;
    state?: StateStore;
    /** Where each change is journaled, with `nameOf` to name its principal. */
    journal?: Journal;
    nameOf?: (principalId: string) => string | undefined;
  }) {
    this.#roles = options.roles;
    this.#journal = options.journal;
    this.#nameOf = options.nameOf ?? (() => undefined);
    this.delayMs = options.delayMs ?? 0;
    this.#state = options.state;
    this.#stored = options.state?.collection<RoleAssignment>("roleAssignments");
    // Deletions that have propagated since the last run are gone for good.
    const now = Date.now();
    this.#assignments = (this.#stored?.values() ?? []).filter(
      (assignment) => assignment.effectiveUntil === undefined || assignment.effectiveUntil > now,
    );
  }

  /** An assignment in words, for the journal: "Key Vault Secrets User for keyless-step-03 on …/keyless-kv". */
  #describe(assignment: RoleAssignment): string {
    const who = this.#nameOf(assignment.principalId) ?? assignment.principalId;
    return `${assignment.roleDefinitionName} for ${who} on ${assignment.scope.replace(/^\/subscriptions\/[^/]+/i, "…")}`;
  }

  /** The built-in roles assignments can name. */
  get roles(): readonly RoleDefinition[] {
    return this.#roles;
  }

  findRole(nameOrId: string): RoleDefinition | undefined {
    return findRoleIn(this.#roles, nameOrId);
  }

  /** Creates an assignment, as `az role assignment create` does. Unknown roles and duplicates throw. */
  add(assignment: NewAssignment, options: { immediately?: boolean } = {}): RoleAssignment {
    const role = this.findRole(assignment.role);
    if (!role) throw new RoleNotFoundError(assignment.role);
    const same = (found: RoleAssignment) =>
      found.principalId === assignment.principalId &&
      found.roleDefinitionId === role.id &&
      found.scope.toLowerCase() === assignment.scope.toLowerCase();
    if (this.list().some(same)) throw new RoleAssignmentExistsError();
    const created: RoleAssignment = {
      id: assignment.id ?? randomUUID(),
      principalId: assignment.principalId,
      principalType: assignment.principalType ?? "ServicePrincipal",
      roleDefinitionName: role.name,
      roleDefinitionId: role.id,
      scope: assignment.scope,
      ...(assignment.description ? { description: assignment.description } : {}),
      createdOn: new Date().toISOString(),
      effectiveFrom: Date.now() + (options.immediately ? 0 : this.delayMs),
    };
    this.#state?.transaction(() => {
      this.#stored?.put(created.id, created);
      this.#journal?.record("role assignment created", this.#describe(created));
    });
    this.#assignments = [...this.#assignments.filter((kept) => kept.id !== created.id), created];
    return created;
  }

  /** Deletes matching assignments (they stop counting after the delay); returns them. */
  remove(filter: AssignmentFilter): RoleAssignment[] {
    const role = filter.role ? this.findRole(filter.role) : undefined;
    if (filter.role && !role) throw new RoleNotFoundError(filter.role);
    const matches = (assignment: RoleAssignment) =>
      (!filter.id || assignment.id === filter.id) &&
      (!filter.principalId || assignment.principalId === filter.principalId) &&
      (!role || assignment.roleDefinitionId === role.id) &&
      (!filter.scope || assignment.scope.toLowerCase() === filter.scope.toLowerCase());
    const removed = this.#assignments.filter(
      (assignment) => assignment.effectiveUntil === undefined && matches(assignment),
    );
    const effectiveUntil = Date.now() + this.delayMs;
    const ended = removed.map((assignment) => ({ ...assignment, effectiveUntil }));
    const store = this.#stored;
    this.#state?.transaction(() => {
      for (const assignment of ended) {
        // A deletion that takes effect now needs no record; one that propagates is kept until it has.
        if (this.delayMs > 0) store?.put(assignment.id, assignment);
        else store?.delete(assignment.id);
        this.#journal?.record("role assignment deleted", this.#describe(assignment));
      }
    });
    this.#assignments = this.#assignments.map(
      (assignment) => ended.find((end) => end.id === assignment.id) ?? assignment,
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

  /** One assignment by its name (a GUID), while it exists. */
  get(id: string): RoleAssignment | undefined {
    return this.list().find((assignment) => assignment.id.toLowerCase() === id.toLowerCase());
  }

  /** Every assignment gone, for a reset: in the caller's transaction. */
  clear(): void {
    this.#stored?.clear();
    this.#assignments = [];
  }

  /** Reads the assignments again from the state (after a reset wrote it anew). */
  reload(): void {
    this.#assignments = this.#stored?.values() ?? [];
  }

  /**
   * Blocks one principal's data actions at a scope (and below) for at most `ms`, whatever its roles: a
   * deny assignment, as Azure has them. Not kept in the state, nor journaled: it is no caller's change.
   */
  deny(assignment: { principalId: string; scope: string; description: string; ms: number }): DenyAssignment {
    const created: DenyAssignment = {
      id: randomUUID(),
      principalId: assignment.principalId,
      scope: assignment.scope,
      description: assignment.description,
      until: Date.now() + assignment.ms,
    };
    this.#denies = [...this.#denies.filter((deny) => deny.until > Date.now()), created];
    return created;
  }

  /** Ends a deny assignment before its time. */
  removeDeny(id: string): void {
    this.#denies = this.#denies.filter((deny) => deny.id !== id && deny.until > Date.now());
  }

  isAllowed(principal: Principal, action: string, scope: string, kind?: ActionKind): boolean {
    return this.decide(principal, action, scope, kind).allowed;
  }

  /**
   * Azure RBAC's decision, with its reason: the assignment that grants the
   * action, or, for a denial, one that would grant it but has not taken
   * effect yet (Azure's propagation delay).
   */
  decide(principal: Principal, action: string, scope: string, given?: ActionKind): RbacDecision {
    const now = Date.now();
    // Resource Manager says its actions are control-plane ones: `Microsoft.KeyVault/vaults/write` is,
    // though Key Vault Administrator's data actions (`Microsoft.KeyVault/vaults/*`) would match it.
    const kind = given ?? (isDataAction(this.#roles, action) ? "data" : "control");
    const denied = this.#denies.find(
      (deny) =>
        kind === "data" &&
        deny.until > now &&
        deny.principalId === principal.objectId &&
        scopeCovers(deny.scope, scope),
    );
    if (denied) return { allowed: false, denied };
    const granting = this.#assignments.filter((assignment) => {
      if (assignment.principalId !== principal.objectId || !scopeCovers(assignment.scope, scope)) return false;
      const role = this.findRole(assignment.roleDefinitionId);
      return role !== undefined && roleGrants(role, action, kind);
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
