/**
 * The lessons' actions, each made the way it is made on Azure and recorded
 * where Azure records it:
 * - grant and revoke a role: Resource Manager (`az role assignment create|delete`), the Activity log;
 * - rotate the third party's key, the Azure Functions way: a new function key (Activity log), the vault
 *   secret set to it as the developer (a sign-in, then Key Vault's SecretSet), the old key deleted;
 * - stop and start Queue Storage: a Resource Health event in the Activity log;
 * - reveal a secret: a SecretGet by the developer, in Key Vault's AuditEvent.
 */
import { randomBytes } from "node:crypto";
import type { Sandbox } from "@keyless/sandbox";
import { admin, vaultAsDeveloper } from "./sandboxCalls.ts";
import { scopeName } from "./views.ts";

export interface ActionResult {
  readonly ok: boolean;
  /** One sentence for the status line. */
  readonly message: string;
}

const done = (message: string): ActionResult => ({ ok: true, message });
const failed = (message: string): ActionResult => ({ ok: false, message });

export async function grant(
  sandbox: Sandbox,
  form: { assignee?: string; role?: string; scope?: string },
): Promise<ActionResult> {
  const { assignee = "", role = "", scope = "" } = form;
  const principal = sandbox.directory.find(assignee);
  if (!principal || !role || !scope) return failed("Choose who, which role and on what.");
  const created = await admin<{ effectiveFrom: number }>(sandbox, "POST", "/role-assignments", {
    assignee: principal.objectId,
    role,
    scope,
  });
  const propagating = created.effectiveFrom > Date.now();
  return done(
    `Granted ${role} to ${principal.displayName} on ${scopeName(sandbox, scope)}${propagating ? `: it takes effect at ${new Date(created.effectiveFrom).toLocaleTimeString("en-GB", { hour12: false })}, once propagated` : ""}.`,
  );
}

export async function revoke(sandbox: Sandbox, form: { id?: string }): Promise<ActionResult> {
  const assignment = sandbox.rbac.list().find((candidate) => candidate.id === form.id);
  if (!assignment) return failed("That role assignment is gone already.");
  await admin(sandbox, "DELETE", "/role-assignments", { id: assignment.id });
  const who = sandbox.directory.describe(assignment.principalId)?.displayName ?? assignment.principalId;
  return done(`Revoked ${assignment.roleDefinitionName} from ${who} on ${scopeName(sandbox, assignment.scope)}.`);
}

/** The Azure Functions way: add the new key, move the callers (the vault secret), delete the old key. Both keys work in between. */
export async function rotateKey(sandbox: Sandbox): Promise<ActionResult> {
  const secretName = Object.keys(sandbox.seed.keyVault.secrets)[0] ?? "third-party-api-key";
  const before = Object.keys(await admin<Record<string, string>>(sandbox, "GET", "/function-keys"));
  const name = `key-${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`;
  const value = randomBytes(40).toString("base64");
  await admin(sandbox, "PUT", `/function-keys/${encodeURIComponent(name)}`, { value });
  const saved = await vaultAsDeveloper<{ id: string }>(sandbox, "PUT", `/secrets/${secretName}`, { value });
  for (const old of before.filter((key) => key !== name))
    await admin(sandbox, "DELETE", `/function-keys/${encodeURIComponent(old)}`);
  return done(
    `Rotated: new function key ${name}; ${secretName} is now version ${saved.id.split("/").at(-1)?.slice(0, 8) ?? ""}…; deleted ${before.join(", ") || "no old key"}. The apps' next call reads the vault again.`,
  );
}

function health(sandbox: Sandbox, available: boolean): void {
  const user = sandbox.directory.users[0];
  sandbox.audit.record({
    category: "AzureActivity",
    operationName: available
      ? "Microsoft.ResourceHealth/healthevent/Resolved/action"
      : "Microsoft.ResourceHealth/healthevent/Activated/action",
    resultType: "Success",
    statusCode: 200,
    ...(user ? { caller: { objectId: user.objectId, type: "User" as const } } : {}),
    resource: sandbox.scopes.storageAccount,
    properties: {
      activityCategory: "ResourceHealth",
      currentHealthStatus: available ? "Available" : "Unavailable",
      cause: "UserInitiated",
      title: available ? "Queue Storage started from the live view" : "Queue Storage stopped from the live view",
    },
  });
}

export async function stopQueue(sandbox: Sandbox): Promise<ActionResult> {
  sandbox.queue.setAvailable(false);
  health(sandbox, false);
  return done(
    "Queue Storage stopped: its gateway answers 503 ServerBusy, and step 04 issues no code until it is back.",
  );
}

export async function startQueue(sandbox: Sandbox): Promise<ActionResult> {
  sandbox.queue.setAvailable(true);
  health(sandbox, true);
  return done("Queue Storage started.");
}

/** A secret's current value, read as the developer: Key Vault records the SecretGet. */
export async function reveal(sandbox: Sandbox, name: string): Promise<string> {
  const secret = await vaultAsDeveloper<{ value: string }>(sandbox, "GET", `/secrets/${encodeURIComponent(name)}/`);
  return secret.value;
}
