/**
 * The sandbox's az on Resource Manager's REST API: resource groups, any
 * resource by id, user-assigned identities and their federated credentials,
 * web apps, the third party's function keys and the vault, each created,
 * shown and deleted through Resource Manager (its checks, its Activity log)
 * and printed as the real Azure CLI prints it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { az, azJson, startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
const run = (...args: string[]) => az(test.stateDir, ...args);
const json = (...args: string[]) => azJson(test.stateDir, ...args);

beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test.stop());

/** The Activity log's operations since an event id. */
const activitySince = (after: number) =>
  test.sandbox.audit
    .list({ after, category: "AzureActivity" })
    .map((event) => ({ operationName: event.operationName, resource: event.resource, properties: event.properties }));
const lastEventId = () => test.sandbox.audit.list().at(-1)?.id ?? 0;

describe("az group", () => {
  it("create, show, list, exists and delete: a group, and what is in it deleted with it", async () => {
    const created = await json("group", "create", "-n", "lesson-rg", "-l", "westeurope", "--tags", "lesson=05");
    expect(created).toEqual({
      id: `${test.sandbox.scopes.subscription}/resourceGroups/lesson-rg`,
      location: "westeurope",
      managedBy: null,
      name: "lesson-rg",
      properties: { provisioningState: "Succeeded" },
      tags: { lesson: "05" },
      type: "Microsoft.Resources/resourceGroups",
    });
    expect(await json("group", "show", "-g", "lesson-rg")).toEqual(created);
    expect(await json("group", "list", "--query", "[].name")).toEqual(["keyless-rg", "lesson-rg"]);
    expect(await json("group", "exists", "-n", "lesson-rg")).toBe(true);
    expect(await json("group", "exists", "-n", "no-such-rg")).toBe(false);

    // An identity in it has a service principal in the directory; the group's deletion takes both.
    const identity = (await json("identity", "create", "-n", "lesson-id", "-g", "lesson-rg")) as {
      principalId: string;
    };
    expect(test.sandbox.directory.describe(identity.principalId)).toBeDefined();
    const unconfirmed = await run("group", "delete", "-n", "lesson-rg");
    expect(unconfirmed).toMatchObject({
      code: 1,
      stderr:
        "WARNING: Unable to prompt for confirmation as no tty available. Use --yes.\nERROR: Operation cancelled.\n",
    });
    expect(await run("group", "delete", "-n", "lesson-rg", "--yes")).toMatchObject({ code: 0, stdout: "" });
    expect(await json("group", "exists", "-n", "lesson-rg")).toBe(false);
    expect(test.sandbox.directory.describe(identity.principalId)).toBeUndefined();
    const missing = await run("group", "show", "-n", "lesson-rg");
    expect(missing).toMatchObject({ code: 3 });
    expect(missing.stderr).toBe(
      "ERROR: (ResourceGroupNotFound) Resource group 'lesson-rg' could not be found.\nCode: ResourceGroupNotFound\nMessage: Resource group 'lesson-rg' could not be found.\n",
    );
  });
});

describe("az resource", () => {
  it("show --ids or by group, type and name; list by group and type: az's generic resource", async () => {
    const vault = test.sandbox.scopes.vault;
    const byId = (await json("resource", "show", "--ids", vault)) as Record<string, unknown>;
    expect(byId).toMatchObject({
      id: vault,
      name: "keyless-kv",
      type: "Microsoft.KeyVault/vaults",
      resourceGroup: "keyless-rg",
      properties: expect.objectContaining({ enableRbacAuthorization: true }),
      plan: null,
      extendedLocation: null,
    });
    const byName = await json(
      "resource",
      "show",
      "-g",
      "keyless-rg",
      "-n",
      "keyless-kv",
      "--resource-type",
      "Microsoft.KeyVault/vaults",
    );
    expect(byName).toEqual(byId);
    const child = (await json(
      "resource",
      "show",
      "-g",
      "keyless-rg",
      "--namespace",
      "Microsoft.Web",
      "--parent",
      "sites/keyless-step-03",
      "--resource-type",
      "config",
      "-n",
      "appsettings",
      "--query",
      "id",
    )) as string;
    expect(child).toBe(
      `${test.sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/keyless-step-03/config/appsettings`,
    );

    const sites = (await json("resource", "list", "-g", "keyless-rg", "--resource-type", "Microsoft.Web/sites")) as {
      name: string;
      type: string;
    }[];
    expect(sites.map((site) => site.name)).toContain("keyless-third-party");
    expect(new Set(sites.map((site) => site.type))).toEqual(new Set(["Microsoft.Web/sites"]));
    // A group's resources are its own: no role assignment, definition or child resource is listed on its own.
    const types = new Set(((await json("resource", "list", "--query", "[].type")) as string[]).map((type) => type));
    expect([...types].sort()).toEqual([
      "Microsoft.KeyVault/vaults",
      "Microsoft.ManagedIdentity/userAssignedIdentities",
      "Microsoft.Storage/storageAccounts",
      "Microsoft.Web/serverfarms",
      "Microsoft.Web/sites",
    ]);
    expect(await json("resource", "list", "-n", "keyless-plan", "--query", "[].name")).toEqual(["keyless-plan"]);
  });
});

