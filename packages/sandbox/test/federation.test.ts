/**
 * Workload identity federation with GitHub Actions: a deployer's app
 * registration made with the Azure CLI's commands (through Microsoft Graph),
 * its federated credential pinned to one branch, and Entra ID exchanging a
 * job's GitHub token for its own, or refusing it with Azure's AADSTS codes;
 * the same for a user-assigned identity's credential (Resource Manager's);
 * and the credentials kept across a restart.
 */
import { createServer } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import tls from "node:tls";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explainDenial, isDenial, startSandbox } from "../src/index.ts";
import { FEDERATED_TYPE } from "../src/providers/managed-identity/resourceTypes.ts";
import { az, azJson, startTestSandbox, type TestSandbox } from "./helpers.ts";

const EXCHANGE = "api://AzureADTokenExchange";
const SHA = "0123456789abcdef0123456789abcdef01234567";
const REPOSITORY = "octo-learner/keyless";
const MAIN = `repo:${REPOSITORY}:ref:refs/heads/main`;

/** A job's GitHub token, as azure/login gets it: the runner registers the job, the job asks with its request token. */
async function gitHubToken(
  test: TestSandbox,
  run: Record<string, unknown> = {},
  audience: string = EXCHANGE,
): Promise<string> {
  const { runner } = test.sandbox.endpoints.github;
  const registered = await fetch(`${runner.url}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-keyless-runner-key": runner.key },
    body: JSON.stringify({
      repository: REPOSITORY,
      ref: "refs/heads/main",
      sha: SHA,
      eventName: "push",
      workflow: "Deploy",
      workflowPath: ".github/workflows/deploy.yml",
      actor: "octo-learner",
      runId: "7",
      ...run,
    }),
  });
  const job = (await registered.json()) as { requestUrl: string; requestToken: string };
  const answer = await fetch(`${job.requestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `bearer ${job.requestToken}` },
  });
  return ((await answer.json()) as { value: string }).value;
}

/** What `az login --federated-token` (MSAL) posts to Entra ID. */
async function exchange(test: TestSandbox, clientId: string, assertion: string) {
  const response = await fetch(
    `${test.sandbox.endpoints.authorityHost}/${test.sandbox.tenant.tenant.id}/oauth2/v2.0/token`,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        scope: "https://management.localhost/.default",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      }),
    },
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const credential = (test: TestSandbox, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    name: "github-main",
    issuer: test.sandbox.endpoints.github.issuer,
    subject: MAIN,
    audiences: [EXCHANGE],
    description: "Deploy from main",
    ...overrides,
  });

/** The deployer: an app registration, its service principal, and a federated credential for main. */
async function createDeployer(test: TestSandbox, name = "keyless-deployer") {
  const app = (await azJson(test.stateDir, "ad", "app", "create", "--display-name", name)) as {
    id: string;
    appId: string;
    passwordCredentials: unknown[];
  };
  const sp = (await azJson(test.stateDir, "ad", "sp", "create", "--id", app.appId)) as { id: string; appId: string };
  await azJson(
    test.stateDir,
    "ad",
    "app",
    "federated-credential",
    "create",
    "--id",
    app.appId,
    "--parameters",
    credential(test),
  );
  return { app, sp };
}

const lastSignIn = (test: TestSandbox) => test.sandbox.audit.list({ category: "ServicePrincipalSignInLogs" }).at(-1);

