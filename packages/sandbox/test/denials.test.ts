/**
 * Every denial explained: one test per kind, from the audit event the sandbox
 * itself records for a real request (Key Vault's answer to a token or an RBAC
 * check it refuses), through the one pure module the live view and
 * `az sandbox denials` share.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  explainDenial,
  fixScope,
  grantCommand,
  isChallenge,
  isDenial,
  rolesGranting,
  SERVICE_AUDIENCES,
  type DenialContext,
} from "../src/denials/explain.ts";
import { STORAGE_RESOURCE, VAULT_RESOURCE, startSandbox, type AuditEvent, type Sandbox } from "../src/index.ts";
import { az as azInProcess } from "./helpers.ts";

let sandbox: Sandbox;
let stateDir: string;
/** Step 03's managed identity: its object id, which the sandbox derives from its site. */
let STEP_03 = "";
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "keyless-denials-"));
  sandbox = await startSandbox({ queue: false, auditFile: false, stateDir });
  STEP_03 = sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "";
  // What npm start writes, for the az CLI.
  writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify(sandbox.endpoints), { mode: 0o600 });
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** The sandbox's az, as a learner runs it (in this process: the answer is the point here). */
const az = (...args: string[]) => azInProcess(stateDir, ...args);

/** GET the vault's secret with this Authorization header, as a step would (the vault at <name>.vault.localhost, trusted). */
function getSecret(authorization: string | undefined): Promise<number> {
  const url = new URL(sandbox.endpoints.keyVaultUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: url.port,
        servername: url.hostname,
        path: "/secrets/third-party-api-key/?api-version=7.6",
        headers: { host: url.host, ...(authorization ? { authorization } : {}) },
        ca: sandbox.certificates.caPem,
      },
      (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.once("error", reject);
    req.end();
  });
}

/** The audit event the vault recorded for one request. */
async function recorded(authorization: string | undefined): Promise<AuditEvent> {
  const before = sandbox.audit.list().at(-1)?.id ?? 0;
  await getSecret(authorization);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const event = sandbox.audit.list({ after: before, category: "AuditEvent" }).at(-1);
  if (!event) throw new Error("The vault recorded nothing.");
  return event;
}

const context = (): DenialContext => ({
  now: Date.now(),
  tenantId: sandbox.tenant.tenant.id,
  principals: sandbox.directory
    .all()
    .map(({ objectId, displayName, type, appId }) => ({ objectId, displayName, type, ...(appId ? { appId } : {}) })),
  assignments: sandbox.rbac.list(),
});
const bearer = async (claims: Parameters<Sandbox["tokens"]["issue"]>[0]) =>
  `Bearer ${await sandbox.tokens.issue(claims)}`;

