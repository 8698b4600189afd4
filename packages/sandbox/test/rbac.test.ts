/**
 * Azure RBAC on the data plane: a role assignment at the secret, the vault or
 * a parent scope grants a data action; without one, Azure's ForbiddenByRbac.
 * Grants made with the `az` CLI count at once, without a restart (or after the
 * configured propagation delay, as on Azure).
 */
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ROLE_DEFINITIONS, RoleAssignments, VAULT_RESOURCE } from "../src/index.ts";
import { az, startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
let client: SecretClient;
let sp: { appId: string; objectId: string };
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
  const seeded = test.sandbox.tenant.servicePrincipals[0];
  sp = { appId: seeded?.appId ?? "", objectId: seeded?.objectId ?? "" };
  const credential = new ClientSecretCredential("adfs", sp.appId, seeded?.secret ?? "", {
    authorityHost: test.sandbox.endpoints.authorityHost,
  });
  client = new SecretClient(test.sandbox.endpoints.keyVaultUrl, credential);
});
afterAll(() => test.stop());

const vaultScope = () => test.sandbox.scopes.vault;

describe("Key Vault denies without a role", () => {
  it("answers 403 ForbiddenByRbac with Azure's message", async () => {
    const { sandbox } = test;
    await sandbox.reset();
    expect(
      (
        await az(
          test.stateDir,
          "role",
          "assignment",
          "delete",
          "--assignee",
          sp.appId,
          "--role",
          "Key Vault Secrets User",
          "--scope",
          vaultScope(),
        )
      ).code,
    ).toBe(0);
    const error = (await client.getSecret("third-party-api-key").catch((caught: unknown) => caught)) as {
      statusCode: number;
      code: string;
      message: string;
      details: unknown;
    };
    expect(error).toMatchObject({ statusCode: 403, code: "Forbidden" });
    expect(error.message).toBe(
      [
        "Caller is not authorized to perform action on resource.",
        "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
        `Caller: appid=${sp.appId};oid=${sp.objectId};iss=https://sts.windows.net/${sandbox.tenant.tenant.id}/`,
        "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'",
        `Resource: '${vaultScope().toLowerCase()}/secrets/third-party-api-key'`,
        "Assignment: (not found)",
        "DenyAssignmentId: null",
        "DecisionReason: 'DeniedWithNoValidRBAC' ",
        `Vault: keyless-kv;location=${sandbox.tenant.deployment.location}`,
        "",
      ].join("\r\n"),
    );
    expect(error.details).toMatchObject({ error: { code: "Forbidden", innerError: { code: "ForbiddenByRbac" } } });
  });

  it("grants again through az role assignment create, with no restart", async () => {
    const created = await az(
      test.stateDir,
      "role",
      "assignment",
      "create",
      "--assignee",
      sp.appId,
      "--role",
      "Key Vault Secrets User",
      "--scope",
      vaultScope(),
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      principalId: sp.objectId,
      principalType: "ServicePrincipal",
      scope: vaultScope(),
    });
    expect((await client.getSecret("third-party-api-key")).value).toBe(test.sandbox.tenant.thirdParty.keys[0]);
  });

  it("a role at one secret's scope grants that secret only", async () => {
    const { sandbox } = test;
    await sandbox.reset();
    sandbox.secrets.set("other-secret", { value: "not yours" });
    sandbox.rbac.remove({ principalId: sp.objectId, scope: vaultScope() });
    const secretScope = `${vaultScope()}/secrets/third-party-api-key`;
    expect(
      (
        await az(
          test.stateDir,
          "role",
          "assignment",
          "create",
          "--assignee-object-id",
          sp.objectId,
          "--assignee-principal-type",
          "ServicePrincipal",
          "--role",
          "Key Vault Secrets User",
          "--scope",
          secretScope,
        )
      ).code,
    ).toBe(0);
    expect((await client.getSecret("third-party-api-key")).value).toBe(sandbox.tenant.thirdParty.keys[0]);
    await expect(client.getSecret("other-secret")).rejects.toMatchObject({ statusCode: 403 });
    // Secrets User reads; it does not write.
    await expect(client.setSecret("third-party-api-key", "mine now")).rejects.toMatchObject({
      statusCode: 403,
      message: expect.stringContaining("setSecret/action"),
    });
  });

  it("inherits a role assigned at the resource group, in any letter case", async () => {
    const { sandbox } = test;
    await sandbox.reset();
    sandbox.rbac.remove({ principalId: sp.objectId });
    sandbox.rbac.add(
      {
        principalId: sp.objectId,
        role: "key vault secrets officer",
        scope: sandbox.scopes.resourceGroup.toUpperCase(),
      },
      { immediately: true },
    );
    await client.setSecret("written-by-officer", "ok");
    expect((await client.getSecret("written-by-officer")).value).toBe("ok");
    await sandbox.reset();
  });
});

