/** A user's own sign-in at the token service: the password grant (`az login -u -p`) and refresh tokens, each in the sign-in log. */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANAGEMENT_RESOURCE, vaultResourceOf } from "../src/index.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

const AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test.stop());

const token = (body: Record<string, string>) =>
  fetch(`${test.sandbox.endpoints.authorityHost}/adfs/oauth2/token`, {
    method: "POST",
    body: new URLSearchParams(body),
  }).then(async (response) => ({
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  }));
const learner = () => test.sandbox.tenant.users[0] ?? { userPrincipalName: "", objectId: "", password: "" };
/** What MSAL sends for `az login -u -p`: the resource's scope among OpenID Connect's own, in any order. */
const password = (overrides: Record<string, string> = {}) => ({
  grant_type: "password",
  client_id: AZURE_CLI,
  username: learner().userPrincipalName,
  password: learner().password ?? "",
  scope: `offline_access ${MANAGEMENT_RESOURCE}//.default openid profile`,
  client_info: "1",
  ...overrides,
});
const newEvents = async (work: () => Promise<unknown>) => {
  const after = test.sandbox.audit.list().at(-1)?.id ?? 0;
  await work();
  return test.sandbox.audit.list({ after, category: "SignInLogs" });
};

describe("the password grant", () => {
  it("answers a public client with an access token for the resource, an ID token and a refresh token, and logs a user sign-in (ropc)", async () => {
    let answer: Awaited<ReturnType<typeof token>> | undefined;
    const events = await newEvents(async () => (answer = await token(password())));
    expect(answer?.status).toBe(200);
    const body = answer?.body ?? {};
    expect(body).toMatchObject({
      token_type: "Bearer",
      expires_in: 3600,
      scope: `${MANAGEMENT_RESOURCE}//.default`,
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      id_token: expect.any(String),
      client_info: expect.any(String),
    });
    const check = await test.sandbox.tokens
      .validator()
      .validate(`Bearer ${String(body["access_token"])}`, MANAGEMENT_RESOURCE);
    expect(check).toMatchObject({ ok: true, principal: { objectId: learner().objectId, appId: AZURE_CLI } });
    // MSAL checks the ID token's issuer (the OpenID configuration's) and audience (its own client id).
    expect(decodeJwt(String(body["id_token"]))).toMatchObject({
      aud: AZURE_CLI,
      iss: test.sandbox.tokens.issuer,
      tid: test.sandbox.tenant.tenant.id,
      oid: learner().objectId,
      preferred_username: learner().userPrincipalName,
    });
    expect(JSON.parse(Buffer.from(String(body["client_info"]), "base64url").toString())).toEqual({
      uid: learner().objectId,
      utid: test.sandbox.tenant.tenant.id,
    });
    expect(events).toEqual([
      expect.objectContaining({
        category: "SignInLogs",
        resultType: "Success",
        authenticationProtocol: "ropc",
        resource: MANAGEMENT_RESOURCE,
        caller: expect.objectContaining({
          objectId: learner().objectId,
          displayName: learner().userPrincipalName,
          appId: AZURE_CLI,
          type: "User",
        }),
        uniqueTokenIdentifier: decodeJwt(String(body["access_token"]))["uti"],
      }),
    ]);
  });

  it("refuses as Entra ID does: a wrong password (50126), an unknown user (50034), a client that is not a public client (700016), no resource (70011)", async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ password: "wrong" }, 50126, "invalid_grant"],
      [{ username: "nobody@keyless.local" }, 50034, "invalid_grant"],
      [{ client_id: test.sandbox.tenant.servicePrincipals[0]?.appId ?? "" }, 700016, "unauthorized_client"],
      [{ scope: "openid profile offline_access" }, 70011, "invalid_scope"],
      [{ scope: "https://graph.microsoft.com/.default" }, 500011, "invalid_resource"],
    ];
    for (const [overrides, code, error] of cases) {
      const { status, body } = await token(password(overrides));
      expect(status, JSON.stringify(overrides)).toBe(400);
      expect(body).toMatchObject({ error, error_codes: [code] });
    }
    const events = await newEvents(() => token(password({ password: "wrong" })));
    expect(events).toEqual([
      expect.objectContaining({
        resultType: "Failure",
        errorCode: "AADSTS50126",
        failureReason: "Error validating credentials due to invalid username or password.",
        caller: expect.objectContaining({ displayName: learner().userPrincipalName }),
      }),
    ]);
  });
});

describe("the refresh token grant", () => {
  it("gives a token for another resource (the vault's, with its port) and a new refresh token, logged as a sign-in with a refresh token", async () => {
    const first = await token(password());
    const resource = vaultResourceOf(test.sandbox.endpoints.keyVaultUrl);
    let answer: Awaited<ReturnType<typeof token>> | undefined;
    const events = await newEvents(
      async () =>
        (answer = await token({
          grant_type: "refresh_token",
          client_id: AZURE_CLI,
          refresh_token: String(first.body["refresh_token"]),
          scope: `${resource}/.default openid offline_access profile`,
        })),
    );
    expect(answer?.status).toBe(200);
    expect(
      await test.sandbox.tokens.validator().validate(`Bearer ${String(answer?.body["access_token"])}`, resource),
    ).toMatchObject({ ok: true, principal: { objectId: learner().objectId } });
    expect(answer?.body["refresh_token"]).toEqual(expect.any(String));
    expect(events).toEqual([
      expect.objectContaining({
        resultType: "Success",
        incomingTokenType: "refreshToken",
        resource,
        caller: expect.objectContaining({ type: "User" }),
      }),
    ]);
  });

  it("refuses a refresh token that is not one (9002313), another client's (70000), an access token in its place", async () => {
    const first = await token(password());
    const refresh = (overrides: Record<string, string>) =>
      token({
        grant_type: "refresh_token",
        client_id: AZURE_CLI,
        refresh_token: String(first.body["refresh_token"]),
        scope: `${MANAGEMENT_RESOURCE}/.default`,
        ...overrides,
      });
    expect((await refresh({ refresh_token: "garbage" })).body).toMatchObject({
      error: "invalid_grant",
      error_codes: [9002313],
    });
    expect((await refresh({ client_id: "1950a258-227b-4e31-a9cf-717495945fc2" })).body).toMatchObject({
      error: "invalid_grant",
      error_codes: [70000],
    });
    expect((await refresh({ refresh_token: String(first.body["access_token"]) })).body).toMatchObject({
      error: "invalid_grant",
    });
  });
});

describe("the OpenID configuration", () => {
  it("lists the grants the token endpoint takes", async () => {
    const configuration = (await (
      await fetch(`${test.sandbox.endpoints.authorityHost}/adfs/.well-known/openid-configuration`)
    ).json()) as { grant_types_supported: string[] };
    expect(configuration.grant_types_supported).toEqual(
      expect.arrayContaining(["client_credentials", "password", "refresh_token"]),
    );
  });
});