describe("az identity and its federated credentials, through Resource Manager", () => {
  it("create (in the group's location), show, a federated credential created, shown and deleted, then the identity deleted", async () => {
    const after = lastEventId();
    const created = (await json("identity", "create", "-n", "lesson-ci", "-g", "keyless-rg")) as Record<string, string>;
    expect(created).toEqual({
      clientId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      id: `${test.sandbox.scopes.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/lesson-ci`,
      location: "westeurope",
      name: "lesson-ci",
      principalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      resourceGroup: "keyless-rg",
      tags: null,
      tenantId: test.sandbox.tenant.tenant.id,
      type: "Microsoft.ManagedIdentity/userAssignedIdentities",
    });
    // Entra ID knows it at once: a principal a role can be granted to, found by its client id as az finds it.
    const granted = await run(
      "role",
      "assignment",
      "create",
      "--assignee",
      created["clientId"] ?? "",
      "--role",
      "Key Vault Secrets User",
      "--scope",
      test.sandbox.scopes.vault,
    );
    expect(granted.code, granted.stderr).toBe(0);

    const target = ["--identity-name", "lesson-ci", "-g", "keyless-rg"];
    const credential = await json(
      "identity",
      "federated-credential",
      "create",
      ...target,
      "--name",
      "github-main",
      "--issuer",
      "https://token.actions.githubusercontent.com",
      "--subject",
      "repo:learner/keyless:ref:refs/heads/main",
    );
    expect(credential).toEqual({
      audiences: ["api://AzureADTokenExchange"],
      id: `${created["id"]}/federatedIdentityCredentials/github-main`,
      issuer: "https://token.actions.githubusercontent.com",
      name: "github-main",
      resourceGroup: "keyless-rg",
      subject: "repo:learner/keyless:ref:refs/heads/main",
      type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
    });
    expect(await json("identity", "federated-credential", "show", ...target, "-n", "github-main")).toEqual(credential);
    expect(await json("identity", "federated-credential", "list", ...target)).toEqual([credential]);
    expect(test.sandbox.directory.userAssigned.get("lesson-ci")?.federatedIdentityCredentials).toHaveLength(1);
    const invalid = await run(
      "identity",
      "federated-credential",
      "create",
      ...target,
      "-n",
      "bad",
      "--issuer",
      "http://plain.example",
      "--subject",
      "x",
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^ERROR: \(BadRequest\) The issuer must be an https URL/);

    expect((await run("identity", "federated-credential", "delete", ...target, "-n", "github-main")).code).toBe(1);
    expect(
      await run("identity", "federated-credential", "delete", ...target, "-n", "github-main", "--yes"),
    ).toMatchObject({ code: 0, stdout: "" });
    expect(await json("identity", "federated-credential", "list", ...target)).toEqual([]);
    expect(await run("identity", "delete", "-n", "lesson-ci", "-g", "keyless-rg")).toMatchObject({ code: 0 });
    expect(test.sandbox.directory.userAssigned.get("lesson-ci")).toBeUndefined();
    expect((await run("identity", "show", "-n", "lesson-ci", "-g", "keyless-rg")).code).toBe(3);

    // Each change is in the Activity log, as Resource Manager records it.
    expect(activitySince(after).map((event) => event.operationName)).toEqual([
      "Microsoft.ManagedIdentity/userAssignedIdentities/write",
      "Microsoft.Authorization/roleAssignments/write",
      "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
      "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
      "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
    ]);
    expect(activitySince(after)[1]?.properties).toMatchObject({
      roleDefinitionName: "Key Vault Secrets User",
      principalName: "lesson-ci",
      scope: test.sandbox.scopes.vault,
    });
  });

  it("identity list: a group's, or the subscription's without -g", async () => {
    expect(await json("identity", "list", "--query", "[].name")).toEqual(["keyless-id-03", "keyless-id-04"]);
    expect(await json("identity", "list", "-g", "keyless-rg", "--query", "[].name")).toEqual([
      "keyless-id-03",
      "keyless-id-04",
    ]);
  });
});