describe("role assignment propagation delay", () => {
  // The clock is moved by hand (only Date is faked), so these tests say what the delay does
  // without racing it on a busy machine.
  const later = (ms: number) => vi.setSystemTime(Date.now() + ms);
  afterEach(() => {
    vi.useRealTimers();
  });

  it("denies until the delay has passed, then allows (and the same for a deletion)", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const rbac = new RoleAssignments({ roles: ROLE_DEFINITIONS, delayMs: 30_000 });
    const principal = { objectId: "p1", tenantId: "t" };
    const action = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
    const vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
    rbac.add({ principalId: "p1", role: "Key Vault Secrets User", scope: "/subscriptions/s/resourceGroups/rg" });
    expect(rbac.isAllowed(principal, action, vault)).toBe(false);
    later(29_000);
    expect(rbac.isAllowed(principal, action, vault)).toBe(false);
    later(1_000);
    expect(rbac.isAllowed(principal, action, vault)).toBe(true);
    rbac.remove({ principalId: "p1" });
    expect(rbac.isAllowed(principal, action, vault)).toBe(true);
    later(30_000);
    expect(rbac.isAllowed(principal, action, vault)).toBe(false);
  });

  it("plays lesson 03's exercise as written: a deletion takes the delay to bite, and so does the grant after it", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const rbac = new RoleAssignments({ roles: ROLE_DEFINITIONS, delayMs: 60_000 });
    const principal = { objectId: "mi", tenantId: "t" };
    const action = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
    const vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
    rbac.add({ principalId: "mi", role: "Key Vault Secrets User", scope: vault }, { immediately: true });
    // 1. Delete the role and restart at once: the app still starts, the deletion has not reached the vault.
    rbac.remove({ principalId: "mi", role: "Key Vault Secrets User", scope: vault });
    expect(rbac.isAllowed(principal, action, vault)).toBe(true);
    expect(rbac.list({ principalId: "mi" })).toEqual([]); // az role assignment list no longer shows it
    // 2. A minute later: 403.
    later(60_000);
    expect(rbac.isAllowed(principal, action, vault)).toBe(false);
    // 3. Grant it again and restart at once: still 403, with the grant named as on its way.
    rbac.add({ principalId: "mi", role: "Key Vault Secrets User", scope: vault });
    expect(rbac.decide(principal, action, vault)).toMatchObject({
      allowed: false,
      pending: { roleDefinitionName: "Key Vault Secrets User" },
    });
    later(59_000);
    expect(rbac.isAllowed(principal, action, vault)).toBe(false);
    // 4. Once the minute has passed: it starts.
    later(1_000);
    expect(rbac.isAllowed(principal, action, vault)).toBe(true);
  });

  it("lets each change land after the delay, in order: a role granted again too soon still works at once (why the lesson waits in between)", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const rbac = new RoleAssignments({ roles: ROLE_DEFINITIONS, delayMs: 60_000 });
    const principal = { objectId: "mi", tenantId: "t" };
    const action = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
    const vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
    rbac.add({ principalId: "mi", role: "Key Vault Secrets User", scope: vault }, { immediately: true });
    rbac.remove({ principalId: "mi", role: "Key Vault Secrets User", scope: vault });
    later(10_000);
    rbac.add({ principalId: "mi", role: "Key Vault Secrets User", scope: vault });
    // What the newcomer saw: granted again and restarted at once, a 200, since the deletion had not landed yet.
    expect(rbac.isAllowed(principal, action, vault)).toBe(true);
    later(50_000); // the deletion lands
    expect(rbac.isAllowed(principal, action, vault)).toBe(false);
    later(10_000); // and then the new grant
    expect(rbac.isAllowed(principal, action, vault)).toBe(true);
  });

  it("applies to the running vault (the sandbox's roleAssignmentDelayMs)", async () => {
    const { sandbox } = test;
    await sandbox.reset();
    sandbox.rbac.remove({ principalId: sp.objectId });
    // startSandbox({ roleAssignmentDelayMs }) sets this; changing it here saves starting a second sandbox.
    sandbox.rbac.delayMs = 60_000;
    try {
      const token = await sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId: sp.objectId, appId: sp.appId });
      const get = () =>
        fetch(`${sandbox.endpoints.keyVaultUrl}/secrets/third-party-api-key?api-version=7.6`, {
          headers: { authorization: `Bearer ${token}` },
        }).then((r) => r.status);
      vi.useFakeTimers({ toFake: ["Date"] });
      later(60_000); // the removal above has now propagated
      expect(await get()).toBe(403);
      sandbox.rbac.add({ principalId: sp.objectId, role: "Key Vault Secrets User", scope: vaultScope() });
      expect(await get()).toBe(403);
      later(60_000);
      expect(await get()).toBe(200);
    } finally {
      vi.useRealTimers();
      sandbox.rbac.delayMs = 0;
      await sandbox.reset();
    }
  });
});

