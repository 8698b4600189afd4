/**
 * The real Azure CLI, unchanged, against the sandbox: `az cloud register`
 * reads the cloud's endpoints from the sandbox's Resource Manager, then `az
 * login` signs in as a service principal and as the learner (username and
 * password, then refresh tokens), and the workshop's commands run: tokens,
 * Queue Storage with `--auth-mode login`, `az rest`, resource groups, and
 * infra/main.json validated, what-if'd and deployed. Every sign-in and data
 * request is checked in the audit log, and the sandbox's own az is checked to
 * print what the real one prints.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import { MANAGEMENT_RESOURCE, vaultResourceOf, type AuditEvent } from "@keyless/sandbox";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  JS_SAMPLES,
  REQUIRED,
  azEnvironment,
  clientSuite,
  findAzureCli,
  findPython,
  lastJson,
  pathWith,
  resolves,
  run,
  seedCommandIndex,
  startTestSandbox,
  type TestSandbox,
} from "../src/index.ts";

const cli = findAzureCli();
const python = findPython();
const vaultHost = "keyless-kv.vault.localhost";
// `az rest` to the vault needs the OS to resolve its name (az has no preload); the rest does not.
const resolution = python.ok
  ? resolves(python.path, vaultHost)
  : { ok: false as const, reason: `cannot tell whether ${vaultHost} resolves: ${python.reason}` };
const vaultIt = resolution.ok || REQUIRED ? it : it.skip;
const CLOUD = "keyless-sandbox";
/** The template the sandbox is provisioned with, its parameters, and the sandbox's own az. */
const TEMPLATE_FILE = fileURLToPath(new URL("../../../infra/main.json", import.meta.url));
const PARAMETERS_FILE = fileURLToPath(new URL("../../../infra/sandbox.parameters.json", import.meta.url));
const SANDBOX_AZ = fileURLToPath(new URL("../../sandbox/src/az/main.ts", import.meta.url));

