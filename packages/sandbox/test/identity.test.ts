/**
 * Microsoft Entra ID and App Service's managed identity endpoint, as the real
 * @azure/identity sees them: the steps' DefaultAzureCredential runs in a child
 * process whose only input is the step's environment.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { az, getSecretInChild, startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test.stop());

const token = (body: Record<string, string>, tenant = "adfs") =>
  fetch(`${test.sandbox.endpoints.authorityHost}/${tenant}/oauth2/token`, {
    method: "POST",
    body: new URLSearchParams(body),
  }).then(async (response) => ({
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  }));

const credentials = () => {
  const sp = test.sandbox.tenant.servicePrincipals[0];
  return {
    grant_type: "client_credentials",
    client_id: sp?.appId ?? "",
    client_secret: sp?.secret ?? "",
    scope: "https://vault.localhost/.default",
  };
};

describe("the token service (client credentials)", () => {
  it("issues a token like Entra ID", async () => {
    const { status, body } = await token(credentials());
    expect(status).toBe(200);
    expect(body).toEqual({
      token_type: "Bearer",
      expires_in: 3600,
      ext_expires_in: 3600,
      access_token: expect.any(String),
    });
  });

  it("refuses a wrong secret: 401 invalid_client, AADSTS7000215", async () => {
    const { status, body } = await token({ ...credentials(), client_secret: "wrong" });
    expect(status).toBe(401);
    expect(body).toMatchObject({
      error: "invalid_client",
      error_codes: [7000215],
      error_description: expect.stringMatching(
        /^AADSTS7000215: Invalid client secret provided\..*AZURE_CLIENT_SECRET.*Trace ID: /,
      ),
    });
    expect(body).toHaveProperty("trace_id");
    expect(body).toHaveProperty("correlation_id");
    expect(body).toHaveProperty("timestamp");
  });

  it("refuses an unknown client: 400 unauthorized_client, AADSTS700016", async () => {
    const { status, body } = await token({ ...credentials(), client_id: "00000000-0000-0000-0000-000000000000" });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
  });

  it("refuses an unsupported grant (AADSTS70003) and an unknown resource (AADSTS500011)", async () => {
    expect((await token({ ...credentials(), grant_type: "authorization_code" })).body).toMatchObject({
      error: "unsupported_grant_type",
      error_codes: [70003],
    });
    expect((await token({ ...credentials(), scope: "https://vault.azure.net/.default" })).body).toMatchObject({
      error: "invalid_resource",
      error_codes: [500011],
    });
  });

  it("refuses an unknown tenant (AADSTS90002)", async () => {
    const { status, body } = await token(credentials(), "contoso");
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_codes: [90002] });
  });
});

describe("the App Service managed identity endpoint", () => {
  const msi = (query: string, header?: string) =>
    fetch(`${test.sandbox.endpoints.identityEndpoint}?${query}`, {
      headers: header ? { "x-identity-header": header } : {},
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));
  const headerOf = (app: string) => test.sandbox.directory.apps.get(app)?.identityHeader ?? "";

  it("issues a token for the app the header belongs to", async () => {
    const { status, body } = await msi(
      "api-version=2019-08-01&resource=https://vault.localhost",
      headerOf("keyless-step-03"),
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      access_token: expect.any(String),
      expires_on: expect.any(Number),
      resource: "https://vault.localhost",
      token_type: "Bearer",
      client_id: test.sandbox.directory.apps.get("keyless-step-03")?.appId,
    });
    const check = await test.sandbox.tokens
      .validator()
      .validate(`Bearer ${String(body["access_token"])}`, "https://vault.localhost");
    expect(check).toMatchObject({
      ok: true,
      principal: { objectId: test.sandbox.directory.apps.get("keyless-step-03")?.objectId },
    });
  });

  it("refuses a missing or wrong header", async () => {
    expect((await msi("api-version=2019-08-01&resource=https://vault.localhost")).status).toBe(401);
    expect((await msi("api-version=2019-08-01&resource=https://vault.localhost", "guess")).status).toBe(401);
  });

  it("refuses a user-assigned client id the app does not have", async () => {
    const { status } = await msi(
      "api-version=2019-08-01&resource=https://vault.localhost&client_id=11111111-1111-1111-1111-111111111111",
      headerOf("keyless-step-03"),
    );
    expect(status).toBe(400);
  });

  it("gives each app its own header", () => {
    expect(headerOf("keyless-step-03")).not.toBe(headerOf("keyless-step-04"));
    expect(test.sandbox.siteEnvironment("keyless-step-03")["IDENTITY_HEADER"]).toBe(headerOf("keyless-step-03"));
  });
});

describe("the real DefaultAzureCredential, configured by the environment alone", () => {
  it("signs in as the service principal with step 02's environment", async () => {
    const result = await getSecretInChild(test.sandbox.siteEnvironment("keyless-step-02"));
    expect(result).toEqual({ ok: true, value: test.sandbox.tenant.thirdParty.keys[0] });
  });

  it("uses the managed identity with step 03's environment (no secret at all)", async () => {
    const env = test.sandbox.siteEnvironment("keyless-step-03");
    expect(Object.keys(env).filter((name) => name.startsWith("AZURE_CLIENT"))).toEqual([]);
    expect(await getSecretInChild(env)).toEqual({ ok: true, value: test.sandbox.tenant.thirdParty.keys[0] });
  });

  it("names the fix when the client secret is wrong", async () => {
    const result = await getSecretInChild({
      ...test.sandbox.siteEnvironment("keyless-step-02"),
      AZURE_CLIENT_SECRET: "wrong",
    });
    expect(result.ok).toBe(false);
    expect(result.message).toContain("AADSTS7000215");
  });

  it("fails with the vault's 403 when the managed identity has no role", async () => {
    const { sandbox } = test;
    const identity = sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "";
    sandbox.rbac.remove({ principalId: identity });
    try {
      expect(await getSecretInChild(sandbox.siteEnvironment("keyless-step-03"))).toMatchObject({
        ok: false,
        status: 403,
        code: "Forbidden",
      });
    } finally {
      await sandbox.reset();
    }
  });

  it("runs as the developer through AzureCliCredential and the sandbox's az on PATH", async () => {
    const bin = mkdtempSync(join(tmpdir(), "keyless-az-bin-"));
    try {
      const main = fileURLToPath(new URL("../src/az/main.ts", import.meta.url));
      writeFileSync(join(bin, "az"), `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`);
      chmodSync(join(bin, "az"), 0o755);
      const {
        KEY_VAULT_URL = "",
        THIRD_PARTY_API_SECRET_NAME = "",
        NODE_EXTRA_CA_CERTS = "",
        NODE_OPTIONS = "",
      } = test.sandbox.siteEnvironment("keyless-step-02");
      const result = await getSecretInChild({
        PATH: `${bin}:${process.env["PATH"] ?? ""}`,
        KEYLESS_SANDBOX_DIR: test.stateDir,
        KEY_VAULT_URL,
        THIRD_PARTY_API_SECRET_NAME,
        NODE_EXTRA_CA_CERTS,
        NODE_OPTIONS,
        AZURE_TOKEN_CREDENTIALS: "AzureCliCredential",
      });
      expect(result).toEqual({ ok: true, value: test.sandbox.tenant.thirdParty.keys[0] });
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("the developer token from az validates for the vault", async () => {
    const run = await az(
      test.stateDir,
      "account",
      "get-access-token",
      "--resource",
      "https://vault.localhost",
      "--tenant",
      "adfs",
      "--output",
      "json",
    );
    const answer = JSON.parse(run.stdout) as { accessToken: string };
    expect(
      await test.sandbox.tokens.validator().validate(`Bearer ${answer.accessToken}`, "https://vault.localhost"),
    ).toMatchObject({
      ok: true,
      principal: { objectId: test.sandbox.directory.users[0]?.objectId, appId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" },
    });
  });
});
