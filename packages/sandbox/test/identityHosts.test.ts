/**
 * Every host that hands an app its identity, as Azure's protocols define
 * them: Container Apps' identity endpoint, a VM's IMDS, App Service's with a
 * user-assigned identity, and AKS workload identity (the cluster's OIDC issuer,
 * the projected token, Entra ID's client-assertion exchange). Then the real
 * DefaultAzureCredential on each host, configured by the environment alone.
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS } from "../src/index.ts";
import { getSecretInChild, startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test?.stop());

const VAULT = "https://vault.localhost";
const identity = (name: string) => {
  const found = test.sandbox.directory.userAssigned.get(name);
  if (!found) throw new Error(`no identity ${name}`);
  return found;
};
const get = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    text,
    body: (/json/.test(response.headers.get("content-type") ?? "") ? JSON.parse(text) : undefined) as Record<
      string,
      unknown
    >,
  };
};
const oidOf = async (body: Record<string, unknown>, audience = VAULT) => {
  const check = await test.sandbox.tokens.validator().validate(`Bearer ${String(body["access_token"])}`, audience);
  return check.ok ? check.principal.objectId : `refused: ${check.reason}`;
};
const lastSignIn = () => test.sandbox.audit.list({ last: 1 })[0];

describe("Container Apps' managed identity endpoint", () => {
  const endpoint = () => test.sandbox.endpoints.identityHosts.containerApps;
  const header = () => test.sandbox.siteEnvironment("keyless-step-03", "container-apps")["IDENTITY_HEADER"] ?? "";
  const token = (query: string, headers: Record<string, string> = { "x-identity-header": header() }) =>
    get(`${endpoint()}?api-version=2019-08-01&resource=${VAULT}${query}`, headers);

  it("gives the app a token for its user-assigned identity, named by client id, object id or resource id", async () => {
    const id = identity("keyless-id-03");
    for (const query of [
      `&client_id=${id.appId}`,
      `&principal_id=${id.objectId}`,
      `&object_id=${id.objectId}`,
      `&mi_res_id=${encodeURIComponent(id.resourceId)}`,
    ]) {
      const { status, body } = await token(query);
      expect(status, query).toBe(200);
      expect(body).toEqual({
        access_token: expect.any(String),
        expires_on: expect.stringMatching(/^\d+$/),
        resource: VAULT,
        token_type: "Bearer",
        client_id: id.appId,
      });
      expect(await oidOf(body)).toBe(id.objectId);
    }
    expect(lastSignIn()).toMatchObject({
      category: "ManagedIdentitySignInLogs",
      clientCredentialType: "managedIdentity",
      statusCode: 200,
      caller: { objectId: id.objectId, displayName: "keyless-id-03", type: "ManagedIdentity" },
    });
  });

  it("refuses a missing or wrong X-IDENTITY-HEADER with a bare 403, as Container Apps does", async () => {
    const tries: Record<string, string>[] = [
      {},
      { "x-identity-header": "guess" },
      { "x-identity-header": test.sandbox.siteEnvironment("keyless-step-03")["IDENTITY_HEADER"] ?? "" },
    ];
    for (const headers of tries) {
      const answer = await token(`&client_id=${identity("keyless-id-03").appId}`, headers);
      expect(answer.status).toBe(403);
      expect(answer.text).toBe("");
    }
  });

  it("has no system-assigned identity: without a client id the app gets 400, in App Service's error shape", async () => {
    const { status, body } = await token("");
    expect(status).toBe(400);
    expect(body).toEqual({
      statusCode: 400,
      message: expect.stringMatching(/^Unable to load the proper Managed Identity\. \(sandbox hint: .*AZURE_CLIENT_ID/),
      correlationId: expect.any(String),
    });
  });

  it("refuses another app's identity, two ids at once, IMDS's msi_res_id, an old api-version and an unknown resource", async () => {
    const id = identity("keyless-id-03");
    expect((await token(`&client_id=${identity("keyless-id-04").appId}`)).status).toBe(400);
    expect((await token(`&client_id=${id.appId}&object_id=${id.objectId}`)).status).toBe(400);
    expect((await token(`&client_id=${id.appId}&client_id=${id.appId}`)).status).toBe(400);
    expect((await token(`&msi_res_id=${encodeURIComponent(id.resourceId)}`)).status).toBe(400);
    const old = await get(`${endpoint()}?api-version=2017-09-01&resource=${VAULT}&client_id=${id.appId}`, {
      "x-identity-header": header(),
    });
    expect(old.status).toBe(400);
    const unknown = await get(
      `${endpoint()}?api-version=2019-08-01&resource=https://vault.azure.net&client_id=${id.appId}`,
      { "x-identity-header": header() },
    );
    expect(unknown.body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^AADSTS500011: /) });
    expect(lastSignIn()).toMatchObject({
      statusCode: 400,
      errorCode: "AADSTS500011",
      caller: { objectId: id.objectId },
    });
  });

  it("gives the container app its own header, other than App Service's, and answers what it does not serve with a bare 404", async () => {
    expect(header()).toMatch(/^[0-9a-f-]{36}$/);
    expect(header()).not.toBe(test.sandbox.siteEnvironment("keyless-step-03")["IDENTITY_HEADER"]);
    const missing = await get(endpoint().replace("/msi/token", "/metadata"), { "x-identity-header": header() });
    expect([missing.status, missing.text]).toEqual([404, ""]);
  });
});

describe("a virtual machine's IMDS", () => {
  const address = () => test.sandbox.endpoints.identityHosts.imds;
  const imds = (query: string, headers: Record<string, string> = { Metadata: "true" }) =>
    get(`${address()}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${VAULT}${query}`, headers);

  it("refuses a request without `Metadata: true` (in lower case): 400, OAuth's error shape", async () => {
    const tries: Record<string, string>[] = [{}, { Metadata: "True" }, { Metadata: "false" }];
    for (const headers of tries) {
      const answer = await imds(`&client_id=${identity("keyless-id-03").appId}`, headers);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: "invalid_request",
        error_description: "Required metadata header not specified",
      });
    }
  });

  it("gives any caller a token for an identity of the VM, named by client id, object id or resource id; its numbers are strings", async () => {
    for (const name of ["keyless-id-03", "keyless-id-04"]) {
      const id = identity(name);
      for (const query of [
        `&client_id=${id.appId}`,
        `&object_id=${id.objectId}`,
        `&msi_res_id=${encodeURIComponent(id.resourceId)}`,
        `&mi_res_id=${encodeURIComponent(id.resourceId)}`,
      ]) {
        const { status, body } = await imds(query);
        expect(status, query).toBe(200);
        expect(body).toEqual({
          access_token: expect.any(String),
          client_id: id.appId,
          expires_in: "3600",
          expires_on: expect.stringMatching(/^\d+$/),
          ext_expires_in: "3600",
          not_before: expect.stringMatching(/^\d+$/),
          resource: VAULT,
          token_type: "Bearer",
        });
        expect(await oidOf(body)).toBe(id.objectId);
      }
    }
    expect(lastSignIn()).toMatchObject({
      category: "ManagedIdentitySignInLogs",
      clientCredentialType: "managedIdentity",
      caller: { displayName: "keyless-id-04" },
      requestUri: "/metadata/identity/oauth2/token",
    });
  });

  it("asks which identity when the VM has several and no system-assigned one", async () => {
    const { status, body } = await imds("");
    expect(status).toBe(400);
    expect(body).toEqual({
      error: "invalid_request",
      error_description:
        "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request",
    });
  });

  it("refuses an identity the VM does not have, a missing or unknown resource, a proxied request", async () => {
    expect((await imds("&client_id=11111111-1111-1111-1111-111111111111")).body).toMatchObject({
      error: "invalid_request",
      error_description: expect.stringMatching(/^Identity not found/),
    });
    const id = `&client_id=${identity("keyless-id-03").appId}`;
    const noResource = await get(`${address()}/metadata/identity/oauth2/token?api-version=2018-02-01${id}`, {
      Metadata: "true",
    });
    expect(noResource.body).toEqual({
      error: "invalid_request",
      error_description: "Required audience parameter not specified",
    });
    const unknown = await get(
      `${address()}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net${id}`,
      { Metadata: "true" },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      error: "invalid_resource",
      error_description: expect.stringMatching(/^AADSTS500011: /),
    });
    expect((await imds(id, { Metadata: "true", "X-Forwarded-For": "203.0.113.7" })).status).toBe(400);
    expect(
      (
        await get(`${address()}/metadata/identity/oauth2/token?api-version=2017-01-01&resource=${VAULT}${id}`, {
          Metadata: "true",
        })
      ).status,
    ).toBe(400);
  });

  it("answers what it does not serve with IMDS's 404", async () => {
    const answer = await get(`${address()}/metadata/identity`, { Metadata: "true" });
    expect([answer.status, answer.body]).toEqual([404, { error: "Not Found" }]);
  });
});

describe("App Service's endpoint with a user-assigned identity", () => {
  const msi = (query: string) =>
    get(`${test.sandbox.endpoints.identityEndpoint}?api-version=2019-08-01&resource=${VAULT}${query}`, {
      "x-identity-header": test.sandbox.siteEnvironment("keyless-step-03")["IDENTITY_HEADER"] ?? "",
    });

  it("gives the system-assigned identity by default, and an attached user-assigned one by client id, object id or mi_res_id", async () => {
    expect(await oidOf((await msi("")).body)).toBe(test.sandbox.directory.apps.get("keyless-step-03")?.objectId);
    const id = identity("keyless-id-03");
    for (const query of [
      `&client_id=${id.appId}`,
      `&object_id=${id.objectId}`,
      `&principal_id=${id.objectId}`,
      `&mi_res_id=${encodeURIComponent(id.resourceId)}`,
    ]) {
      const { status, body } = await msi(query);
      expect(status, query).toBe(200);
      expect(body["client_id"]).toBe(id.appId);
      expect(await oidOf(body)).toBe(id.objectId);
    }
  });

  it("refuses an identity attached to another app", async () => {
    const { status, body } = await msi(`&client_id=${identity("keyless-id-04").appId}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/^Unable to load the proper Managed Identity\./),
    });
  });
});

describe("AKS workload identity", () => {
  const cluster = () => test.sandbox.endpoints.identityHosts.clusterIssuer;
  const env = () => test.sandbox.siteEnvironment("keyless-step-03", "aks");
  const projected = () => readFileSync(env()["AZURE_FEDERATED_TOKEN_FILE"] ?? "", "utf8");
  const exchange = (values: Record<string, string>) =>
    fetch(`${test.sandbox.endpoints.authorityHost}/adfs/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: identity("keyless-id-03").appId,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: projected(),
        scope: `${VAULT}/.default`,
        ...values,
      }),
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));
  /** A token signed by the sandbox's cluster, with claims changed. */
  const clusterToken = (
    serviceAccount: string,
    options: { audience?: string[]; claims?: Record<string, unknown> } = {},
  ) =>
    test.sandbox.cluster.serviceAccountToken({
      namespace: "keyless",
      serviceAccount,
      ...(options.audience ? { audience: options.audience } : {}),
      ...(options.claims ? { claims: options.claims } : {}),
    });

  it("publishes its OIDC issuer: the discovery document and the keys that verify the pods' tokens", async () => {
    const discovery = await get(`${cluster()}.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.body).toMatchObject({
      issuer: cluster(),
      jwks_uri: `${cluster()}openid/v1/jwks`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
    expect(cluster()).toMatch(new RegExp(`^https://localhost:\\d+/${test.sandbox.tenant.tenant.id}/[0-9a-f-]{36}/$`));
    const { payload } = await jwtVerify(projected(), createRemoteJWKSet(new URL(String(discovery.body["jwks_uri"]))), {
      issuer: cluster(),
      audience: "api://AzureADTokenExchange",
    });
    expect(payload.sub).toBe("system:serviceaccount:keyless:keyless-step-03");
    expect((await get(`${cluster()}nothing`)).text).toBe("404 page not found\n");
  });

  it("projects the token into a file only its owner reads, named by AZURE_FEDERATED_TOKEN_FILE", () => {
    const file = env()["AZURE_FEDERATED_TOKEN_FILE"] ?? "";
    expect(file).toMatch(/aks\/keyless-step-03\/azure-identity-token$/);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(decodeJwt(projected())).toMatchObject({ iss: cluster(), aud: ["api://AzureADTokenExchange"] });
  });

  it("exchanges the projected token for an Entra ID token of the identity whose federated credential matches", async () => {
    const { status, body } = await exchange({});
    expect(status).toBe(200);
    expect(body).toEqual({
      token_type: "Bearer",
      expires_in: 3600,
      ext_expires_in: 3600,
      access_token: expect.any(String),
    });
    expect(await oidOf(body)).toBe(identity("keyless-id-03").objectId);
    expect(decodeJwt(String(body["access_token"]))).toMatchObject({
      appid: identity("keyless-id-03").appId,
      appidacr: "2",
    });
    expect(lastSignIn()).toMatchObject({
      category: "ManagedIdentitySignInLogs",
      clientCredentialType: "federatedIdentityCredential",
      statusCode: 200,
      resource: VAULT,
      caller: { displayName: "keyless-id-03", type: "ManagedIdentity" },
    });
    expect(JSON.stringify(test.sandbox.audit.list())).not.toContain(projected());
  });

  it("refuses another service account's token (AADSTS700213), another audience (AADSTS700212), another issuer (AADSTS700211)", async () => {
    const subject = await exchange({ client_assertion: clusterToken("keyless-step-04") });
    expect(subject).toMatchObject({ status: 400, body: { error: "invalid_client", error_codes: [700213] } });
    expect(String(subject.body["error_description"])).toMatch(
      /^AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:keyless:keyless-step-04'\./,
    );
    expect(lastSignIn()).toMatchObject({
      statusCode: 400,
      errorCode: "AADSTS700213",
      clientCredentialType: "federatedIdentityCredential",
      caller: { displayName: "keyless-id-03" },
    });
    expect(
      await exchange({ client_assertion: clusterToken("keyless-step-03", { audience: ["api://SomethingElse"] }) }),
    ).toMatchObject({ status: 400, body: { error_codes: [700212] } });
    // A token that looks like the cluster's, from an issuer nobody trusts: its own key, its own iss.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${part({ alg: "RS256", kid: "other" })}.${part({ iss: "https://oidc.example.com/", sub: "system:serviceaccount:keyless:keyless-step-03", aud: ["api://AzureADTokenExchange"], iat: now, nbf: now, exp: now + 600 })}`;
    const foreign = `${unsigned}.${sign("sha256", Buffer.from(unsigned), privateKey).toString("base64url")}`;
    expect(await exchange({ client_assertion: foreign })).toMatchObject({
      status: 400,
      body: { error: "invalid_client", error_codes: [700211] },
    });
  });

  it("refuses a forged signature (AADSTS700027), an expired token (AADSTS700024), a malformed one (AADSTS50027)", async () => {
    const [header, payload] = projected().split(".");
    const forged = `${header}.${payload}.${Buffer.from("not the cluster's signature").toString("base64url")}`;
    expect(await exchange({ client_assertion: forged })).toMatchObject({
      status: 400,
      body: { error: "invalid_client", error_codes: [700027] },
    });
    const past = Math.floor(Date.now() / 1000) - 7200;
    const expired = clusterToken("keyless-step-03", { claims: { iat: past, nbf: past, exp: past + 3600 } });
    expect(await exchange({ client_assertion: expired })).toMatchObject({
      status: 400,
      body: { error: "invalid_client", error_codes: [700024] },
    });
    expect(await exchange({ client_assertion: "not-a-jwt" })).toMatchObject({
      status: 400,
      body: { error: "invalid_request", error_codes: [50027] },
    });
  });

  it("refuses another assertion type (AADSTS7000216), an unknown client (AADSTS700016), and an app registration without federated credentials", async () => {
    expect(
      await exchange({ client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer" }),
    ).toMatchObject({ status: 400, body: { error_codes: [7000216] } });
    expect(await exchange({ client_id: "11111111-1111-1111-1111-111111111111" })).toMatchObject({
      status: 400,
      body: { error: "unauthorized_client", error_codes: [700016] },
    });
    const registration = test.sandbox.tenant.servicePrincipals[0]?.appId ?? "";
    expect(await exchange({ client_id: registration })).toMatchObject({ status: 400, body: { error_codes: [700211] } });
    expect(lastSignIn()).toMatchObject({
      category: "ServicePrincipalSignInLogs",
      clientCredentialType: "federatedIdentityCredential",
      statusCode: 400,
    });
  });
});

describe("the real DefaultAzureCredential on every host, configured by the environment alone", () => {
  for (const host of HOSTS) {
    it(`reads the secret as step 03's app on ${host}`, async () => {
      const env = test.sandbox.siteEnvironment("keyless-step-03", host);
      // Never a secret of its own: only what the host gives.
      expect(
        Object.keys(env).filter((name) => /^AZURE_(CLIENT_SECRET|CLIENT_CERTIFICATE|PASSWORD)/.test(name)),
      ).toEqual([]);
      expect(await getSecretInChild(env)).toEqual({ ok: true, value: test.sandbox.tenant.thirdParty.keys[0] });
      const signIn = test.sandbox.audit
        .list({ category: host === "aks" ? "ManagedIdentitySignInLogs" : undefined })
        .findLast((event) => event.category === "ManagedIdentitySignInLogs");
      expect(signIn).toMatchObject({
        statusCode: 200,
        clientCredentialType: host === "aks" ? "federatedIdentityCredential" : "managedIdentity",
        caller: { displayName: host === "app-service" || host === "functions" ? "keyless-step-03" : "keyless-id-03" },
      });
    });
  }

  it("on the VM, without AZURE_CLIENT_ID, fails: the VM has two identities", async () => {
    const { AZURE_CLIENT_ID: _clientId, ...env } = test.sandbox.siteEnvironment("keyless-step-03", "vm");
    const result = await getSecretInChild(env);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/Multiple user assigned identities exist/);
  });
});
