/**
 * The `az` commands the lessons suggest beyond the ones they run step by
 * step: `az storage queue create` (the fix for a missing queue), `az storage
 * account show` (Resource Manager's account, whose id is the scope of a role on
 * one queue) and `az ad app credential reset` (the fix for an expired client secret). Real syntax, real
 * output shapes, and a real change in the running sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { az, azJson, getSecretInChild, startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
const run = (...args: string[]) => az(test.stateDir, ...args);
const json = (...args: string[]) => azJson(test.stateDir, ...args);

beforeAll(async () => {
  test = await startTestSandbox();
  await test.sandbox.ready;
});
afterAll(() => test.stop());

describe("az storage", () => {
  it("account show: the account's resource id, the base of a queue's scope", async () => {
    const account = test.sandbox.world.storageAccount;
    const shown = await json(
      "storage",
      "account",
      "show",
      "--name",
      account,
      "--resource-group",
      test.sandbox.tenant.deployment.resourceGroup,
    );
    expect(shown).toMatchObject({
      id: test.sandbox.scopes.storageAccount,
      name: account,
      kind: "StorageV2",
      type: "Microsoft.Storage/storageAccounts",
      allowSharedKeyAccess: false,
    });
    const id = await run("storage", "account", "show", "--name", account, "--query", "id", "--output", "tsv");
    // What step 04's hint builds the queue's scope from.
    expect(`${id.stdout.trim()}/queueServices/default/queues/code-requests`).toBe(
      test.sandbox.scopes.queue("code-requests"),
    );
    // Without -g, az looks the account up among the subscription's, and says so in its own words (exit 2).
    const missing = await run("storage", "account", "show", "--name", "nosuchaccount");
    expect(missing).toMatchObject({ code: 2, stderr: "ERROR: Storage account 'nosuchaccount' not found.\n" });
    // With -g, Resource Manager's 404 (exit 3).
    const inGroup = await run("storage", "account", "show", "--name", "nosuchaccount", "-g", "keyless-rg");
    expect(inGroup.code).toBe(3);
    expect(inGroup.stderr).toMatch(
      /^ERROR: \(ResourceNotFound\) The Resource 'Microsoft\.Storage\/storageAccounts\/nosuchaccount'/,
    );
  });

  it("queue create, exists, list and delete print az's shapes and change the account", async () => {
    const target = ["--account-name", test.sandbox.world.storageAccount, "--auth-mode", "login"];
    expect(await json("storage", "queue", "exists", "--name", "lesson-queue", ...target)).toEqual({ exists: false });
    expect(await json("storage", "queue", "create", "--name", "lesson-queue", ...target)).toEqual({ created: true });
    expect(await json("storage", "queue", "create", "--name", "lesson-queue", ...target)).toEqual({ created: false });
    const again = await run("storage", "queue", "create", "--name", "lesson-queue", "--fail-on-exist", ...target);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^ERROR: \(QueueAlreadyExists\) /);
    expect(await json("storage", "queue", "exists", "--name", "lesson-queue", ...target)).toEqual({ exists: true });
    expect(await json("storage", "queue", "list", ...target)).toEqual(
      expect.arrayContaining([
        { approximateMessageCount: null, metadata: null, name: "lesson-queue" },
        { approximateMessageCount: null, metadata: null, name: "code-requests" },
      ]),
    );
    expect(await json("storage", "queue", "delete", "--name", "lesson-queue", ...target)).toEqual({ deleted: true });
    expect(await json("storage", "queue", "delete", "--name", "lesson-queue", ...target)).toEqual({ deleted: false });
  });

  it("queue create answers as the developer's role allows: without one that writes queues, no queue", async () => {
    // The developer owns the subscription (Owner writes queues); their data role covers the one queue only.
    const user = test.sandbox.directory.users[0]?.objectId ?? "";
    const subscription = test.sandbox.scopes.subscription;
    test.sandbox.rbac.remove({ principalId: user, role: "Owner", scope: subscription });
    try {
      const refused = await run("storage", "queue", "create", "--name", "not-allowed");
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/AuthorizationPermissionMismatch/);
    } finally {
      test.sandbox.rbac.add(
        { principalId: user, principalType: "User", role: "Owner", scope: subscription },
        { immediately: true },
      );
    }
  });
});

describe("az role assignment list", () => {
  it("names every principal on the vault, user-assigned identities too (lesson 02's table)", async () => {
    const rows = (await json("role", "assignment", "list", "--scope", test.sandbox.scopes.vault)) as {
      principalName: string | null;
      principalId: string;
    }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((row) => !row.principalName)).toEqual([]);
    const userAssigned = [...test.sandbox.directory.userAssigned.values()][0];
    if (userAssigned)
      expect(rows).toContainEqual(
        expect.objectContaining({ principalId: userAssigned.objectId, principalName: userAssigned.appId }),
      );
  });
});

describe("az ad app credential reset", () => {
  it("replaces the app's client secret in the running sandbox and prints the new one as az does; npm run reset brings tenant.json's back", async () => {
    const [app] = test.sandbox.directory.servicePrincipals;
    if (!app) throw new Error("tenant.json has no service principal.");
    const old = test.sandbox.siteEnvironment("keyless-step-02");
    expect((await getSecretInChild(old)).ok).toBe(true);

    const reset = await run("ad", "app", "credential", "reset", "--id", app.appId ?? "");
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stderr).toMatch(/^The output includes credentials that you must protect\./);
    const printed = JSON.parse(reset.stdout) as { appId: string; password: string; tenant: string };
    expect(Object.keys(printed)).toEqual(["appId", "password", "tenant"]);
    expect(printed).toMatchObject({ appId: app.appId, tenant: test.sandbox.tenant.tenant.id });
    expect(printed.password).toMatch(/^[\w-]{3}8Q~[\w-]{34}$/);
    expect(printed.password).not.toBe(old["AZURE_CLIENT_SECRET"]);

    // The old secret is refused at once; the app keeps it until someone puts the new one in its settings, as on Azure.
    const withOld = await getSecretInChild(old);
    expect(withOld.ok).toBe(false);
    expect(withOld.message).toContain("AADSTS7000215");
    expect(test.sandbox.siteEnvironment("keyless-step-02")["AZURE_CLIENT_SECRET"]).toBe(old["AZURE_CLIENT_SECRET"]);
    const set = await run(
      ..."webapp config appsettings set -n keyless-step-02 -g keyless-rg --settings".split(" "),
      `AZURE_CLIENT_SECRET=${printed.password}`,
    );
    expect(set.code, set.stderr).toBe(0);
    // az shows the names, never the values.
    expect(set.stdout).not.toContain(printed.password);
    expect(JSON.parse(set.stdout)).toContainEqual({ name: "AZURE_CLIENT_SECRET", slotSetting: false, value: null });
    expect(test.sandbox.siteEnvironment("keyless-step-02")["AZURE_CLIENT_SECRET"]).toBe(printed.password);
    expect((await getSecretInChild(test.sandbox.siteEnvironment("keyless-step-02"))).ok).toBe(true);

    await test.sandbox.reset();
    expect(test.sandbox.siteEnvironment("keyless-step-02")["AZURE_CLIENT_SECRET"]).toBe(old["AZURE_CLIENT_SECRET"]);
    expect((await getSecretInChild(old)).ok).toBe(true);
  });

  it("finds no app registration behind a managed identity, as Microsoft Graph answers", async () => {
    const identity = test.sandbox.directory.apps.get("keyless-step-03");
    const refused = await run("ad", "app", "credential", "reset", "--id", identity?.appId ?? "");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ERROR: \(Request_ResourceNotFound\) Resource '.*' does not exist/);
    expect(refused.stdout).toBe("");
  });
});

describe("az keyvault secret delete and recover, as lesson 02 runs them, with Azure's few seconds", () => {
  let slow: TestSandbox;
  beforeAll(async () => {
    slow = await startTestSandbox({ queue: false, keyVaultTransitionDelayMs: 1500 });
  });
  afterAll(() => slow.stop());
  const vault = ["--vault-name", "keyless-kv"];
  const name = ["--name", "third-party-api-key"];

  it("delete waits until the secret is deleted, its name stays taken, and recover waits until it is back", async () => {
    const deleted = await azJson(slow.stateDir, "keyvault", "secret", "delete", ...vault, ...name);
    expect(deleted).toMatchObject({
      name: "third-party-api-key",
      recoveryId: expect.stringContaining("/deletedsecrets/"),
    });
    // Done when az answers: the deleted secret is listed at once, the secret is gone.
    const listed = (await azJson(slow.stateDir, "keyvault", "secret", "list-deleted", ...vault)) as { name: string }[];
    expect(listed.map((secret) => secret.name)).toContain("third-party-api-key");
    const shown = await az(slow.stateDir, "keyvault", "secret", "show", ...vault, ...name);
    expect(shown.stderr).toMatch(/^ERROR: \(SecretNotFound\) /);
    const again = await az(slow.stateDir, "keyvault", "secret", "set", ...vault, ...name, "--value", "x");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^ERROR: \(Conflict\) Secret third-party-api-key is currently in a deleted but recoverable state/,
    );
    await azJson(slow.stateDir, "keyvault", "secret", "recover", ...vault, ...name);
    const back = await az(
      slow.stateDir,
      "keyvault",
      "secret",
      "show",
      ...vault,
      ...name,
      "--query",
      "name",
      "-o",
      "tsv",
    );
    expect(back.stdout.trim()).toBe("third-party-api-key");
  });
});
