/**
 * The audit log sees every sign-in and every Key Vault and Queue Storage
 * request, names the caller and how it signed in, records RBAC's decision and
 * the role assignment behind it, and never holds a secret or a token.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { STORAGE_RESOURCE, VAULT_RESOURCE, vaultResourceOf, type AuditEvent } from "../src/index.ts";
import { az, getSecretInChild, startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox();
});
afterAll(() => test.stop());

const newEvents = async <T>(work: () => Promise<T>): Promise<AuditEvent[]> => {
  const after = test.sandbox.audit.list().at(-1)?.id ?? 0;
  await work();
  return test.sandbox.audit.list({ after });
};
const app = (name: string) => test.sandbox.directory.apps.get(name);

describe("sign-ins", () => {
  it("a service principal's client-secret sign-in, then its Key Vault read, with the role that allowed it", async () => {
    const events = await newEvents(() => getSecretInChild(test.sandbox.siteEnvironment("keyless-step-02")));
    const sp = test.sandbox.directory.servicePrincipals[0];
    const signIn = events.find((event) => event.category === "ServicePrincipalSignInLogs");
    expect(signIn).toMatchObject({
      operationName: "Sign-in activity",
      resultType: "Success",
      statusCode: 200,
      clientCredentialType: "clientSecret",
      resource: vaultResourceOf(test.sandbox.endpoints.keyVaultUrl),
      caller: { objectId: sp?.objectId, appId: sp?.appId, displayName: "keyless-app-sp", type: "ServicePrincipal" },
      uniqueTokenIdentifier: expect.any(String),
    });
    const challenge = events.find((event) => event.category === "AuditEvent" && event.statusCode === 401);
    expect(challenge).toMatchObject({ operationName: "Authentication", errorCode: "Unauthorized" });
    const read = events.find((event) => event.category === "AuditEvent" && event.statusCode === 200);
    expect(read).toMatchObject({
      operationName: "SecretGet",
      resultType: "Success",
      caller: { objectId: sp?.objectId, displayName: "keyless-app-sp" },
      uniqueTokenIdentifier: signIn?.uniqueTokenIdentifier,
      authorization: {
        decision: "Allowed",
        action: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        scope: `${test.sandbox.scopes.vault}/secrets/third-party-api-key`,
        roleDefinitionName: "Key Vault Secrets User",
        roleAssignmentScope: test.sandbox.scopes.vault,
        roleAssignmentId: expect.any(String),
      },
    });
  });

  it("a wrong client secret: a failed sign-in with Entra ID's code and reason", async () => {
    const events = await newEvents(() =>
      getSecretInChild({ ...test.sandbox.siteEnvironment("keyless-step-02"), AZURE_CLIENT_SECRET: "wrong" }),
    );
    expect(events.find((event) => event.category === "ServicePrincipalSignInLogs")).toMatchObject({
      resultType: "Failure",
      statusCode: 401,
      errorCode: "AADSTS7000215",
      failureReason: expect.stringContaining("Invalid client secret provided"),
      caller: { displayName: "keyless-app-sp" },
    });
  });

  it("a managed identity's sign-in through App Service's endpoint", async () => {
    const events = await newEvents(() => getSecretInChild(test.sandbox.siteEnvironment("keyless-step-03")));
    expect(events.find((event) => event.category === "ManagedIdentitySignInLogs")).toMatchObject({
      resultType: "Success",
      clientCredentialType: "managedIdentity",
      resource: vaultResourceOf(test.sandbox.endpoints.keyVaultUrl),
      caller: {
        objectId: app("keyless-step-03")?.objectId,
        appId: app("keyless-step-03")?.appId,
        displayName: "keyless-step-03",
        type: "ManagedIdentity",
      },
    });
  });

  it("the developer's az sign-in", async () => {
    const events = await newEvents(() =>
      az(test.stateDir, "account", "get-access-token", "--resource", VAULT_RESOURCE),
    );
    expect(events.find((event) => event.category === "SignInLogs")).toMatchObject({
      resultType: "Success",
      clientCredentialType: "developerSignIn",
      caller: { displayName: "learner@keyless.local", type: "User" },
    });
  });
});

describe("data-plane requests", () => {
  it("a denial names the action, the scope and no assignment; a propagating grant says when it takes effect", async () => {
    const identity = app("keyless-step-03")?.objectId ?? "";
    const { sandbox } = test;
    sandbox.rbac.remove({ principalId: identity });
    const delay = sandbox.rbac.delayMs;
    sandbox.rbac.delayMs = 60_000;
    try {
      const denied = await newEvents(() => getSecretInChild(sandbox.siteEnvironment("keyless-step-03")));
      const refusal = denied.find((event) => event.category === "AuditEvent" && event.statusCode === 403);
      expect(refusal).toMatchObject({
        operationName: "SecretGet",
        resultType: "Failure",
        errorCode: "ForbiddenByRbac",
        authorization: { decision: "Denied" },
      });
      expect(refusal?.authorization?.roleAssignmentId).toBeUndefined();

      sandbox.rbac.add({ principalId: identity, role: "Key Vault Secrets User", scope: sandbox.scopes.vault });
      const propagating = await newEvents(() => getSecretInChild(sandbox.siteEnvironment("keyless-step-03")));
      expect(
        propagating.find((event) => event.category === "AuditEvent" && event.statusCode === 403)?.authorization,
      ).toMatchObject({
        decision: "Denied",
        roleDefinitionName: "Key Vault Secrets User",
        propagatingUntil: expect.stringMatching(/^\d{4}-/),
      });
    } finally {
      sandbox.rbac.delayMs = delay;
      sandbox.rbac.remove({ principalId: identity });
      sandbox.rbac.add(
        { principalId: identity, role: "Key Vault Secrets User", scope: sandbox.scopes.vault },
        { immediately: true },
      );
    }
  });

  it("Queue Storage: PutMessage allowed by step 04's Message Sender role, PeekMessages denied", async () => {
    const identity = app("keyless-step-04")?.objectId ?? "";
    const queue = new QueueClient(
      test.sandbox.queue.queueUrl("code-requests"),
      {
        getToken: async () => ({
          token: await test.sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId: identity }),
          expiresOnTimestamp: Date.now() + 600_000,
        }),
      },
      { retryOptions: { maxTries: 1 } },
    );
    const events = await newEvents(async () => {
      await queue.sendMessage("audited");
      await queue.peekMessages().catch(() => undefined);
    });
    expect(events.find((event) => event.operationName === "PutMessage")).toMatchObject({
      category: "StorageQueueLogs",
      statusCode: 201,
      caller: { displayName: "keyless-step-04" },
      authorization: {
        decision: "Allowed",
        roleDefinitionName: "Storage Queue Data Message Sender",
        action: "Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action",
      },
    });
    expect(events.find((event) => event.operationName === "PeekMessages")).toMatchObject({
      statusCode: 403,
      errorCode: "AuthorizationPermissionMismatch",
      authorization: { decision: "Denied" },
    });
    await test.sandbox.queue.clear("code-requests");
  });
});

describe("what the log never holds, and where it is kept", () => {
  it("no secret value, client secret, identity header, function key or token; one JSON line an event in audit.jsonl; az reads it", async () => {
    const everything = JSON.stringify(test.sandbox.audit.list());
    const secrets = [
      ...test.sandbox.tenant.thirdParty.keys,
      ...test.sandbox.tenant.servicePrincipals.map((sp) => sp.secret),
      ...[...test.sandbox.directory.apps.values()].map((identity) => identity.identityHeader),
      ...test.sandbox.thirdParty.keys(),
      test.sandbox.endpoints.admin.key,
    ];
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/eyJ[\w-]+\.eyJ/);

    // The file is written a tenth of a second at a time: it catches up with the log in memory.
    const lines = () => readFileSync(join(test.stateDir, "audit.jsonl"), "utf8").trim().split("\n");
    await vi.waitFor(() => expect(lines().length).toBe(test.sandbox.audit.list().length), { timeout: 5000 });
    expect((JSON.parse(lines()[0] ?? "{}") as AuditEvent).id).toBe(1);

    const listed = await az(test.stateDir, "sandbox", "audit", "list", "--caller", "keyless-step-03", "--last", "3");
    expect(listed.code).toBe(0);
    const shown = JSON.parse(listed.stdout) as AuditEvent[];
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((event) => event.caller?.displayName === "keyless-step-03")).toBe(true);
  });
});
