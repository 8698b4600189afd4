/**
 * Step 02's start-up failures are lessons: each one stops the app within
 * seconds with one line that names the cause and the fix, and no secret.
 * (How many seconds is a figure for `npm run bench`; here 30 s only guards against a hang.)
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultAzureCredential } from "@azure/identity";
import { startStepExpectingFailure, type FailedStart } from "@keyless/contract-tests";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { describeStartupError } from "../src/startupError.ts";

const dir = new URL("..", import.meta.url);
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ stateDir: await mkdtemp(join(tmpdir(), "keyless-02-fail-")), queue: false });
});
afterAll(() => sandbox?.stop());

function expectOneClearLine(result: FailedStart, ...patterns: RegExp[]): void {
  expect(result.exitCode, result.output).toBe(1);
  const lines = result.output.trim().split("\n");
  expect(lines, result.output).toHaveLength(1);
  expect(lines[0]).toMatch(/^Did not start: /);
  for (const pattern of patterns) expect(lines[0]).toMatch(pattern);
  expect(result.output).not.toMatch(/\n\s+at /);
  for (const secret of [
    ...sandbox.thirdParty.keys(),
    sandbox.siteEnvironment("keyless-step-02")["AZURE_CLIENT_SECRET"] ?? "-",
  ]) {
    expect(result.output).not.toContain(secret);
  }
}

const start = (env: Record<string, string | undefined>) =>
  startStepExpectingFailure({
    dir,
    env: Object.fromEntries(
      Object.entries({ ...sandbox.siteEnvironment("keyless-step-02"), ...env }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    ),
    timeoutMs: 30_000,
  });

describe("step 02 start-up failures", () => {
  it("names a missing variable", async () => {
    expectOneClearLine(await start({ AZURE_CLIENT_SECRET: undefined }), /AZURE_CLIENT_SECRET is not set/);
  });

  it("names a wrong client secret (AADSTS7000215) and how to make a new one", async () => {
    expectOneClearLine(
      await start({ AZURE_CLIENT_SECRET: "not-the-secret" }),
      /AADSTS7000215/,
      /AZURE_CLIENT_SECRET/,
      /az ad app credential reset/,
    );
  });

  it("names an unknown client id (AADSTS700016)", async () => {
    expectOneClearLine(
      await start({ AZURE_CLIENT_ID: "00000000-0000-0000-0000-000000000000" }),
      /AADSTS700016/,
      /AZURE_CLIENT_ID/,
    );
  });

  it("names an Entra ID it cannot reach in words, never the identity library's bare code and link", async () => {
    // The step's own credential, in process, without the SDK's retries: started as a process, whether its 6 s
    // start-up deadline or the retries end first depends on how busy the machine is; the words for the
    // library's error are what this test is about.
    const env: Record<string, string> = {
      ...sandbox.siteEnvironment("keyless-step-02"),
      AZURE_AUTHORITY_HOST: "https://127.0.0.1:1",
    };
    // vi.stubEnv, not a copy put back: process.env replaced by a plain object no longer reaches the process's
    // real environment (os.tmpdir(), child processes), and later files' settings would not either.
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const credential = new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } });
      const error = await credential.getToken("https://vault.azure.net/.default").then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      const line = describeStartupError(error, process.env);
      expect(line).toMatch(
        /^Could not reach Microsoft Entra ID at https:\/\/127\.0\.0\.1:1 to sign in \((network_error|endpoints_resolution_error)\)/,
      );
      expect(line).toMatch(/check AZURE_AUTHORITY_HOST/);
      expect(line).not.toContain("aka.ms/msal");
      expect(line).not.toContain(env["AZURE_CLIENT_SECRET"] ?? "-");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("names a missing secret and the az command that creates it", async () => {
    expectOneClearLine(
      await start({ THIRD_PARTY_API_SECRET_NAME: "no-such-secret" }),
      /no secret named no-such-secret/,
      /az keyvault secret set --vault-name keyless-kv --name no-such-secret/,
    );
  });

  it("names a deleted secret's way back: recover it (creating it again is refused while it is deleted)", async () => {
    sandbox.secrets.delete("third-party-api-key");
    try {
      expectOneClearLine(
        await start({}),
        /no secret named third-party-api-key/,
        /if it was deleted, recover it: az keyvault secret recover --vault-name keyless-kv --name third-party-api-key$/,
      );
    } finally {
      sandbox.secrets.recover("third-party-api-key");
    }
  });

  it("names an unreachable vault", async () => {
    expectOneClearLine(
      await start({ KEY_VAULT_URL: "https://keyless-kv.vault.localhost:1" }),
      /Could not reach Key Vault/,
      /KEY_VAULT_URL/,
    );
  });

  it("names a missing role and the az command that grants it; after the grant it starts", async () => {
    const principalId = sandbox.directory.servicePrincipals[0]?.objectId ?? "";
    const vaultScope = sandbox.scopes.vault;
    sandbox.rbac.remove({ principalId, role: "Key Vault Secrets User", scope: vaultScope });
    try {
      expectOneClearLine(
        await start({}),
        /403 ForbiddenByRbac/,
        new RegExp(
          `az role assignment create --assignee ${principalId} --role "Key Vault Secrets User" --scope ${vaultScope.replace(/[/.]/g, "\\$&")}`,
          "i",
        ),
      );
    } finally {
      sandbox.rbac.add({ principalId, role: "Key Vault Secrets User", scope: vaultScope }, { immediately: true });
    }
  });
});
