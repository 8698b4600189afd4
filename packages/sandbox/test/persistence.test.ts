/**
 * The sandbox keeps what callers change, as Azure does: across a stop and a
 * start, and across a kill at any moment, until `npm run reset`, which says
 * what it discards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import {
  MANAGEMENT_RESOURCE,
  type Sandbox,
  scopesOf,
  startSandbox,
  THIRD_PARTY_APP,
  THIRD_PARTY_FUNCTION,
} from "../src/index.ts";
import { loadTenant } from "../src/tenant.ts";
import { az, azJson } from "./helpers.ts";
import "../src/dnsPreload.mjs";

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "keyless-persistence-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const startIn = async (stateDir: string): Promise<Sandbox> => {
  const sandbox = await startSandbox({ stateDir, queue: false, auditFile: false });
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify(sandbox.endpoints), { mode: 0o600 });
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), sandbox.certificates.caPem]);
  return sandbox;
};

describe("a restart keeps what callers changed", () => {
  it("role assignments, secret versions, a reset client secret and a rotated function key survive a stop and a start; a reset discards them and says which", async () => {
    const stateDir = freshDir();
    let sandbox = await startIn(stateDir);
    const workspace = sandbox.tenant.servicePrincipals.find((sp) => sp.displayName === "keyless-workspace-sp");
    const vault = sandbox.scopes.vault;
    const run = async (...args: string[]) => {
      const result = await az(stateDir, ...args);
      expect(result.stderr).toBe("");
      return result;
    };
    await run(
      "role",
      "assignment",
      "create",
      "--assignee",
      sandbox.directory.apps.get("keyless-workspace-03")?.appId ?? "",
      "--role",
      "Key Vault Secrets User",
      "--scope",
      vault,
    );
    await run("keyvault", "secret", "set", "--vault-name", "keyless-kv", "--name", "kept-secret", "--value", "kept-1");
    const reset = (await azJson(stateDir, "ad", "app", "credential", "reset", "--id", workspace?.appId ?? "")) as {
      password: string;
    };
    await run(
      ..."functionapp function keys set -g keyless-rg -n keyless-third-party --function-name RandomNumber --key-name rotated --key-value".split(
        " ",
      ),
      "rotated-key-value-0123456789",
    );
    await sandbox.stop();

    sandbox = await startIn(stateDir);
    const identity = sandbox.directory.apps.get("keyless-workspace-03")?.objectId;
    expect(sandbox.rbac.list({ principalId: identity }).map((assignment) => assignment.roleDefinitionName)).toEqual([
      "Key Vault Secrets User",
    ]);
    expect(sandbox.secrets.get("kept-secret")?.versions.map((version) => version.value)).toEqual(["kept-1"]);
    expect(sandbox.directory.servicePrincipalByClientId(workspace?.appId ?? "")?.secret).toBe(reset.password);
    expect(sandbox.thirdParty.keys()).toContain("rotated-key-value-0123456789");
    // The tokens of before the restart are still the tenant's: the signing key is kept.
    const before = await sandbox.tokens.issue({ audience: "https://vault.localhost", objectId: identity ?? "" });
    await sandbox.stop();
    sandbox = await startIn(stateDir);
    expect((await sandbox.tokens.validator().validate(`Bearer ${before}`, "https://vault.localhost")).ok).toBe(true);

    const report = await sandbox.reset();
    expect(report.discarded.map((change) => [change.kind, change.count])).toEqual([
      ["role assignment created", 1],
      ["secret version set", 1],
      ["client secret reset", 1],
      ["function key set", 1],
    ]);
    expect(report.discarded[0]?.examples[0]).toMatch(/^Key Vault Secrets User for keyless-workspace-03 on …/);
    expect(sandbox.rbac.list({ principalId: identity })).toEqual([]);
    expect(sandbox.secrets.get("kept-secret")).toBeUndefined();
    expect(sandbox.directory.servicePrincipalByClientId(workspace?.appId ?? "")?.secret).toBe(workspace?.secret);
    expect(sandbox.thirdParty.keys()).toEqual(sandbox.tenant.thirdParty.keys);
    expect(sandbox.changes()).toEqual([]);
    await sandbox.stop();
  });
});

const FIXTURE = fileURLToPath(new URL("./fixtures/sandboxProcess.ts", import.meta.url));

/** The sandbox in a child process, ready: what it serves, from its endpoints.json. */
async function launch(stateDir: string): Promise<{ child: ChildProcess; endpoints: Sandbox["endpoints"] }> {
  // Its environment is this one's, NODE_COMPILE_CACHE included (packages/test-config's isolate.ts).
  const child = spawn(process.execPath, [FIXTURE, stateDir, "no-queue"], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  while (!output.includes("ready")) {
    if (child.exitCode !== null) throw new Error(`The sandbox exited with ${child.exitCode}.`);
    await sleep(50);
  }
  const endpoints = JSON.parse(readFileSync(join(stateDir, "endpoints.json"), "utf8")) as Sandbox["endpoints"];
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), readFileSync(endpoints.caFile, "utf8")]);
  return { child, endpoints };
}

