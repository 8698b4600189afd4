/**
 * The Azure side of an exercise: the role assignments the lesson gives the
 * app's identity, as `npm run az` commands with the sandbox's real ids. The
 * grader allows exactly these (at the lesson's scope or a narrower one);
 * `npm run exercise -- 0N --solve` makes the identity's roles match them.
 */
import type { AppExercise, RoleGrant } from "./exercises.ts";
import type { WorkspaceAppState, WorkspaceRole, WorkspaceView } from "../running/workspaceControl.ts";

/** How the lessons write a sandbox `az` command. */
export const AZ = "npm run --silent az --";

export interface RequiredRole {
  readonly role: string;
  readonly scope: string;
}

/** True when `scope` is `resource` or one of its parents (case-insensitive, whole segments), as Azure RBAC reads it. */
export function scopeCovers(scope: string, resource: string): boolean {
  const parent = scope.toLowerCase().replace(/\/+$/, "");
  const child = resource.toLowerCase().replace(/\/+$/, "");
  return child === parent || child.startsWith(`${parent}/`);
}

export function requiredRoles(exercise: AppExercise, view: WorkspaceView): RequiredRole[] {
  return exercise.roles.map((grant: RoleGrant) => ({ role: grant.role, scope: view.scopes[grant.scope] }));
}

/**
 * Which lesson roles the identity lacks; which of its roles go beyond them (another role, or the lesson's at a
 * wider scope); and which are the lesson's role on a scope beside the lesson's (another resource, or an id that
 * names none: a typo), which grant the app nothing it needs.
 */
export function compareRoles(
  exercise: AppExercise,
  app: WorkspaceAppState,
  view: WorkspaceView,
): { missing: RequiredRole[]; tooWide: WorkspaceRole[]; misScoped: MisScoped[] } {
  const required = requiredRoles(exercise, view);
  const sameRole = (held: WorkspaceRole, wanted: RequiredRole) => held.role.toLowerCase() === wanted.role.toLowerCase();
  const fits = (held: WorkspaceRole, wanted: RequiredRole) =>
    sameRole(held, wanted) && scopeCovers(wanted.scope, held.scope);
  const beside = (held: WorkspaceRole) =>
    required.find(
      (wanted) =>
        sameRole(held, wanted) && !scopeCovers(wanted.scope, held.scope) && !scopeCovers(held.scope, wanted.scope),
    );
  const extra = app.roles.filter((held) => !required.some((wanted) => fits(held, wanted)));
  return {
    missing: required.filter((wanted) => !app.roles.some((held) => fits(held, wanted))),
    tooWide: extra.filter((held) => !beside(held)),
    misScoped: extra.flatMap((held) => {
      const wanted = beside(held);
      return wanted ? [{ held, wanted }] : [];
    }),
  };
}

/** The lesson's role, held on a scope beside the lesson's: what was meant, and what was done. */
export interface MisScoped {
  readonly held: WorkspaceRole;
  readonly wanted: RequiredRole;
}

/** A mis-scoped assignment in a sentence: where it is, where it should be, and whether its scope exists at all. */
export function misScopedText({ held, wanted }: MisScoped): string {
  const nothingThere = held.scopeExists === false ? ": no resource has that id (a typo?)" : "";
  return `${held.role} is assigned on ${held.scope}, which is not ${scopeName(wanted.scope)}${nothingThere}. A role counts on its scope and below it only.`;
}

/** The arguments of `az role assignment create|delete` for one assignment. */
export function roleArgs(verb: "create" | "delete", principalId: string, role: string, scope: string): string[] {
  return ["role", "assignment", verb, "--assignee", principalId, "--role", role, "--scope", scope];
}

/** A command as the learner types it (npm echoes nothing with --silent): `npm run --silent az -- role assignment create ... --role "Key Vault Secrets User" ...`. */
export function azLine(args: readonly string[]): string {
  return `${AZ} ${args.map((arg) => (/^[\w./:@=-]+$/.test(arg) ? arg : `"${arg.replaceAll('"', '\\"')}"`)).join(" ")}`;
}

/** A scope in a few words: "the vault keyless-kv", "the queue code-requests", "the resource group keyless-rg". */
export function scopeName(scope: string): string {
  const parts = scope.split("/").filter(Boolean);
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) pairs.push([(parts[i] ?? "").toLowerCase(), parts[i + 1] ?? ""]);
  const [kind, name] = pairs.at(-1) ?? ["", scope];
  const words: Record<string, string> = {
    subscriptions: "the subscription",
    resourcegroups: "the resource group",
    vaults: "the vault",
    secrets: "the secret",
    storageaccounts: "the storage account",
    queueservices: "every queue of the storage account",
    queues: "the queue",
  };
  if (kind === "queueservices") return words[kind] ?? scope;
  return `${words[kind] ?? kind} ${name}`;
}

/** Why a role beyond the lesson's matters, in a sentence. */
export function whyTooWide(held: WorkspaceRole, required: readonly RequiredRole[]): string {
  const sameRole = required.find((wanted) => wanted.role.toLowerCase() === held.role.toLowerCase());
  if (sameRole)
    return `${held.role} on ${scopeName(held.scope)} reaches further than ${scopeName(sameRole.scope)}, the one resource the app uses.`;
  const what: Record<string, string> = {
    "storage queue data contributor": "it can also read and delete messages, and manage queues",
    "storage queue data reader": "it can also read every message",
    "storage queue data message processor": "it can also read and delete messages",
    "key vault administrator": "it can also change and delete every secret, key and certificate",
    "key vault secrets officer": "it can also change and delete secrets",
    "key vault reader": "the app does not need it",
  };
  const because = what[held.role.toLowerCase()] ?? "the app does not need it";
  return `${held.role} on ${scopeName(held.scope)}: ${because}. The lesson grants ${required.map((wanted) => `${wanted.role} on ${scopeName(wanted.scope)}`).join(" and ")}, nothing more.`;
}