describe("a deployer with a federated credential for one branch", () => {
  let test: TestSandbox;
  let deployer: Awaited<ReturnType<typeof createDeployer>>;
  beforeAll(async () => {
    test = await startTestSandbox({ queue: false });
    deployer = await createDeployer(test);
  });
  afterAll(() => test?.stop());

  it("is made with az ad app create, az ad sp create and az ad app federated-credential create: no secret anywhere", async () => {
    expect(deployer.app).toMatchObject({ displayName: "keyless-deployer", passwordCredentials: [] });
    expect(deployer.sp.appId).toBe(deployer.app.appId);
    const listed = await azJson(test.stateDir, "ad", "app", "federated-credential", "list", "--id", deployer.app.appId);
    expect(listed).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: "github-main",
        issuer: test.sandbox.endpoints.github.issuer,
        subject: MAIN,
        audiences: [EXCHANGE],
        description: "Deploy from main",
      },
    ]);
    const shown = await azJson(
      test.stateDir,
      "ad",
      "app",
      "federated-credential",
      "show",
      "--id",
      deployer.app.id,
      "--federated-credential-id",
      "github-main",
    );
    expect(shown).toMatchObject({ name: "github-main", subject: MAIN });
    // Idempotent by display name, as the Azure CLI is.
    const again = await az(test.stateDir, "ad", "app", "create", "--display-name", "keyless-deployer");
    expect(again.stderr).toContain("WARNING: Found an existing application instance");
    expect(JSON.parse(again.stdout)).toMatchObject({ appId: deployer.app.appId });
    expect(test.sandbox.changes().map((change) => change.kind)).toEqual(
      expect.arrayContaining(["app registration created", "service principal created", "federated credential created"]),
    );
  });

  it("exchanges a job's token on main for an Entra ID token of the deployer, logged as a federated sign-in", async () => {
    const assertion = await gitHubToken(test);
    const { status, body } = await exchange(test, deployer.app.appId, assertion);
    expect(status).toBe(200);
    expect(decodeJwt(String(body["access_token"]))).toMatchObject({
      oid: deployer.sp.id,
      appid: deployer.app.appId,
      appidacr: "2",
      aud: "https://management.localhost",
    });
    expect(lastSignIn(test)).toMatchObject({
      category: "ServicePrincipalSignInLogs",
      clientCredentialType: "federatedIdentityCredential",
      statusCode: 200,
      caller: { objectId: deployer.sp.id, appId: deployer.app.appId, displayName: "keyless-deployer" },
      properties: {
        assertionIssuer: test.sandbox.endpoints.github.issuer,
        assertionSubject: MAIN,
        federatedCredentialId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    });
    expect(JSON.stringify(test.sandbox.audit.list())).not.toContain(assertion);
  });

  it("refuses a pull request's token (AADSTS700213, the subject named), another audience (AADSTS700212), another issuer (AADSTS700211)", async () => {
    const pullRequest = await gitHubToken(test, { eventName: "pull_request", ref: "refs/pull/3/merge" });
    const subject = await exchange(test, deployer.app.appId, pullRequest);
    expect(subject).toMatchObject({ status: 400, body: { error: "invalid_client", error_codes: [700213] } });
    expect(String(subject.body["error_description"])).toMatch(
      new RegExp(
        `^AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:${REPOSITORY}:pull_request'\\. Check your federated identity credential Subject, Audience and Issuer against the presented assertion\\. https://learn\\.microsoft\\.com/entra/workload-id/workload-identity-federation Trace ID: `,
      ),
    );
    expect(lastSignIn(test)).toMatchObject({
      statusCode: 400,
      errorCode: "AADSTS700213",
      clientCredentialType: "federatedIdentityCredential",
      properties: { assertionSubject: `repo:${REPOSITORY}:pull_request` },
    });

    const otherBranch = await exchange(test, deployer.app.appId, await gitHubToken(test, { ref: "refs/heads/dev" }));
    expect(otherBranch.body).toMatchObject({ error_codes: [700213] });
    const environment = await exchange(
      test,
      deployer.app.appId,
      await gitHubToken(test, { environment: "production" }),
    );
    expect(String(environment.body["error_description"])).toContain(`'repo:${REPOSITORY}:environment:production'`);

    const audience = await exchange(test, deployer.app.appId, await gitHubToken(test, {}, "api://SomethingElse"));
    expect(audience).toMatchObject({ status: 400, body: { error: "invalid_client", error_codes: [700212] } });
    expect(String(audience.body["error_description"])).toMatch(
      /^AADSTS700212: No matching federated identity record found for presented assertion audience 'api:\/\/SomethingElse'\./,
    );

    // The AKS cluster's token: a real issuer the sandbox runs, but not the one the credential trusts.
    const cluster = test.sandbox.cluster.serviceAccountToken({ namespace: "keyless", serviceAccount: "deployer" });
    const issuer = await exchange(test, deployer.app.appId, cluster);
    expect(issuer).toMatchObject({ status: 400, body: { error: "invalid_client", error_codes: [700211] } });
    expect(String(issuer.body["error_description"])).toContain(
      `presented assertion issuer '${test.sandbox.cluster.issuerUrl}'`,
    );
  });

  it("explains each refusal with its fix: a pull request is not to be trusted; another branch's subject gets the exact credential", async () => {
    const context = () => ({
      now: Date.now(),
      tenantId: test.sandbox.tenant.tenant.id,
      principals: test.sandbox.directory.all().map(({ objectId, displayName, type, appId }) => ({
        objectId,
        displayName,
        type,
        ...(appId ? { appId } : {}),
      })),
      assignments: test.sandbox.rbac.list(),
    });
    await exchange(
      test,
      deployer.app.appId,
      await gitHubToken(test, { eventName: "pull_request", ref: "refs/pull/4/merge" }),
    );
    const pullRequest = lastSignIn(test);
    if (!pullRequest) throw new Error("a sign-in was logged");
    expect(isDenial(pullRequest)).toBe(true);
    expect(explainDenial(pullRequest, context()).fix).toEqual({
      text: `The token came from a pull request's job (repo:${REPOSITORY}:pull_request): no credential trusts pull requests, and none should, since anyone can open one. Deploy from a push to the branch the credential names.`,
    });
    await exchange(test, deployer.app.appId, await gitHubToken(test, { ref: "refs/heads/release" }));
    const release = lastSignIn(test);
    if (!release) throw new Error("a sign-in was logged");
    expect(explainDenial(release, context()).fix).toMatchObject({
      command: `az ad app federated-credential create --id ${deployer.app.appId} --parameters '{"name":"github-deploy","issuer":"${test.sandbox.endpoints.github.issuer}","subject":"repo:${REPOSITORY}:ref:refs/heads/release","audiences":["api://AzureADTokenExchange"]}'`,
    });
  });

  it("names a subject that differs only by case (AADSTS7002138): subjects compare case included", async () => {
    const answer = await exchange(
      test,
      deployer.app.appId,
      await gitHubToken(test, { repository: "Octo-Learner/keyless" }),
    );
    expect(answer).toMatchObject({ status: 400, body: { error_codes: [7002138] } });
    expect(String(answer.body["error_description"])).toContain(
      "The subject matches with case-insensitive comparison, but not with case-sensitive comparison.",
    );
  });

  it("refuses an app registration that has no service principal yet (AADSTS7000229), naming the fix", async () => {
    const bare = (await azJson(test.stateDir, "ad", "app", "create", "--display-name", "keyless-no-sp")) as {
      appId: string;
    };
    const answer = await exchange(test, bare.appId, await gitHubToken(test));
    expect(answer).toMatchObject({ status: 400, body: { error: "invalid_client", error_codes: [7000229] } });
    expect(String(answer.body["error_description"])).toContain(
      `The client application ${bare.appId} is missing service principal in the tenant`,
    );
    expect(String(answer.body["error_description"])).toContain(`az ad sp create --id ${bare.appId}`);
  });

  it("a keyless app registration has no secret to guess: client credentials without an assertion are refused", async () => {
    const form = (extra: Record<string, string>) =>
      fetch(`${test.sandbox.endpoints.authorityHost}/adfs/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: deployer.app.appId,
          scope: "https://management.localhost/.default",
          ...extra,
        }),
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      }));
    expect(await form({})).toMatchObject({ status: 400, body: { error_codes: [7000216] } });
    expect(await form({ client_secret: "" })).toMatchObject({ status: 401, body: { error_codes: [7000215] } });
  });

  it("Graph checks a credential whole and changes nothing on a refusal", async () => {
    const before = await azJson(test.stateDir, "ad", "app", "federated-credential", "list", "--id", deployer.app.appId);
    const refusals: [Record<string, unknown>, string][] = [
      [{ name: "x" }, "Invalid value specified for property 'name' of resource 'FederatedIdentityCredential'."],
      [{ name: "http-issuer", issuer: "http://example.com" }, "property 'issuer'"],
      [{ name: "two-audiences", audiences: [EXCHANGE, "api://Other"] }, "property 'audiences'"],
      [{ name: "github-main" }, "FederatedIdentityCredential with name github-main already exists."],
      [{ name: "same-subject" }, "FederatedIdentityCredential with the same issuer and subject already exists."],
      [
        { name: "extra", color: "blue" },
        "Property 'color' does not exist on type 'microsoft.graph.federatedIdentityCredential'.",
      ],
    ];
    for (const [overrides, message] of refusals) {
      const result = await az(
        test.stateDir,
        "ad",
        "app",
        "federated-credential",
        "create",
        "--id",
        deployer.app.appId,
        "--parameters",
        credential(test, overrides),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
    }
    expect(
      await azJson(test.stateDir, "ad", "app", "federated-credential", "list", "--id", deployer.app.appId),
    ).toEqual(before);
  });
});

describe("az login --service-principal --federated-token, as azure/login runs it", () => {
  let test: TestSandbox;
  let deployer: Awaited<ReturnType<typeof createDeployer>>;
  beforeAll(async () => {
    test = await startTestSandbox({ queue: false });
    deployer = await createDeployer(test);
  });
  afterAll(() => test?.stop());

  const login = async (assertion: string) =>
    az(
      test.stateDir,
      "login",
      "--service-principal",
      "-u",
      deployer.app.appId,
      "--tenant",
      test.sandbox.tenant.tenant.id,
      "--federated-token",
      assertion,
    );

  it("says 'No subscriptions found' for a deployer with no role yet, and keeps no login", async () => {
    const result = await login(await gitHubToken(test));
    expect(result).toMatchObject({ code: 1, stderr: `ERROR: No subscriptions found for ${deployer.app.appId}.\n` });
    expect((await azJson(test.stateDir, "account", "show")) as { user: { type: string } }).toMatchObject({
      user: { type: "user" },
    });
  });

  it("prints Entra ID's refusal of a token for another subject and exits 1", async () => {
    const result = await login(await gitHubToken(test, { eventName: "pull_request", ref: "refs/pull/1/merge" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^ERROR: AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:octo-learner\/keyless:pull_request'\./,
    );
  });

  it("with a role on the resource group, signs in as the deployer: later commands act as it, with its roles only", async () => {
    const group = test.sandbox.scopes.resourceGroup;
    await azJson(
      test.stateDir,
      "role",
      "assignment",
      "create",
      "--assignee",
      deployer.app.appId,
      "--role",
      "Website Contributor",
      "--scope",
      group,
    );
    const result = await login(await gitHubToken(test));
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([
      {
        cloudName: "AzureCloud",
        id: test.sandbox.tenant.subscription.id,
        name: "keyless sandbox",
        state: "Enabled",
        tenantId: test.sandbox.tenant.tenant.id,
        homeTenantId: test.sandbox.tenant.tenant.id,
        isDefault: true,
        managedByTenants: [],
        user: { name: deployer.app.appId, type: "servicePrincipal" },
      },
    ]);
    expect(
      (await az(test.stateDir, "account", "set", "--subscription", test.sandbox.tenant.subscription.id)).code,
    ).toBe(0);
    const unknown = await az(test.stateDir, "account", "set", "--subscription", "00000000-0000-0000-0000-000000000000");
    expect(unknown).toMatchObject({
      code: 1,
      stderr:
        "ERROR: The subscription of '00000000-0000-0000-0000-000000000000' doesn't exist in cloud 'AzureCloud'.\n",
    });
    expect(await azJson(test.stateDir, "account", "show")).toMatchObject({
      user: { name: deployer.app.appId, type: "servicePrincipal" },
    });
    const token = (await azJson(
      test.stateDir,
      "account",
      "get-access-token",
      "--resource",
      "https://management.localhost",
    )) as {
      accessToken: string;
    };
    expect(decodeJwt(token.accessToken)).toMatchObject({ oid: deployer.sp.id, appidacr: "2" });

    // Website Contributor cannot grant roles: the deployer cannot widen its own access.
    const grant = await az(
      test.stateDir,
      "role",
      "assignment",
      "create",
      "--assignee",
      deployer.app.appId,
      "--role",
      "Owner",
      "--scope",
      group,
    );
    expect(grant.code).toBe(1);
    expect(grant.stderr).toContain("(AuthorizationFailed)");
    expect(grant.stderr).toContain("Microsoft.Authorization/roleAssignments/write");
    // Nor read the vault's app settings of a site it may manage? It may: Website Contributor lists a site's config.
    expect(
      (await az(test.stateDir, "webapp", "config", "appsettings", "list", "-g", "keyless-rg", "-n", "keyless-step-03"))
        .code,
    ).toBe(0);
    // Graph gives it nothing.
    const graph = await az(test.stateDir, "ad", "app", "list");
    expect(graph).toMatchObject({ code: 1, stderr: "ERROR: Insufficient privileges to complete the operation.\n" });
    // A secret of another app registration is not its to reset.
    const reset = await az(
      test.stateDir,
      "ad",
      "app",
      "credential",
      "reset",
      "--id",
      test.sandbox.tenant.servicePrincipals[0]?.appId ?? "",
    );
    expect(reset.code).toBe(1);
    expect(reset.stderr).toContain("(AuthorizationFailed)");

    expect((await az(test.stateDir, "logout")).code).toBe(0);
    expect(await azJson(test.stateDir, "account", "show")).toMatchObject({ user: { type: "user" } });
  });
});

describe("a user-assigned identity's federated credential, through Resource Manager", () => {
  let test: TestSandbox;
  beforeAll(async () => {
    test = await startTestSandbox({ queue: false });
  });
  afterAll(() => test?.stop());

  it("is kept as its ARM document, checked whole, and lets the identity sign in from main", async () => {
    const identity = test.sandbox.directory.userAssigned.get("keyless-id-03");
    if (!identity) throw new Error("infra/main.json makes keyless-id-03");
    const { arm } = test.sandbox;
    const id = (name: string) => `${identity.resourceId}/federatedIdentityCredentials/${name}`;
    const properties = { issuer: test.sandbox.endpoints.github.issuer, subject: MAIN, audiences: [EXCHANGE] };
    const kept = arm.put(id("github-main"), { properties }, undefined, "2023-01-31").resource;
    expect(kept).toMatchObject({ name: "github-main", type: FEDERATED_TYPE, properties });
    expect(() => arm.put(id("x"), { properties }, undefined)).toThrow(/is not valid/);
    expect(() => arm.put(id("twin"), { properties }, undefined)).toThrow(/already exists/);
    expect(() =>
      arm.put(
        id("two-audiences"),
        { properties: { ...properties, subject: "s", audiences: [EXCHANGE, "b"] } },
        undefined,
      ),
    ).toThrow(/must be one audience/);
    expect(arm.list(identity.resourceId, FEDERATED_TYPE, undefined).map((resource) => resource.name)).toEqual([
      "keyless-aks-step-03",
      "github-main",
    ]);

    const answer = await exchange(test, identity.appId, await gitHubToken(test));
    expect(answer.status).toBe(200);
    expect(decodeJwt(String(answer.body["access_token"]))).toMatchObject({ oid: identity.objectId, appidacr: "2" });
    expect(test.sandbox.audit.list({ category: "ManagedIdentitySignInLogs" }).at(-1)).toMatchObject({
      clientCredentialType: "federatedIdentityCredential",
      caller: { displayName: "keyless-id-03" },
    });
    // az identity federated-credential list shows it beside the template's AKS credential.
    const listed = (await azJson(
      test.stateDir,
      "identity",
      "federated-credential",
      "list",
      "--identity-name",
      "keyless-id-03",
      "-g",
      "keyless-rg",
    )) as { name: string }[];
    expect(listed.map((entry) => entry.name)).toEqual(["keyless-aks-step-03", "github-main"]);
    const pullRequest = await exchange(
      test,
      identity.appId,
      await gitHubToken(test, { eventName: "pull_request", ref: "refs/pull/2/merge" }),
    );
    expect(pullRequest.body).toMatchObject({ error_codes: [700213] });
  });
});

describe("az identity federated-credential create, through Resource Manager", () => {
  let test: TestSandbox;
  beforeAll(async () => {
    test = await startTestSandbox({ queue: false });
  });
  afterAll(() => test?.stop());

  it("creates, shows and deletes a user-assigned identity's credential with the Azure CLI's syntax", async (context) => {
    const identity = test.sandbox.directory.userAssigned.get("keyless-id-04");
    // The handler (federatedIdentityCredentialType) runs once Resource Manager routes the type to it.
    const probe = await fetch(
      `${test.sandbox.endpoints.resourceManager}${identity?.resourceId}/federatedIdentityCredentials/probe?api-version=2023-01-31`,
      {
        headers: {
          authorization: `Bearer ${await test.sandbox.tokens.issue({ audience: "https://management.localhost", objectId: test.sandbox.tenant.users[0]?.objectId ?? "" })}`,
        },
      },
    );
    if (probe.status === 404 && ((await probe.json()) as { error?: { code?: string } }).error?.code === "NotFound")
      context.skip(
        "Resource Manager does not route Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials yet",
      );
    const common = ["--identity-name", "keyless-id-04", "-g", "keyless-rg"];
    const created = await azJson(
      test.stateDir,
      "identity",
      "federated-credential",
      "create",
      "--name",
      "github-main",
      ...common,
      "--issuer",
      test.sandbox.endpoints.github.issuer,
      "--subject",
      MAIN,
    );
    expect(created).toMatchObject({
      name: "github-main",
      subject: MAIN,
      audiences: [EXCHANGE],
      resourceGroup: "keyless-rg",
    });
    expect(
      await azJson(test.stateDir, "identity", "federated-credential", "show", "--name", "github-main", ...common),
    ).toEqual(created);
    const answer = await exchange(test, identity?.appId ?? "", await gitHubToken(test));
    expect(answer.status).toBe(200);
    expect(
      (
        await az(
          test.stateDir,
          "identity",
          "federated-credential",
          "delete",
          "--name",
          "github-main",
          ...common,
          "--yes",
        )
      ).code,
    ).toBe(0);
    // Gone: no credential of the identity trusts GitHub's issuer any more (its AKS one trusts the cluster's).
    expect((await exchange(test, identity?.appId ?? "", await gitHubToken(test))).body).toMatchObject({
      error_codes: [700211],
    });
  });
});

describe("federated credentials survive a restart", () => {
  const freePort = () =>
    new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });

  it("an app registration, its service principal, its credential and its role are all there after a stop and a start; a reset removes them", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "keyless-federation-restart-"));
    try {
      // The issuer is GitHub's provider's URL: the same port after the restart, as npm start's fixed ports give.
      const ports = { github: await freePort() };
      const start = async () => {
        const sandbox = await startSandbox({ queue: false, stateDir, ports, auditFile: false });
        writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify(sandbox.endpoints), { mode: 0o600 });
        tls.setDefaultCACertificates([...tls.getCACertificates("default"), sandbox.certificates.caPem]);
        return { sandbox, stateDir } as TestSandbox;
      };
      let test = await start();
      const deployer = await createDeployer(test);
      await azJson(
        stateDir,
        "role",
        "assignment",
        "create",
        "--assignee",
        deployer.app.appId,
        "--role",
        "Website Contributor",
        "--scope",
        test.sandbox.scopes.resourceGroup,
      );
      await test.sandbox.stop();

      test = await start();
      const answer = await exchange(test, deployer.app.appId, await gitHubToken(test));
      expect(answer.status).toBe(200);
      expect(decodeJwt(String(answer.body["access_token"]))).toMatchObject({ oid: deployer.sp.id });
      expect(test.sandbox.rbac.list({ principalId: deployer.sp.id })).toHaveLength(1);
      const { discarded } = await test.sandbox.reset();
      expect(discarded.map((change) => change.kind)).toEqual(
        expect.arrayContaining([
          "app registration created",
          "service principal created",
          "federated credential created",
        ]),
      );
      expect((await exchange(test, deployer.app.appId, await gitHubToken(test))).body).toMatchObject({
        error_codes: [700016],
      });
      await test.sandbox.stop();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