describe("a kill at any moment loses nothing acknowledged and applies nothing twice", () => {
  it("a stream of changes through Key Vault, RBAC and the function keys, SIGKILL at a random moment, then a restart", async () => {
    const stateDir = freshDir();
    const { child, endpoints } = await launch(stateDir);
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${endpoints.admin.url}${path}`, {
        method,
        headers: { "content-type": "application/json", "x-keyless-admin-key": endpoints.admin.key },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const tokenFor = async (resource: string) =>
      ((await (await admin("POST", "/developer-token", { resource })).json()) as { accessToken: string }).accessToken;
    const [vaultToken, armToken] = await Promise.all([
      tokenFor("https://vault.localhost"),
      tokenFor(MANAGEMENT_RESOURCE),
    ]);
    // Resource Manager's REST API, as az calls it.
    const arm = (method: string, path: string, apiVersion: string, body?: unknown) =>
      fetch(`${endpoints.resourceManager}${path}?api-version=${apiVersion}`, {
        method,
        headers: { authorization: `Bearer ${armToken}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const scopes = scopesOf(loadTenant());
    const site = (await (
      await arm("GET", `${scopes.resourceGroup}/providers/Microsoft.Web/sites/keyless-workspace-03`, "2024-11-01")
    ).json()) as { identity: { principalId: string } };
    const principal = site.identity.principalId;
    const functionKeys = `${scopes.resourceGroup}/providers/Microsoft.Web/sites/${THIRD_PARTY_APP}/functions/${THIRD_PARTY_FUNCTION}/keys`;

    // Each change is named for its number: what is acknowledged can be found again, once.
    const acknowledged = { secrets: new Set<number>(), roles: new Set<number>(), keys: new Set<number>() };
    const change = async (index: number) => {
      const kind = index % 3;
      // A role on one secret: the one the change before made (Resource Manager refuses a scope that does not exist).
      const target = kind === 1 ? index - 1 : index;
      const response =
        kind === 0
          ? await fetch(`${endpoints.keyVaultUrl}/secrets/kill-${index}?api-version=7.6`, {
              method: "PUT",
              headers: { authorization: `Bearer ${vaultToken}`, "content-type": "application/json" },
              body: JSON.stringify({ value: `value-${index}` }),
            })
          : kind === 1
            ? await arm(
                "PUT",
                `${scopes.vault}/secrets/kill-${target}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
                "2022-04-01",
                {
                  properties: {
                    roleDefinitionId: `${scopes.subscription}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
                    principalId: principal,
                    principalType: "ServicePrincipal",
                  },
                },
              )
            : await arm("PUT", `${functionKeys}/kill-${index}`, "2024-11-01", {
                properties: { name: `kill-${index}`, value: `function-key-value-${index}` },
              });
      if (response.ok)
        (kind === 0 ? acknowledged.secrets : kind === 1 ? acknowledged.roles : acknowledged.keys).add(target);
    };
    let next = 0;
    const writers = Array.from({ length: 4 }, async () => {
      for (;;) {
        const index = next++;
        await change(index).catch(() => undefined);
        if (child.exitCode !== null || child.signalCode !== null) return;
      }
    });
    // Killed at a random moment while changes are in flight, once some are acknowledged (however busy the
    // machine: a count, not a fixed time, says when there is something to lose).
    const count = () => acknowledged.secrets.size + acknowledged.roles.size + acknowledged.keys.size;
    while (count() <= 10 && child.exitCode === null) await sleep(20);
    await sleep(Math.random() * 800);
    child.kill("SIGKILL");
    await once(child, "exit");
    await Promise.all(writers);
    const sent = next;
    expect(count()).toBeGreaterThan(10);

    const sandbox = await startSandbox({ stateDir, queue: false, auditFile: false });
    try {
      const secretNames = sandbox.secrets.list().map((secret) => secret.name);
      const roleScopes = sandbox.rbac.list({ principalId: principal }).map((assignment) => assignment.scope);
      const keys = Object.keys(await keyNames(sandbox));
      let inFlightApplied = 0;
      for (let index = 0; index < sent; index++) {
        const secret = secretNames.filter((name) => name === `kill-${index}`).length;
        const role = roleScopes.filter((scope) => scope.endsWith(`/secrets/kill-${index}`)).length;
        const key = keys.filter((name) => name === `kill-${index}`).length;
        // Acknowledged: there, once. In flight when killed: there once, or not at all.
        if (acknowledged.secrets.has(index)) expect(secret).toBe(1);
        if (acknowledged.roles.has(index)) expect(role).toBe(1);
        if (acknowledged.keys.has(index)) expect(key).toBe(1);
        expect(secret).toBeLessThanOrEqual(1);
        expect(sandbox.secrets.get(`kill-${index}`)?.versions.length ?? 0).toBeLessThanOrEqual(1);
        expect(role).toBeLessThanOrEqual(1);
        expect(key).toBeLessThanOrEqual(1);
        const acknowledgedHere =
          acknowledged.secrets.has(index) || acknowledged.roles.has(index) || acknowledged.keys.has(index);
        if (!acknowledgedHere && secret + role + key > 0) inFlightApplied++;
      }
      // The figures, for the record: what was sent, acknowledged, and applied though unacknowledged (in flight).
      console.log(
        `SIGKILL after ${sent} changes sent: ${count()} acknowledged (${acknowledged.secrets.size} secrets, ${acknowledged.roles.size} role assignments, ${acknowledged.keys.size} function keys), all found once after the restart; ${inFlightApplied} in flight applied once, the rest not at all`,
      );
    } finally {
      await sandbox.stop();
    }
  });
});

/** The function keys by name, as `az functionapp function keys list` shows them (Resource Manager's `listkeys`). */
async function keyNames(sandbox: Sandbox): Promise<Record<string, string>> {
  const fn = `${sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/${THIRD_PARTY_APP}/functions/${THIRD_PARTY_FUNCTION}`;
  return (sandbox.arm.invoke(fn, "listkeys", undefined) as { properties: Record<string, string> }).properties;
}