describe("az webapp show and list", () => {
  it("a site as az prints it: its plan as appServicePlanId, its configuration, function apps left to az functionapp", async () => {
    const shown = (await json("webapp", "show", "-n", "keyless-step-03", "-g", "keyless-rg")) as Record<
      string,
      unknown
    >;
    expect(shown).toMatchObject({
      appServicePlanId: `${test.sandbox.scopes.resourceGroup}/providers/Microsoft.Web/serverfarms/keyless-plan`,
      // With the port the sandbox's front ends listen on, so that `https://<defaultHostName>` reaches the site.
      defaultHostName: expect.stringMatching(/^keyless-step-03\.azurewebsites\.localhost:\d+$/),
      httpsOnly: true,
      identity: { type: "SystemAssigned, UserAssigned" },
      kind: "app,linux",
      name: "keyless-step-03",
      resourceGroup: "keyless-rg",
      siteConfig: expect.objectContaining({ linuxFxVersion: "NODE|24-lts", ftpsState: "Disabled" }),
      state: "Running",
      type: "Microsoft.Web/sites",
    });
    // Its settings are not in it (reading them is config/appsettings/list), nor any secret.
    expect(JSON.stringify(shown)).not.toContain("AZURE_CLIENT_ID");
    const names = (await json("webapp", "list", "-g", "keyless-rg", "--query", "[].name")) as string[];
    expect(names).toContain("keyless-workspace-02");
    expect(names).not.toContain("keyless-third-party");
  });
});

describe("az functionapp function keys, through Resource Manager", () => {
  const target = ["-g", "keyless-rg", "-n", "keyless-third-party", "--function-name", "RandomNumber"];

  it("list, set and delete: the keys the function accepts at once, journaled and in the Activity log", async () => {
    const after = lastEventId();
    const listed = (await json("functionapp", "function", "keys", "list", ...target)) as {
      properties: Record<string, string>;
    };
    expect(listed).toMatchObject({
      id: `${test.sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/keyless-third-party/functions/RandomNumber`,
      kind: null,
      properties: { default: test.sandbox.tenant.thirdParty.keys[0] },
    });
    const set = await json("functionapp", "function", "keys", "set", ...target, "--key-name", "next");
    // No value given: the service makes one.
    expect(set).toEqual({ name: "next", value: expect.stringMatching(/^[A-Za-z0-9+/]{54}==$/) });
    expect(test.sandbox.thirdParty.keys()).toContain((set as { value: string }).value);
    expect(await run("functionapp", "function", "keys", "delete", ...target, "--key-name", "default")).toMatchObject({
      code: 0,
      stdout: "",
    });
    expect(test.sandbox.thirdParty.keys()).toEqual([(set as { value: string }).value]);
    const last = await run("functionapp", "function", "keys", "delete", ...target, "--key-name", "next");
    expect(last).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^ERROR: \(BadRequest\) Cannot delete the function's last key\./),
    });
    expect(test.sandbox.changes()).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: "function key set" })]),
    );
    expect(activitySince(after)).toEqual([
      expect.objectContaining({
        operationName: "Microsoft.Web/sites/functions/keys/write",
        properties: { activityCategory: "Administrative", keyName: "next" },
      }),
      expect.objectContaining({
        operationName: "Microsoft.Web/sites/functions/keys/delete",
        properties: { activityCategory: "Administrative", keyName: "default" },
      }),
    ]);
    // A value is never in the Activity log.
    expect(JSON.stringify(test.sandbox.audit.list())).not.toContain((set as { value: string }).value);
    const unknown = await run(
      "functionapp",
      "function",
      "keys",
      "list",
      "-g",
      "keyless-rg",
      "-n",
      "keyless-third-party",
      "--function-name",
      "Nope",
    );
    expect(unknown.code).toBe(3);
    await test.sandbox.reset();
  });
});

describe("az keyvault show and role assignment delete", () => {
  it("keyvault show: the vault as Resource Manager holds it, found in the subscription without -g", async () => {
    const shown = await json("keyvault", "show", "-n", "keyless-kv");
    expect(shown).toMatchObject({
      id: test.sandbox.scopes.vault,
      name: "keyless-kv",
      resourceGroup: "keyless-rg",
      properties: { enableRbacAuthorization: true, vaultUri: `${test.sandbox.endpoints.keyVaultUrl}/` },
      type: "Microsoft.KeyVault/vaults",
    });
    expect(await json("keyvault", "show", "-n", "keyless-kv", "-g", "keyless-rg")).toEqual(shown);
  });

  it("role assignment delete with no filter asks first, as az does; without a terminal nothing is deleted", async () => {
    const before = test.sandbox.rbac.list().length;
    const refused = await run("role", "assignment", "delete");
    expect(refused).toMatchObject({
      code: 1,
      stderr:
        "WARNING: Unable to prompt for confirmation as no tty available. Use --yes.\nERROR: Operation cancelled.\n",
    });
    expect(test.sandbox.rbac.list().length).toBe(before);
  });
});