describe("Storage queue roles (for the queue gateway)", () => {
  const queue = () => test.sandbox.scopes.queue("code-requests");
  const QUEUE_ACTION = "Microsoft.Storage/storageAccounts/queueServices/queues/messages";

  it("lets step 04's identity only send messages (Storage Queue Data Message Sender, at the queue)", () => {
    const { sandbox } = test;
    const step04 = {
      objectId: sandbox.directory.apps.get("keyless-step-04")?.objectId ?? "",
      tenantId: sandbox.tenant.tenant.id,
    };
    expect(sandbox.rbac.isAllowed(step04, `${QUEUE_ACTION}/add/action`, queue())).toBe(true);
    expect(sandbox.rbac.isAllowed(step04, `${QUEUE_ACTION}/read`, queue())).toBe(false);
    expect(sandbox.rbac.isAllowed(step04, `${QUEUE_ACTION}/add/action`, sandbox.scopes.queue("other-queue"))).toBe(
      false,
    );
  });

  it("lets the developer do everything on queues (Storage Queue Data Contributor, at the resource group) and step 03 nothing", () => {
    const { sandbox } = test;
    const learner = { objectId: sandbox.directory.users[0]?.objectId ?? "", tenantId: sandbox.tenant.tenant.id };
    const step03 = {
      objectId: sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "",
      tenantId: sandbox.tenant.tenant.id,
    };
    for (const action of ["read", "write", "delete", "add/action", "process/action"])
      expect(sandbox.rbac.isAllowed(learner, `${QUEUE_ACTION}/${action}`, queue())).toBe(true);
    expect(sandbox.rbac.isAllowed(step03, `${QUEUE_ACTION}/add/action`, queue())).toBe(false);
  });

  it("does not confuse a scope with a longer sibling name", () => {
    const { sandbox } = test;
    const step04 = {
      objectId: sandbox.directory.apps.get("keyless-step-04")?.objectId ?? "",
      tenantId: sandbox.tenant.tenant.id,
    };
    expect(sandbox.rbac.isAllowed(step04, `${QUEUE_ACTION}/add/action`, `${queue()}-archive`)).toBe(false);
  });
});

describe("reset", () => {
  it("returns secrets, role assignments and third-party keys to the provisioned state, also over the admin API", async () => {
    const { sandbox } = test;
    const provisioned = sandbox.rbac.list().length;
    sandbox.secrets.set("third-party-api-key", { value: "rotated" });
    sandbox.rbac.remove({});
    sandbox.thirdParty.setKeys(["another-key"]);
    const response = await fetch(`${sandbox.endpoints.admin.url}/reset`, {
      method: "POST",
      headers: { "x-keyless-admin-key": sandbox.endpoints.admin.key },
    });
    expect(response.status).toBe(200);
    expect(sandbox.secrets.get("third-party-api-key")?.versions.map((v) => v.value)).toEqual([
      sandbox.tenant.thirdParty.keys[0],
    ]);
    expect(sandbox.rbac.list()).toHaveLength(provisioned);
    expect(sandbox.thirdParty.keys()).toEqual(sandbox.tenant.thirdParty.keys);
    const refused = await fetch(`${sandbox.endpoints.admin.url}/reset`, { method: "POST" });
    expect(refused.status).toBe(401);
  });
});

describe("a deny assignment", () => {
  it("refuses one principal's data actions at its scope whatever its roles, is logged as such, and ends", async () => {
    const { sandbox } = test;
    await sandbox.reset();
    expect((await client.getSecret("third-party-api-key")).value).toBeTruthy();
    const deny = sandbox.rbac.deny({
      principalId: sp.objectId,
      scope: vaultScope(),
      description: "a test refusing reads on purpose.",
      ms: 60_000,
    });
    const refused = (await client.getSecret("third-party-api-key").catch((caught: unknown) => caught)) as {
      statusCode: number;
    };
    expect(refused.statusCode).toBe(403);
    const logged = sandbox.audit.list({}).findLast((event) => event.operationName === "SecretGet");
    expect(logged?.authorization).toMatchObject({
      decision: "Denied",
      denyAssignment: "a test refusing reads on purpose.",
    });
    // Another principal, and a control-plane action, are not its business.
    const other = { objectId: "00000000-0000-0000-0000-000000000001", tenantId: sandbox.tenant.tenant.id };
    expect(sandbox.rbac.decide(other, "Microsoft.KeyVault/vaults/secrets/getSecret/action", vaultScope()).denied).toBe(
      undefined,
    );
    sandbox.rbac.removeDeny(deny.id);
    expect((await client.getSecret("third-party-api-key")).value).toBeTruthy();
    // One that ends by itself.
    sandbox.rbac.deny({ principalId: sp.objectId, scope: vaultScope(), description: "a moment.", ms: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await client.getSecret("third-party-api-key")).value).toBeTruthy();
  });
});
