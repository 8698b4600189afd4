/**
 * What only step 03 shows: the same code as step 02 runs with no secret in its
 * environment, because DefaultAzureCredential finds the app's managed identity.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultAzureCredential } from "@azure/identity";
import { startStep, startStepExpectingFailure, type FailedStart } from "@keyless/contract-tests";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { describeStartupError } from "../src/startupError.ts";

const dir = new URL("..", import.meta.url);
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ stateDir: await mkdtemp(join(tmpdir(), "keyless-03-mi-")), queue: false });
});
afterAll(() => sandbox?.stop());

function withEnv(changes: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = { ...sandbox.siteEnvironment("keyless-step-03"), ...changes };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function expectOneClearLine(result: FailedStart, ...patterns: RegExp[]): void {
  expect(result.exitCode, result.output).toBe(1);
  const lines = result.output.trim().split("\n");
  expect(lines, result.output).toHaveLength(1);
  for (const pattern of patterns) expect(lines[0]).toMatch(pattern);
  expect(result.output).not.toContain(sandbox.siteEnvironment("keyless-step-03")["IDENTITY_HEADER"]);
}

describe("step 03: a managed identity, no secret anywhere", () => {
  it("runs with no client id or secret in its environment", async () => {
    const env = sandbox.siteEnvironment("keyless-step-03");
    expect(
      Object.keys(env).filter((name) =>
        /^AZURE_(CLIENT_ID|CLIENT_SECRET|CLIENT_CERTIFICATE|USERNAME|PASSWORD)/.test(name),
      ),
    ).toEqual([]);
    const servicePrincipalSecret = sandbox.directory.servicePrincipals[0]?.secret;
    expect(Object.values(env)).not.toContain(servicePrincipalSecret);
    const step = await startStep({ dir, env });
    try {
      const response = await fetch(`${step.url}/api/v1/getcode`);
      expect(response.status).toBe(200);
    } finally {
      await step.stop();
    }
  });

  it("signs in as the app's own identity: revoking that identity's role stops it", async () => {
    const identity = sandbox.directory.apps.get("keyless-step-03");
    const scope = sandbox.scopes.vault;
    expect(identity).toBeDefined();
    sandbox.rbac.remove({ principalId: identity?.objectId ?? "", role: "Key Vault Secrets User", scope });
    try {
      expectOneClearLine(
        await startStepExpectingFailure({ dir, env: withEnv({}), timeoutMs: 30_000 }),
        /403 ForbiddenByRbac/,
        new RegExp(`az role assignment create --assignee ${identity?.objectId} --role "Key Vault Secrets User"`),
      );
    } finally {
      sandbox.rbac.add(
        { principalId: identity?.objectId ?? "", role: "Key Vault Secrets User", scope },
        { immediately: true },
      );
    }
  });

  it("names an unreachable managed identity endpoint", async () => {
    const result = await startStepExpectingFailure({
      dir,
      env: withEnv({ IDENTITY_ENDPOINT: "http://127.0.0.1:1/msi/token" }),
      timeoutMs: 30_000,
    });
    expectOneClearLine(result, /IDENTITY_ENDPOINT/);
  });

  it("given a service principal's settings with no reachable Entra ID: words and the fix, never the identity library's bare code and link", async () => {
    // Step 02's AZURE_* copied without AZURE_AUTHORITY_HOST, on a machine that cannot reach the public cloud's.
    // The step's own credential, in process, without the SDK's retries: started as a process, whether its 6 s
    // start-up deadline or the retries end first depends on how busy the machine is; the words for the
    // library's error are what this test is about.
    // vi.stubEnv, not a copy put back: process.env replaced by a plain object no longer reaches the process's
    // real environment (os.tmpdir(), child processes), and later files' settings would not either.
    for (const [name, value] of Object.entries({
      AZURE_TENANT_ID: "adfs",
      AZURE_CLIENT_ID: "00000000-0000-0000-0000-000000000001",
      AZURE_CLIENT_SECRET: "not-a-real-one",
      AZURE_AUTHORITY_HOST: "https://127.0.0.1:1",
    }))
      vi.stubEnv(name, value);
    try {
      const credential = new DefaultAzureCredential({ retryOptions: { maxRetries: 0 } });
      const error = await credential.getToken("https://vault.azure.net/.default").then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      const line = describeStartupError(error, process.env);
      expect(line).toMatch(/^Could not reach Microsoft Entra ID at https:\/\/127\.0\.0\.1:1 to sign in/);
      expect(line).not.toContain("aka.ms/msal");
      expect(line).not.toContain("not-a-real-one");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("is refused a token with another app's identity header", async () => {
    const result = await startStepExpectingFailure({
      dir,
      env: withEnv({ IDENTITY_HEADER: "not-this-apps-header" }),
      timeoutMs: 30_000,
    });
    // The endpoint's own reason, not "found no identity": there is one, and it said no.
    expectOneClearLine(
      result,
      /^Did not start: The managed identity endpoint refused the app a token: .*IDENTITY_HEADER/,
    );
  });
});