clientSuite(`the Azure CLI${cli.ok ? ` ${cli.version}` : ""}`, [cli], () => {
  let test: TestSandbox;
  let config = "";
  beforeAll(async () => {
    test = await startTestSandbox();
    config = seedCommandIndex(cli, test.folder("azure-config"));
  });
  afterAll(() => test?.stop());

  const env = () => azEnvironment(config, { REQUESTS_CA_BUNDLE: test.sandbox.endpoints.caBundle });
  /** Runs `az`, and returns its JSON output with the audit events it caused. */
  const az = async (...args: string[]) => {
    const after = test.sandbox.audit.list().at(-1)?.id ?? 0;
    const result = await run(cli.ok ? cli.path : "az", [...args, "--output", "json"], env());
    return { result, json: () => JSON.parse(result.stdout) as unknown, events: test.sandbox.audit.list({ after }) };
  };
  const expectOk = (result: { code: number; stderr: string }) => expect(result.code, result.stderr).toBe(0);
  const learner = () => test.sandbox.tenant.users[0] ?? { userPrincipalName: "", objectId: "", password: "" };
  const sp = () =>
    test.sandbox.tenant.servicePrincipals.find((candidate) => candidate.displayName === "keyless-app-sp") ?? {
      appId: "",
      secret: "",
      objectId: "",
    };
  const queueEndpoint = () => (test.sandbox.endpoints.queueUrl ?? "").replace(/\/[^/]+$/, "");
  const of = (events: AuditEvent[], category: AuditEvent["category"]) =>
    events.filter((event) => event.category === category);

  it("az cloud register reads the sandbox cloud's endpoints from its Resource Manager", async () => {
    const { endpoints } = test.sandbox;
    const register = await az(
      "cloud",
      "register",
      "--name",
      CLOUD,
      "--endpoint-resource-manager",
      `${endpoints.resourceManager}/`,
      "--suffix-keyvault-dns",
      `.vault.localhost:${new URL(endpoints.keyVaultUrl).port}`,
    );
    expectOk(register.result);
    expectOk((await az("cloud", "set", "--name", CLOUD)).result);
    const show = await az("cloud", "show");
    expect(show.json()).toMatchObject({
      name: CLOUD,
      isActive: true,
      endpoints: {
        activeDirectory: `${endpoints.authorityHost}/adfs`,
        activeDirectoryResourceId: `${MANAGEMENT_RESOURCE}/`,
        resourceManager: `${endpoints.resourceManager}/`,
      },
    });
  });

  it("az login --service-principal: a client-secret sign-in for the management resource, then the subscription", async () => {
    const { tenant } = test.sandbox;
    const login = await az(
      "login",
      "--service-principal",
      "--username",
      sp().appId,
      "--password",
      sp().secret,
      "--tenant",
      tenant.tenant.id,
    );
    expectOk(login.result);
    expect(login.json()).toEqual([
      expect.objectContaining({
        id: tenant.subscription.id,
        tenantId: tenant.tenant.id,
        name: "keyless sandbox",
        user: { name: sp().appId, type: "servicePrincipal" },
        isDefault: true,
      }),
    ]);
    expect(of(login.events, "ServicePrincipalSignInLogs")).toEqual([
      expect.objectContaining({
        resultType: "Success",
        clientCredentialType: "clientSecret",
        resource: MANAGEMENT_RESOURCE,
        caller: expect.objectContaining({ displayName: "keyless-app-sp" }),
      }),
    ]);
  });

  it("az account get-access-token, as the service principal: for Resource Manager by default, for the vault when asked", async () => {
    const validator = test.sandbox.tokens.validator();
    const management = await az("account", "get-access-token");
    expectOk(management.result);
    const token = management.json() as { accessToken: string; subscription: string; tenant: string; tokenType: string };
    expect(token).toMatchObject({
      subscription: test.sandbox.tenant.subscription.id,
      tenant: test.sandbox.tenant.tenant.id,
      tokenType: "Bearer",
    });
    expect(await validator.validate(`Bearer ${token.accessToken}`, MANAGEMENT_RESOURCE)).toMatchObject({
      ok: true,
      principal: { objectId: sp().objectId, appId: sp().appId },
    });

    const resource = vaultResourceOf(test.sandbox.endpoints.keyVaultUrl);
    const vault = await az("account", "get-access-token", "--resource", resource);
    expectOk(vault.result);
    expect(
      await validator.validate(`Bearer ${(vault.json() as { accessToken: string }).accessToken}`, resource),
    ).toMatchObject({ ok: true });
  });

  vaultIt(
    `az rest reads the vault's secret as the service principal (Debian's az has no keyvault module)${resolution.ok ? "" : ` (skipped: ${resolution.reason})`}`,
    async () => {
      if (!resolution.ok) throw new Error(resolution.reason);
      const { endpoints, tenant } = test.sandbox;
      const read = await az(
        "rest",
        "--method",
        "get",
        "--url",
        `${endpoints.keyVaultUrl}/secrets/third-party-api-key?api-version=7.4`,
        "--resource",
        vaultResourceOf(endpoints.keyVaultUrl),
      );
      expectOk(read.result);
      expect(read.json()).toMatchObject({ value: tenant.thirdParty.keys[0] });
      expect(of(read.events, "AuditEvent").at(-1)).toMatchObject({
        operationName: "SecretGet",
        statusCode: 200,
        caller: { displayName: "keyless-app-sp" },
        authorization: { decision: "Allowed" },
      });
    },
  );

  it("az storage message put --auth-mode login, as the service principal: 403 without a queue role, as on Azure", async () => {
    const put = await az(
      "storage",
      "message",
      "put",
      "--queue-name",
      "code-requests",
      "--content",
      "az-sp",
      "--auth-mode",
      "login",
      "--queue-endpoint",
      queueEndpoint(),
    );
    expect(put.result.code).not.toBe(0);
    // az's own words for Storage's AuthorizationPermissionMismatch, as on Azure.
    expect(put.result.stderr).toContain("You do not have the required permissions needed to perform this operation.");
    expect(of(put.events, "StorageQueueLogs").at(-1)).toMatchObject({
      operationName: "PutMessage",
      statusCode: 403,
      caller: { displayName: "keyless-app-sp" },
      authorization: { decision: "Denied" },
    });
  });

  it("az login with the learner's username and a wrong password: AADSTS50126, a failed user sign-in", async () => {
    const login = await az("login", "--username", learner().userPrincipalName, "--password", "not-the-password");
    expect(login.result.code).not.toBe(0);
    expect(login.result.stderr).toContain("AADSTS50126");
    expect(of(login.events, "SignInLogs")).toEqual([
      expect.objectContaining({
        resultType: "Failure",
        errorCode: "AADSTS50126",
        authenticationProtocol: "ropc",
        caller: expect.objectContaining({ displayName: learner().userPrincipalName, type: "User" }),
      }),
    ]);
  });

  it("az login --username --password: the learner's own sign-in (a user sign-in, ropc), the tenant and its subscription", async () => {
    const { tenant } = test.sandbox;
    const login = await az("login", "--username", learner().userPrincipalName, "--password", learner().password ?? "");
    expectOk(login.result);
    expect(login.json()).toEqual([
      expect.objectContaining({
        id: tenant.subscription.id,
        tenantId: tenant.tenant.id,
        user: { name: learner().userPrincipalName, type: "user" },
        isDefault: true,
      }),
    ]);
    const signIns = of(login.events, "SignInLogs");
    expect(signIns[0]).toMatchObject({
      resultType: "Success",
      authenticationProtocol: "ropc",
      resource: MANAGEMENT_RESOURCE,
      caller: {
        objectId: learner().objectId,
        displayName: learner().userPrincipalName,
        appId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        type: "User",
      },
    });
    const show = await az("account", "show");
    expect(show.json()).toMatchObject({
      user: { name: learner().userPrincipalName, type: "user" },
      environmentName: CLOUD,
    });
  });

  it("az storage message put and peek --auth-mode login, as the learner: tokens from the refresh token, messages through RBAC", async () => {
    const text = `az-learner-${Date.now()}`;
    const put = await az(
      "storage",
      "message",
      "put",
      "--queue-name",
      "code-requests",
      "--content",
      text,
      "--auth-mode",
      "login",
      "--queue-endpoint",
      queueEndpoint(),
    );
    expectOk(put.result);
    expect(put.json()).toMatchObject({ content: text, id: expect.any(String) });
    expect(of(put.events, "SignInLogs")).toEqual([
      expect.objectContaining({
        resultType: "Success",
        incomingTokenType: "refreshToken",
        resource: "https://storage.azure.com",
      }),
    ]);
    expect(of(put.events, "StorageQueueLogs").at(-1)).toMatchObject({
      operationName: "PutMessage",
      statusCode: 201,
      caller: { displayName: learner().userPrincipalName },
      authorization: { roleDefinitionName: "Storage Queue Data Contributor" },
    });

    const peek = await az(
      "storage",
      "message",
      "peek",
      "--queue-name",
      "code-requests",
      "--num-messages",
      "32",
      "--auth-mode",
      "login",
      "--queue-endpoint",
      queueEndpoint(),
    );
    expectOk(peek.result);
    expect((peek.json() as { content: string }[]).map((message) => message.content)).toContain(text);
    expect(of(peek.events, "StorageQueueLogs").at(-1)).toMatchObject({
      operationName: "PeekMessages",
      statusCode: 200,
    });
  });

  it("az rest and az group: Resource Manager's subscriptions and resource groups, in ARM's shapes", async () => {
    const { endpoints, tenant } = test.sandbox;
    const subscriptions = await az(
      "rest",
      "--method",
      "get",
      "--url",
      `${endpoints.resourceManager}/subscriptions?api-version=2022-12-01`,
    );
    expectOk(subscriptions.result);
    expect(subscriptions.json()).toEqual({
      value: [
        expect.objectContaining({
          subscriptionId: tenant.subscription.id,
          tenantId: tenant.tenant.id,
          state: "Enabled",
        }),
      ],
      count: { type: "Total", value: 1 },
    });
    const group = await az("group", "show", "--name", tenant.deployment.resourceGroup);
    expectOk(group.result);
    expect(group.json()).toMatchObject({
      name: tenant.deployment.resourceGroup,
      location: tenant.deployment.location,
      properties: { provisioningState: "Succeeded" },
    });
    const missing = await az("group", "show", "--name", "no-such-group");
    expect(missing.result.code).not.toBe(0);
    expect(missing.result.stderr).toContain("ResourceGroupNotFound");
  });

  /** infra/main.json with the sandbox's parameters, and what a pipeline passes at deploy time. */
  const infra = (...more: string[]) => {
    const { parameters } = JSON.parse(readFileSync(PARAMETERS_FILE, "utf8")) as {
      parameters: Record<string, { value: unknown }>;
    };
    const secret =
      test.sandbox.directory.servicePrincipals.find((sp) => sp.appId === parameters["step02ClientId"]?.value)?.secret ??
      "";
    return {
      secret,
      args: [
        "-g",
        test.sandbox.tenant.deployment.resourceGroup,
        "--template-file",
        TEMPLATE_FILE,
        "--parameters",
        `@${PARAMETERS_FILE}`,
        `step02ClientSecret=${secret}`,
        `aksOidcIssuerUrl=${test.sandbox.endpoints.identityHosts.clusterIssuer}`,
        ...more,
      ],
    };
  };
  /** Runs the sandbox's own az, as a learner's `npm run az -- …` does. */
  const sandboxAz = (...args: string[]) => {
    const stateDir = test.sandbox.stateDir;
    writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify(test.sandbox.endpoints), { mode: 0o600 });
    return run(process.execPath, [SANDBOX_AZ, ...args], {
      PATH: process.env["PATH"] ?? "",
      KEYLESS_SANDBOX_DIR: stateDir,
    });
  };

  it("az deployment group validate and create: infra/main.json into the sandbox it provisioned, as the learner, as on Azure", async () => {
    const { args, secret } = infra();
    const validated = await az("deployment", "group", "validate", ...args);
    expectOk(validated.result);
    expect(validated.json()).toMatchObject({
      properties: { provisioningState: "Succeeded", validatedResources: expect.arrayContaining([]) },
    });
    expect(validated.result.stdout).not.toContain(secret);

    const created = await az("deployment", "group", "create", "-n", "from-the-real-az", ...args);
    expectOk(created.result);
    expect(created.json()).toMatchObject({
      name: "from-the-real-az",
      properties: { provisioningState: "Succeeded", parameters: { step02ClientSecret: { type: "SecureString" } } },
    });
    expect(created.result.stdout).not.toContain(secret);
    expect(of(created.events, "AzureActivity")).toContainEqual(
      expect.objectContaining({
        operationName: "Microsoft.Resources/deployments/write",
        caller: expect.objectContaining({ objectId: learner().objectId }),
      }),
    );
  });

  it("az deployment group what-if: all no change, printed exactly as the sandbox's own az prints it; a changed parameter a modify", async () => {
    const { args, secret } = infra();
    const real = await run(cli.ok ? cli.path : "az", ["deployment", "group", "what-if", ...args], env());
    expectOk(real);
    expect(real.stdout).toMatch(/\nResource changes: \d+ no change, 3 to ignore\.\n$/);
    expect(real.stdout).toContain("  = Microsoft.KeyVault/vaults/keyless-kv [2026-02-01]");
    expect(real.stdout).not.toContain(secret);
    const ours = await sandboxAz("deployment", "group", "what-if", ...args);
    expect(ours.stdout).toBe(real.stdout);

    const changed = await run(
      cli.ok ? cli.path : "az",
      ["deployment", "group", "what-if", ...infra("aksOidcIssuerUrl=https://issuer.example/changed/").args],
      env(),
    );
    expectOk(changed);
    expect(changed.stdout).toContain('=> "https://issuer.example/changed/"');
    expect(changed.stdout).toMatch(/\nResource changes: 2 to modify, \d+ no change, 3 to ignore\.\n$/);
  });

  it("az deployment group validate of a broken template: Resource Manager's InvalidTemplate, the file's line, as the sandbox's az prints it", async () => {
    const file = join(test.folder("templates"), "broken.json");
    writeFileSync(
      file,
      [
        "{",
        '  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",',
        '  "contentVersion": "1.0.0.0",',
        '  "resources": [',
        '    { "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31", "name": "[noSuchFunction(\'x\')]", "location": "westeurope" }',
        "  ]",
        "}",
      ].join("\n"),
    );
    const args = [
      "deployment",
      "group",
      "validate",
      "-g",
      test.sandbox.tenant.deployment.resourceGroup,
      "--template-file",
      file,
    ];
    const refused = await az(...args);
    expect(refused.result.code).toBe(1);
    expect(refused.result.stderr).toMatch(
      /^ERROR: \{"code": "InvalidTemplate", "message": "Deployment template validation failed: 'The template resource '\[noSuchFunction\('x'\)\]' at line '5' and column '5' is not valid/,
    );
    expect((await sandboxAz(...args, "--output", "json")).stderr).toBe(refused.result.stderr);
  });

  it("the JavaScript SDK's DefaultAzureCredential signs in as the developer through the real az (AzureCliCredential)", async () => {
    const { endpoints, tenant } = test.sandbox;
    const after = test.sandbox.audit.list().at(-1)?.id ?? 0;
    const result = await run(process.execPath, [join(JS_SAMPLES, "get_secret.mjs")], {
      ...env(),
      PATH: pathWith(cli.ok ? cli.path : "az"),
      // On a developer's machine: no AZURE_* variables, signed in with az login. The credential chain is narrowed to az.
      AZURE_TOKEN_CREDENTIALS: "AzureCliCredential",
      KEY_VAULT_URL: endpoints.keyVaultUrl,
      NODE_EXTRA_CA_CERTS: endpoints.caFile,
      NODE_OPTIONS: `--import ${pathToFileURL(endpoints.dnsPreload).href}`,
    });
    expect(lastJson(result), result.stderr).toMatchObject({
      ok: true,
      value: tenant.thirdParty.keys[0],
    });
    const events = test.sandbox.audit.list({ after });
    expect(of(events, "SignInLogs")).toEqual([
      expect.objectContaining({
        resultType: "Success",
        incomingTokenType: "refreshToken",
        resource: vaultResourceOf(endpoints.keyVaultUrl),
      }),
    ]);
    expect(of(events, "AuditEvent").at(-1)).toMatchObject({
      operationName: "SecretGet",
      statusCode: 200,
      caller: { displayName: learner().userPrincipalName },
    });
  });
});
