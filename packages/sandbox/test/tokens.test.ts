/**
 * Every request to the vault is authenticated like Azure does it: the first
 * one without a token gets the challenge, and every token is checked
 * (signature, issuer, tenant, audience, lifetime). A bad token is 401, always.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORAGE_RESOURCE, VAULT_RESOURCE, vaultResourceOf } from "../src/index.ts";
import { badTokens } from "./badTokens.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
let objectId: string;
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
  objectId = test.sandbox.directory.users[0]?.objectId ?? "";
});
afterAll(() => test.stop());

const getSecret = (authorization?: string) =>
  fetch(`${test.sandbox.endpoints.keyVaultUrl}/secrets/third-party-api-key/?api-version=2026-04-01`, {
    headers: authorization ? { authorization } : {},
  });

describe("the Key Vault challenge", () => {
  it("answers a request without a token with 401 and where to get one", async () => {
    const response = await getSecret();
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer authorization="${test.sandbox.endpoints.authorityHost}/adfs", resource="${vaultResourceOf(test.sandbox.endpoints.keyVaultUrl)}"`,
    );
    expect(await response.json()).toEqual({
      error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." },
    });
  });
});

describe("token validation", () => {
  /** What Key Vault says for each token of the shared table (test/badTokens.ts). */
  const expected: Record<string, RegExp> = {
    "alg none": /Token validation failed/,
    "signed by another key": /Token validation failed/,
    "another audience":
      /^AKV10022: Invalid audience\. Expected https:\/\/vault\.localhost:\d+, found: https:\/\/storage\.azure\.com\.$/,
    expired: /expired/,
    "nbf in the future": /not valid before/,
    "iat in the future": /issued at .* in the future/,
    "no exp": /no exp claim/,
    "no iat": /no iat claim/,
    "no nbf": /no nbf claim/,
    "exp centuries ahead": /Microsoft Entra ID issues none longer than 24/,
    "exp not a number": /Token validation failed/,
    "another tenant": /^AKV10032: Invalid issuer\./,
    "the right issuer but another tid": /^AKV10032: Invalid issuer\./,
    malformed: /Token validation failed/,
  };
  const table = () => badTokens(test.sandbox, VAULT_RESOURCE, STORAGE_RESOURCE, objectId);

  it("has an expected answer for every token of the shared table", () => {
    expect(
      table()
        .map(([name]) => name)
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))("refuses a token: %s (401)", async (name, message) => {
    const mint = table().find(([candidate]) => candidate === name)?.[1];
    if (!mint) throw new Error(`No token named ${name} in test/badTokens.ts.`);
    const response = await getSecret(`Bearer ${await mint()}`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain(
      `resource="${vaultResourceOf(test.sandbox.endpoints.keyVaultUrl)}"`,
    );
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("Unauthorized");
    expect(body.error.message).toMatch(message);
  });

  it("refuses a scheme other than Bearer as a missing token", async () => {
    const response = await getSecret(`Basic ${Buffer.from("a:b").toString("base64")}`);
    expect(response.status).toBe(401);
  });

  it("accepts a good token (200)", async () => {
    const response = await getSecret(
      `Bearer ${await test.sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId })}`,
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { value: string }).value).toBe(test.sandbox.tenant.thirdParty.keys[0]);
  });

  it("accepts a token for the resource its challenge names, with the vault's port (what the Python SDK asks for), and no other port", async () => {
    const resource = vaultResourceOf(test.sandbox.endpoints.keyVaultUrl);
    expect(resource).toBe(`${VAULT_RESOURCE}:${new URL(test.sandbox.endpoints.keyVaultUrl).port}`);
    expect(
      (await getSecret(`Bearer ${await test.sandbox.tokens.issue({ audience: resource, objectId })}`)).status,
    ).toBe(200);
    const otherPort = await getSecret(
      `Bearer ${await test.sandbox.tokens.issue({ audience: `${VAULT_RESOURCE}:1`, objectId })}`,
    );
    expect(otherPort.status).toBe(401);
    expect(((await otherPort.json()) as { error: { message: string } }).error.message).toBe(
      `AKV10022: Invalid audience. Expected ${resource}, found: ${VAULT_RESOURCE}:1.`,
    );
  });

  it("validates tokens for other services with the same rules (the queue gateway's contract)", async () => {
    const validator = test.sandbox.tokens.validator();
    const good = await test.sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId, appId: "app" });
    expect(await validator.validate(`Bearer ${good}`, STORAGE_RESOURCE)).toEqual({
      ok: true,
      principal: { objectId, appId: "app", tenantId: test.sandbox.tenant.tenant.id, tokenId: expect.any(String) },
    });
    expect(await validator.validate(`Bearer ${good}`, VAULT_RESOURCE)).toMatchObject({
      ok: false,
      problem: "audience",
      reason: `The token's audience is ${STORAGE_RESOURCE}, expected ${VAULT_RESOURCE}.`,
    });
    expect(await validator.validate(undefined, VAULT_RESOURCE)).toMatchObject({ ok: false, problem: "missing" });
  });
});

describe("the token service's signing keys", () => {
  it("publishes the JWKS at the openid-configuration's jwks_uri", async () => {
    const configuration = (await (
      await fetch(`${test.sandbox.endpoints.authorityHost}/adfs/.well-known/openid-configuration`)
    ).json()) as { jwks_uri: string; token_endpoint: string; issuer: string };
    expect(configuration.token_endpoint).toBe(`${test.sandbox.endpoints.authorityHost}/adfs/oauth2/token`);
    expect(configuration.issuer).toBe(`https://sts.windows.net/${test.sandbox.tenant.tenant.id}/`);
    const jwks = (await (await fetch(configuration.jwks_uri)).json()) as {
      keys: { kid: string; kty: string; alg: string }[];
    };
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kty: "RSA", alg: "RS256", kid: test.sandbox.tokens.jwks().keys[0]?.kid }),
    ]);
    const byGuid = await fetch(
      `${test.sandbox.endpoints.authorityHost}/${test.sandbox.tenant.tenant.id}/v2.0/.well-known/openid-configuration`,
    );
    expect(byGuid.status).toBe(200);
  });
});