describe("the explanation of each denial kind, from what the vault records", () => {
  it("no role: the action, the roles that grant it (least privilege first), and the exact grant", async () => {
    sandbox.rbac.remove({ principalId: STEP_03 });
    try {
      const event = await recorded(await bearer({ audience: VAULT_RESOURCE, objectId: STEP_03 }));
      expect(isDenial(event)).toBe(true);
      const explained = explainDenial(event, context());
      expect(explained.kind).toBe("noRole");
      expect(explained.azure).toMatchObject({
        status: 403,
        code: "ForbiddenByRbac",
        message: expect.stringContaining("Caller is not authorized to perform action on resource."),
      });
      expect(explained.caller).toMatchObject({ displayName: "keyless-step-03", objectId: STEP_03 });
      expect(explained.action).toBe("Microsoft.KeyVault/vaults/secrets/getSecret/action");
      expect(explained.grantingRoles).toEqual([
        "Key Vault Secrets User",
        "Key Vault Secrets Officer",
        "Key Vault Administrator",
      ]);
      expect(explained.missing).toEqual({ role: "Key Vault Secrets User", scope: sandbox.scopes.vault });
      expect(explained.fix.command).toBe(
        `az role assignment create --assignee ${STEP_03} --role "Key Vault Secrets User" --scope ${sandbox.scopes.vault}`,
      );
      expect(explained.claims.map((claim) => claim.claim)).toEqual(["aud", "tid", "exp", "oid"]);
      expect(explained.claims.every((claim) => claim.ok)).toBe(true);
    } finally {
      sandbox.rbac.add(
        { principalId: STEP_03, role: "Key Vault Secrets User", scope: sandbox.scopes.vault },
        { immediately: true },
      );
    }
  });

  it("wrong scope: the role is there, on another vault", async () => {
    sandbox.rbac.remove({ principalId: STEP_03 });
    const otherVault = sandbox.scopes.vault.replace(/keyless-kv$/, "another-kv");
    sandbox.rbac.add(
      { principalId: STEP_03, role: "Key Vault Secrets User", scope: otherVault },
      { immediately: true },
    );
    try {
      const explained = explainDenial(
        await recorded(await bearer({ audience: VAULT_RESOURCE, objectId: STEP_03 })),
        context(),
      );
      expect(explained.kind).toBe("wrongScope");
      expect(explained.title).toMatch(/has Key Vault Secrets User, but at .*another-kv, which does not cover/);
      expect(explained.assignments).toEqual([
        expect.objectContaining({
          role: "Key Vault Secrets User",
          scope: otherVault,
          coversResource: false,
          state: "effective",
        }),
      ]);
      expect(explained.fix.command).toBe(grantCommand(STEP_03, "Key Vault Secrets User", sandbox.scopes.vault));
    } finally {
      sandbox.rbac.remove({ principalId: STEP_03 });
      sandbox.rbac.add(
        { principalId: STEP_03, role: "Key Vault Secrets User", scope: sandbox.scopes.vault },
        { immediately: true },
      );
    }
  });

  it("propagating: the assignment exists, and when it takes effect; nothing to run", async () => {
    sandbox.rbac.remove({ principalId: STEP_03 });
    sandbox.rbac.delayMs = 60_000;
    try {
      sandbox.rbac.add({ principalId: STEP_03, role: "Key Vault Secrets User", scope: sandbox.scopes.vault });
      const explained = explainDenial(
        await recorded(await bearer({ audience: VAULT_RESOURCE, objectId: STEP_03 })),
        context(),
      );
      expect(explained.kind).toBe("propagating");
      expect(explained.propagating).toMatchObject({
        role: "Key Vault Secrets User",
        scope: sandbox.scopes.vault,
        inSeconds: expect.any(Number),
      });
      expect(explained.propagating?.inSeconds).toBeGreaterThan(50);
      expect(explained.title).toMatch(/still propagating: it takes effect at \d{4}-.*\(in \d+ s\)/);
      expect(explained.fix.command).toBeUndefined();
      // Once the time has passed, the same event says it has taken effect.
      const later = explainDenial(await recorded(await bearer({ audience: VAULT_RESOURCE, objectId: STEP_03 })), {
        ...context(),
        now: Date.now() + 120_000,
      });
      expect(later.title).toMatch(/took effect at/);
    } finally {
      sandbox.rbac.delayMs = 0;
      sandbox.rbac.remove({ principalId: STEP_03 });
      sandbox.rbac.add(
        { principalId: STEP_03, role: "Key Vault Secrets User", scope: sandbox.scopes.vault },
        { immediately: true },
      );
    }
  });

  it("wrong audience: the token's aud, the audience Key Vault wanted, and how to get the right one", async () => {
    const event = await recorded(await bearer({ audience: STORAGE_RESOURCE, objectId: STEP_03 }));
    expect(event).toMatchObject({
      statusCode: 401,
      tokenProblem: "audience",
      tokenClaims: { aud: STORAGE_RESOURCE, oid: STEP_03 },
    });
    const explained = explainDenial(event, context());
    expect(explained.kind).toBe("wrongAudience");
    expect(explained.azure.message).toMatch(/^AKV10022: Invalid audience/);
    expect(explained.claims.find((claim) => claim.claim === "aud")).toMatchObject({
      found: STORAGE_RESOURCE,
      ok: false,
      expected: expect.stringMatching(/^https:\/\/vault\.localhost/),
    });
    expect(explained.caller?.displayName).toBe("keyless-step-03");
    expect(explained.fix.command).toMatch(/^az account get-access-token --resource https:\/\/vault\.localhost/);
  });

  it("expired: when the token expired, beyond the clock skew Azure allows", async () => {
    const exp = now() - 900;
    const event = await recorded(
      await bearer({ audience: VAULT_RESOURCE, objectId: STEP_03, claims: { iat: exp - 3600, nbf: exp - 3600, exp } }),
    );
    const explained = explainDenial(event, context());
    expect(explained.kind).toBe("expired");
    expect(explained.title).toContain(new Date(exp * 1000).toISOString());
    expect(explained.claims.find((claim) => claim.claim === "exp")).toMatchObject({ ok: false });
    expect(explained.reasons.join(" ")).toMatch(/5 minutes/);
  });

  it("wrong tenant: the token's tid against the vault's tenant", async () => {
    const tid = randomUUID();
    const event = await recorded(await bearer({ audience: VAULT_RESOURCE, objectId: STEP_03, claims: { tid } }));
    const explained = explainDenial(event, context());
    expect(explained.kind).toBe("wrongTenant");
    expect(explained.claims.find((claim) => claim.claim === "tid")).toEqual({
      claim: "tid",
      label: "tenant",
      found: tid,
      expected: sandbox.tenant.tenant.id,
      ok: false,
    });
    expect(explained.fix.command).toBe(`az login --tenant ${sandbox.tenant.tenant.id}`);
  });
});

