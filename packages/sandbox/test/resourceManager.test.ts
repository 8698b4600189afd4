/** Azure Resource Manager, as the real Azure CLI calls it: the cloud's metadata, tenants, subscriptions, resource groups. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANAGEMENT_RESOURCE } from "../src/index.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test.stop());

const arm = async (path: string, token?: string) => {
  const response = await fetch(`${test.sandbox.endpoints.resourceManager}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
};
const tokenFor = (objectId: string, audience = MANAGEMENT_RESOURCE) =>
  test.sandbox.tokens.issue({ audience, objectId });
const learner = () => test.sandbox.directory.users[0]?.objectId ?? "";

describe("the cloud's metadata (what az cloud register reads)", () => {
  it("answers anonymously with the login endpoint (ADFS-style) and the management audience, also after a double slash", async () => {
    const { endpoints } = test.sandbox;
    for (const path of ["/metadata/endpoints?api-version=2015-01-01", "//metadata/endpoints?api-version=2015-01-01"]) {
      const { status, body } = await arm(path);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        graphEndpoint: expect.any(String),
        authentication: { loginEndpoint: `${endpoints.authorityHost}/adfs`, audiences: [`${MANAGEMENT_RESOURCE}/`] },
      });
    }
    const newer = await arm("/metadata/endpoints?api-version=2022-09-01");
    expect(newer.body).toEqual([
      expect.objectContaining({
        resourceManager: `${endpoints.resourceManager}/`,
        authentication: expect.objectContaining({ identityProvider: "ADFS" }),
      }),
    ]);
  });
});

describe("authentication, in ARM's words", () => {
  it("no token: 401 AuthenticationFailed, with the authority in WWW-Authenticate", async () => {
    const { status, headers, body } = await arm("/subscriptions?api-version=2022-12-01");
    expect(status).toBe(401);
    expect(body).toEqual({
      error: { code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing." },
    });
    expect(headers.get("www-authenticate")).toContain(
      `authorization_uri="${test.sandbox.endpoints.authorityHost}/adfs"`,
    );
  });

  it("a token for another resource: 401 InvalidAuthenticationTokenAudience; for the management resource, with or without its slash: accepted", async () => {
    const vault = await arm(
      "/subscriptions?api-version=2022-12-01",
      await tokenFor(learner(), "https://vault.localhost"),
    );
    expect(vault.status).toBe(401);
    expect(vault.body).toMatchObject({
      error: {
        code: "InvalidAuthenticationTokenAudience",
        message: expect.stringContaining("'https://vault.localhost'"),
      },
    });
    for (const audience of [MANAGEMENT_RESOURCE, `${MANAGEMENT_RESOURCE}/`])
      expect((await arm("/subscriptions?api-version=2022-12-01", await tokenFor(learner(), audience))).status).toBe(
        200,
      );
  });

  it("an expired token: ExpiredAuthenticationToken; a request without api-version: MissingApiVersionParameter", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await test.sandbox.tokens.issue({
      audience: MANAGEMENT_RESOURCE,
      objectId: learner(),
      claims: { iat: now - 4000, nbf: now - 4000, exp: now - 400 },
    });
    expect((await arm("/subscriptions?api-version=2022-12-01", expired)).body).toMatchObject({
      error: { code: "ExpiredAuthenticationToken" },
    });
    const noVersion = await arm("/subscriptions", await tokenFor(learner()));
    expect(noVersion.status).toBe(400);
    expect(noVersion.body).toMatchObject({ error: { code: "MissingApiVersionParameter" } });
    expect((await arm("/subscriptions?api-version=latest", await tokenFor(learner()))).body).toMatchObject({
      error: { code: "InvalidApiVersionParameter" },
    });
  });
});

describe("tenants, subscriptions, resource groups", () => {
  it("GET /tenants: the sandbox's directory", async () => {
    const { body } = await arm("/tenants?api-version=2022-12-01", await tokenFor(learner()));
    expect(body).toEqual({
      value: [
        expect.objectContaining({
          id: `/tenants/${test.sandbox.tenant.tenant.id}`,
          tenantId: test.sandbox.tenant.tenant.id,
          defaultDomain: "keyless.local",
        }),
      ],
    });
  });

  it("GET /subscriptions: the subscription, to whoever has a role assignment in it; to nobody else", async () => {
    const { tenant, directory } = test.sandbox;
    const listed = await arm("/subscriptions?api-version=2022-12-01", await tokenFor(learner()));
    expect(listed.body).toEqual({
      value: [
        expect.objectContaining({
          id: `/subscriptions/${tenant.subscription.id}`,
          subscriptionId: tenant.subscription.id,
          tenantId: tenant.tenant.id,
          displayName: "keyless sandbox",
          state: "Enabled",
        }),
      ],
      count: { type: "Total", value: 1 },
    });
    const stranger =
      directory.servicePrincipals.find((sp) => sp.displayName === "keyless-workspace-sp")?.objectId ?? "";
    expect((await arm("/subscriptions?api-version=2022-12-01", await tokenFor(stranger))).body).toEqual({
      value: [],
      count: { type: "Total", value: 0 },
    });
    expect(
      (await arm(`/subscriptions/${tenant.subscription.id}?api-version=2022-12-01`, await tokenFor(stranger))).body,
    ).toMatchObject({ error: { code: "SubscriptionNotFound" } });
    expect(
      (await arm(`/subscriptions/${tenant.subscription.id}?api-version=2022-12-01`, await tokenFor(learner()))).body,
    ).toMatchObject({ subscriptionId: tenant.subscription.id });
  });

  it("resource groups: listed and shown (any case), a missing one ResourceGroupNotFound", async () => {
    const { tenant } = test.sandbox;
    const token = await tokenFor(learner());
    const base = `/subscriptions/${tenant.subscription.id}/resourcegroups`;
    expect((await arm(`${base}?api-version=2022-09-01`, token)).body).toEqual({
      value: [expect.objectContaining({ name: tenant.deployment.resourceGroup, location: tenant.deployment.location })],
    });
    expect(
      (await arm(`/subscriptions/${tenant.subscription.id}/resourceGroups/KEYLESS-RG?api-version=2022-09-01`, token))
        .body,
    ).toMatchObject({ name: tenant.deployment.resourceGroup, type: "Microsoft.Resources/resourceGroups" });
    const missing = await arm(`${base}/nope?api-version=2022-09-01`, token);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: "ResourceGroupNotFound", message: "Resource group 'nope' could not be found." },
    });
  });

  it("anything else: ARM's JSON, never HTML", async () => {
    const { status, body } = await arm("/providers?api-version=2022-09-01", await tokenFor(learner()));
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: { code: "NotFound" } });
  });
});
