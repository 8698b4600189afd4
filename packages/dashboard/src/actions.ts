/**
 * The lessons' actions, each made the way it is made on Azure and recorded
 * where Azure records it:
 * - grant and revoke a role: Resource Manager's REST API as `az role assignment create|delete` calls it, the Activity log;
 * - rotate the third party's key, the Azure Functions way: a new function key (Activity log), the vault
 *   secret set to it as the developer (a sign-in, then Key Vault's SecretSet), the old key deleted;
 * - stop and start Queue Storage: a Resource Health event in the Activity log;
 * - reveal a secret: a SecretGet by the developer, in Key Vault's AuditEvent.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { type Sandbox, THIRD_PARTY_APP, THIRD_PARTY_FUNCTION } from "@keyless/sandbox";
import { armAsDeveloper, vaultAsDeveloper } from "./sandboxCalls.ts";
import { scopeName } from "./views.ts";

export interface ActionResult {
  readonly ok: boolean;
  /** One sentence for the status line. */
  readonly message: string;
}

/** The api-versions the Azure CLI sends: Microsoft.Authorization's, Microsoft.Web's. */
const AUTHORIZATION_API = "2022-04-01";
const WEB_API = "2024-11-01";
const ASSIGNMENTS = "providers/Microsoft.Authorization/roleAssignments";

const done = (message: string): ActionResult => ({ ok: true, message });
const failed = (message: string): ActionResult => ({ ok: false, message });

export async function grant(
  sandbox: Sandbox,
  form: { assignee?: string; role?: string; scope?: string },
): Promise<ActionResult> {
  const { assignee = "", role = "", scope = "" } = form;
  const principal = sandbox.directory.find(assignee);
  const definition = sandbox.rbac.findRole(role);
  if (!principal || !definition || !scope) return failed("Choose who, which role and on what.");
  // As az does: a new GUID names the assignment, the role by its definition's id.
  const name = randomUUID();
  await armAsDeveloper(sandbox, "PUT", `${scope}/${ASSIGNMENTS}/${name}`, AUTHORIZATION_API, {
    properties: {
      roleDefinitionId: `${sandbox.scopes.subscription}/providers/Microsoft.Authorization/roleDefinitions/${definition.id}`,
      principalId: principal.objectId,
      principalType: principal.type === "User" ? "User" : "ServicePrincipal",
    },
  });
  // When it counts is the sandbox's own knowledge (Azure's propagation, which no API shows).
  const effectiveFrom = sandbox.rbac.get(name)?.effectiveFrom ?? 0;
  const propagating = effectiveFrom > Date.now();
  return done(
    `Granted ${definition.name} to ${principal.displayName} on ${scopeName(sandbox, scope)}${propagating ? `: it takes effect at ${new Date(effectiveFrom).toLocaleTimeString("en-GB", { hour12: false })}, once propagated` : ""}.`,
  );
}

export async function revoke(sandbox: Sandbox, form: { id?: string }): Promise<ActionResult> {
  const assignment = sandbox.rbac.list().find((candidate) => candidate.id === form.id);
  if (!assignment) return failed("That role assignment is gone already.");
  await armAsDeveloper(sandbox, "DELETE", `${assignment.scope}/${ASSIGNMENTS}/${assignment.id}`, AUTHORIZATION_API);
  const who = sandbox.directory.describe(assignment.principalId)?.displayName ?? assignment.principalId;
  return done(`Revoked ${assignment.roleDefinitionName} from ${who} on ${scopeName(sandbox, assignment.scope)}.`);
}

/** The Azure Functions way: add the new key, move the callers (the vault secret), delete the old key. Both keys work in between. */
export async function rotateKey(sandbox: Sandbox): Promise<ActionResult> {
  // The secret the deployment put in the vault: the one the apps read.
  const secretName = sandbox.secrets.list()[0]?.name ?? "third-party-api-key";
  // `az functionapp function keys list|set|delete`, through Resource Manager.
  const fn = `${sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/${THIRD_PARTY_APP}/functions/${THIRD_PARTY_FUNCTION}`;
  const listed = await armAsDeveloper<{ properties: Record<string, string> }>(
    sandbox,
    "POST",
    `${fn}/listkeys`,
    WEB_API,
  );
  const before = Object.keys(listed.properties);
  const name = `key-${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`;
  const value = randomBytes(40).toString("base64");
  await armAsDeveloper(sandbox, "PUT", `${fn}/keys/${encodeURIComponent(name)}`, WEB_API, {
    properties: { name, value },
  });
  const saved = await vaultAsDeveloper<{ id: string }>(sandbox, "PUT", `/secrets/${secretName}`, { value });
  for (const old of before.filter((key) => key !== name))
    await armAsDeveloper(sandbox, "DELETE", `${fn}/keys/${encodeURIComponent(old)}`, WEB_API);
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