describe("npm run az -- sandbox denials --app <name>", () => {
  it("lists an app's latest denials, each explained with its fix; -o table in one line each", async () => {
    sandbox.rbac.remove({ principalId: STEP_03 });
    try {
      await recorded(await bearer({ audience: VAULT_RESOURCE, objectId: STEP_03 }));
      const json = await az("sandbox", "denials", "--app", "keyless-step-03", "--last", "1");
      expect(json.code, json.stderr).toBe(0);
      const [latest] = JSON.parse(json.stdout) as {
        kind: string;
        azure: { code: string };
        fix: { command?: string };
      }[];
      expect(latest).toMatchObject({
        kind: "noRole",
        azure: { code: "ForbiddenByRbac" },
        fix: { command: grantCommand(STEP_03, "Key Vault Secrets User", sandbox.scopes.vault) },
      });
      const table = await az("sandbox", "denials", "--app", "keyless-step-03", "--last", "1", "-o", "table");
      expect(table.stdout).toMatch(/^Time +Service +Azure +Why +Fix/);
      expect(table.stdout).toContain("403 ForbiddenByRbac");
      const unknown = await az("sandbox", "denials", "--app", "nobody");
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/No app or principal named nobody/);
    } finally {
      sandbox.rbac.add(
        { principalId: STEP_03, role: "Key Vault Secrets User", scope: sandbox.scopes.vault },
        { immediately: true },
      );
    }
  });
});

describe("what is and is not a denial", () => {
  it("the challenge (a request without a token) is the SDK's first step, not a denial", async () => {
    const event = await recorded(undefined);
    expect(isChallenge(event)).toBe(true);
    expect(isDenial(event)).toBe(false);
    expect(event.resultDescription).toMatch(/^AKV10000/);
  });

  it("a refused sign-in is one, with Entra ID's code and its fix", () => {
    const event: AuditEvent = {
      id: 1,
      time: new Date().toISOString(),
      category: "ServicePrincipalSignInLogs",
      operationName: "Sign-in activity",
      resultType: "Failure",
      statusCode: 401,
      errorCode: "AADSTS7000215",
      failureReason: "Invalid client secret provided.",
      caller: { objectId: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", appId: "3c1b5a7e-9d2f-4e8a-b6c4-2f1e0d9c8b7a" },
    };
    expect(isDenial(event)).toBe(true);
    const explained = explainDenial(event, context());
    expect(explained).toMatchObject({
      kind: "signIn",
      azure: { code: "AADSTS7000215" },
      fix: { command: "az ad app credential reset --id 3c1b5a7e-9d2f-4e8a-b6c4-2f1e0d9c8b7a" },
    });
  });

  it("Queue Storage: the least privilege for a send is Message Sender, at the queue", () => {
    expect(
      rolesGranting("Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action").map(
        (role) => role.name,
      )[0],
    ).toBe("Storage Queue Data Message Sender");
    expect(fixScope(`${sandbox.scopes.vault}/secrets/third-party-api-key`)).toBe(sandbox.scopes.vault);
    expect(SERVICE_AUDIENCES).toEqual({ AuditEvent: VAULT_RESOURCE, StorageQueueLogs: STORAGE_RESOURCE });
  });
});
