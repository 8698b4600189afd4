/**
 * The sandbox's `az`: Azure CLI syntax, output shapes and exit codes (0 ok,
 * 1 error as `ERROR: (Code) Message`, 2 usage error, 3 a service's 404, as az's
 * ResourceNotFoundError), against a started sandbox: run in this process (runAz), which answers as the
 * process does byte for byte (azProcess.test.ts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azProgram } from "../src/az/program.ts";
import { az, azJson, startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
const run = (...args: string[]) => az(test.stateDir, ...args);
const json = (...args: string[]) => azJson(test.stateDir, ...args);

beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test.stop());

/**
 * What az answers to a command line that ends in --help, in this process: the tree runAz parses, with
 * commander's exit thrown instead of taken and its output kept as a pipe gets it (no colours, 80 columns).
 */
async function helpInProcess(...args: string[]): Promise<{ code: string; stdout: string }> {
  const program = await azProgram(args, async () => undefined);
  let stdout = "";
  const capture = (command: Command): void => {
    command.exitOverride().configureOutput({
      writeOut: (text) => {
        stdout += text;
      },
      getOutHelpWidth: () => 80,
      getOutHasColors: () => false,
    });
    command.commands.forEach(capture);
  };
  capture(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return { code: "no exit", stdout };
  } catch (error) {
    return { code: (error as CommanderError).code, stdout };
  }
}

const AZ_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;

describe("az keyvault", () => {
  it("secret set, show and list print Azure CLI's shapes", async () => {
    const file = join(test.stateDir, "value.txt");
    writeFileSync(file, "from a file");
    const [set, fromFile] = await Promise.all([
      json("keyvault", "secret", "set", "--vault-name", "keyless-kv", "--name", "lesson", "--value", "v1"),
      json("keyvault", "secret", "set", "--vault-name", "keyless-kv", "-n", "from-file", "--file", file),
    ]);
    expect(set).toEqual({
      attributes: {
        created: expect.stringMatching(AZ_DATE),
        enabled: true,
        expires: null,
        notBefore: null,
        recoverableDays: 90,
        recoveryLevel: "Recoverable+Purgeable",
        updated: expect.stringMatching(AZ_DATE),
      },
      contentType: null,
      id: expect.stringMatching(new RegExp(`^${test.sandbox.endpoints.keyVaultUrl}/secrets/lesson/[0-9a-f]{32}$`)),
      kid: null,
      managed: null,
      name: "lesson",
      tags: { "file-encoding": "utf-8" },
      value: "v1",
    });
    expect(fromFile).toMatchObject({ value: "from a file" });
    const [show, list] = await Promise.all([
      json("keyvault", "secret", "show", "--vault-name", "keyless-kv", "--name", "third-party-api-key"),
      json("keyvault", "secret", "list", "--vault-name", "keyless-kv"),
    ]);
    expect(show).toMatchObject({ name: "third-party-api-key", value: test.sandbox.tenant.thirdParty.keys[0] });
    expect(list).toEqual(
      expect.arrayContaining([
        {
          attributes: expect.any(Object),
          contentType: null,
          id: `${test.sandbox.endpoints.keyVaultUrl}/secrets/lesson`,
          managed: null,
          name: "lesson",
          tags: { "file-encoding": "utf-8" },
        },
      ]),
    );
  });

  it("show --version, --query and -o tsv work for scripts", async () => {
    const first = (await json(
      "keyvault",
      "secret",
      "set",
      "--vault-name",
      "keyless-kv",
      "--name",
      "versioned",
      "--value",
      "old",
    )) as { id: string };
    await run("keyvault", "secret", "set", "--vault-name", "keyless-kv", "--name", "versioned", "--value", "new");
    const [old, latest, vaultId] = await Promise.all([
      run(
        "keyvault",
        "secret",
        "show",
        "--vault-name",
        "keyless-kv",
        "--name",
        "versioned",
        "--version",
        first.id.split("/").at(-1) ?? "",
        "--query",
        "value",
        "-o",
        "tsv",
      ),
      run(
        "keyvault",
        "secret",
        "show",
        "--vault-name",
        "keyless-kv",
        "--name",
        "versioned",
        "--query",
        "value",
        "--output",
        "tsv",
      ),
      run("keyvault", "show", "--name", "keyless-kv", "--query", "id", "-o", "tsv"),
    ]);
    expect(old.stdout).toBe("old\n");
    expect(latest.stdout).toBe("new\n");
    expect(vaultId.stdout).toBe(`${test.sandbox.scopes.vault}\n`);
  });

  it("prints the vault's error as az does: exit code 3 for a 404, 1 for the others", async () => {
    const missing = await run("keyvault", "secret", "show", "--vault-name", "keyless-kv", "--name", "nope");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(
      /^ERROR: \(SecretNotFound\) A secret with \(name\/id\) nope was not found in this key vault\./,
    );
    const disabled = await json(
      "keyvault",
      "secret",
      "set-attributes",
      "--vault-name",
      "keyless-kv",
      "--name",
      "lesson",
      "--enabled",
      "false",
    );
    expect(disabled).toMatchObject({ attributes: { enabled: false }, name: "lesson" });
    const refused = await run("keyvault", "secret", "show", "--vault-name", "keyless-kv", "--name", "lesson");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'ERROR: (Forbidden) Operation get is not allowed on a disabled secret.\nCode: Forbidden\nMessage: Operation get is not allowed on a disabled secret.\nInner error: {\n    "code": "SecretDisabled"\n}\n',
    );
  });
});

describe("az role assignment", () => {
  it("create, list and delete print Azure CLI's shapes", async () => {
    const scope = `${test.sandbox.scopes.vault}/secrets/lesson`;
    // As az resolves an assignee in Graph: a service principal by its name, its appId (not its display name).
    const step03 = test.sandbox.directory.apps.get("keyless-step-03")?.appId ?? "";
    const created = await json(
      "role",
      "assignment",
      "create",
      "--assignee",
      step03,
      "--role",
      "Key Vault Secrets Officer",
      "--scope",
      scope,
    );
    const subscription = test.sandbox.tenant.subscription.id;
    expect(created).toEqual({
      condition: null,
      conditionVersion: null,
      createdBy: null,
      createdOn: expect.stringMatching(AZ_DATE),
      delegatedManagedIdentityResourceId: null,
      description: null,
      id: expect.stringMatching(
        new RegExp(`^${scope}/providers/Microsoft.Authorization/roleAssignments/[0-9a-f-]{36}$`),
      ),
      name: expect.stringMatching(/^[0-9a-f-]{36}$/),
      principalId: test.sandbox.directory.apps.get("keyless-step-03")?.objectId,
      principalType: "ServicePrincipal",
      resourceGroup: "keyless-rg",
      roleDefinitionId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7`,
      scope,
      type: "Microsoft.Authorization/roleAssignments",
      updatedBy: null,
      updatedOn: expect.stringMatching(AZ_DATE),
    });
    const [atScope, all, bySubscription] = await Promise.all([
      json("role", "assignment", "list", "--scope", scope),
      json("role", "assignment", "list", "--all", "--assignee", "learner@keyless.local"),
      json("role", "assignment", "list"),
    ]);
    expect(atScope).toEqual([
      expect.objectContaining({
        principalName: test.sandbox.directory.apps.get("keyless-step-03")?.appId,
        roleDefinitionName: "Key Vault Secrets Officer",
        scope,
      }),
    ]);
    // The developer owns the subscription, and holds the data roles infra/main.json gives them.
    expect((all as { roleDefinitionName: string }[]).map((a) => a.roleDefinitionName).sort()).toEqual([
      "Key Vault Secrets Officer",
      "Owner",
      "Storage Queue Data Contributor",
    ]);
    // Like az: without --all or --scope, only assignments at the subscription itself.
    expect((bySubscription as { roleDefinitionName: string }[]).map((a) => a.roleDefinitionName)).toEqual(["Owner"]);
    // Resource Manager refuses the same assignment again (409 RoleAssignmentExists); az answers the one there is.
    const again = await json(
      "role",
      "assignment",
      "create",
      "--assignee",
      step03,
      "--role",
      "Key Vault Secrets Officer",
      "--scope",
      scope,
    );
    expect(again).toMatchObject({
      id: (created as { id: string }).id,
      roleDefinitionName: "Key Vault Secrets Officer",
      principalName: step03,
    });
    const deleted = await run(
      "role",
      "assignment",
      "delete",
      "--assignee",
      step03,
      "--role",
      "Key Vault Secrets Officer",
      "--scope",
      scope,
    );
    expect(deleted).toMatchObject({ code: 0, stdout: "" });
    expect(await json("role", "assignment", "list", "--scope", scope)).toEqual([]);
    const none = await run("role", "assignment", "delete", "--assignee", step03, "--scope", scope);
    expect(none).toMatchObject({ code: 1, stderr: "ERROR: No matched assignments were found to delete\n" });
  });

  it("refuses a scope that does not exist, with Resource Manager's ResourceNotFound; nothing is assigned", async () => {
    const before = test.sandbox.rbac.list().length;
    const typo = `${test.sandbox.scopes.resourceGroup}/providers/Microsoft.KeyVault/vaults/keyless-kvv`;
    const refused = await run(
      "role",
      "assignment",
      "create",
      "--assignee",
      test.sandbox.tenant.servicePrincipals[0]?.appId ?? "",
      "--role",
      "Key Vault Secrets User",
      "--scope",
      typo,
    );
    // az's exit code for a 404 (ResourceNotFoundError) is 3.
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(
      "ERROR: (ResourceNotFound) The Resource 'Microsoft.KeyVault/vaults/keyless-kvv' under resource group 'keyless-rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix\nCode: ResourceNotFound\nMessage: The Resource 'Microsoft.KeyVault/vaults/keyless-kvv' under resource group 'keyless-rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix\n",
    );
    expect(test.sandbox.rbac.list().length).toBe(before);
  });

  it("names an unknown role or principal like az", async () => {
    const [role, principal] = await Promise.all([
      run(
        "role",
        "assignment",
        "create",
        "--assignee",
        test.sandbox.tenant.servicePrincipals[0]?.appId ?? "",
        "--role",
        "Key Vault Secret User",
        "--scope",
        test.sandbox.scopes.vault,
      ),
      run(
        "role",
        "assignment",
        "create",
        "--assignee",
        "nobody@keyless.local",
        "--role",
        "Key Vault Secrets User",
        "--scope",
        test.sandbox.scopes.vault,
      ),
    ]);
    expect(role).toMatchObject({ code: 1, stderr: "ERROR: Role 'Key Vault Secret User' doesn't exist.\n" });
    // az resolves the assignee in Microsoft Graph before it calls Resource Manager: its own words, no code.
    expect(principal).toMatchObject({
      code: 1,
      stderr:
        "ERROR: Cannot find user or service principal in graph database for 'nobody@keyless.local'. If the assignee is an appId, make sure the corresponding service principal is created with 'az ad sp create --id nobody@keyless.local'.\n",
    });
  });
});

describe("az account, ad and webapp", () => {
  it("get-access-token prints what AzureCliCredential reads", async () => {
    const answer = (await json(
      "account",
      "get-access-token",
      "--resource",
      "https://vault.localhost",
      "--output",
      "json",
    )) as Record<string, unknown>;
    expect(answer).toEqual({
      accessToken: expect.any(String),
      expiresOn: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000000$/),
      expires_on: expect.any(Number),
      subscription: test.sandbox.tenant.subscription.id,
      tenant: test.sandbox.tenant.tenant.id,
      tokenType: "Bearer",
    });
    const unknown = await run("account", "get-access-token", "--scope", "https://vault.azure.net/.default");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^ERROR: AADSTS500011: /);
  });

  it("shows the ids lessons grant roles to", async () => {
    const [webapp, sps, user, account] = await Promise.all([
      json("webapp", "identity", "show", "--name", "keyless-step-03", "--resource-group", "keyless-rg"),
      json("ad", "sp", "list", "--display-name", "keyless-app-sp"),
      json("ad", "signed-in-user", "show"),
      json("account", "show"),
    ]);
    const attached = test.sandbox.directory.userAssigned.get("keyless-id-03");
    expect(webapp).toEqual({
      principalId: test.sandbox.directory.apps.get("keyless-step-03")?.objectId,
      tenantId: test.sandbox.tenant.tenant.id,
      type: "SystemAssigned, UserAssigned",
      userAssignedIdentities: {
        [attached?.resourceId ?? ""]: { clientId: attached?.appId, principalId: attached?.objectId },
      },
    });
    expect(sps).toEqual([
      expect.objectContaining({
        appId: test.sandbox.tenant.servicePrincipals[0]?.appId,
        id: test.sandbox.tenant.servicePrincipals[0]?.objectId,
        displayName: "keyless-app-sp",
        servicePrincipalType: "Application",
      }),
    ]);
    expect(user).toMatchObject({
      id: test.sandbox.tenant.users[0]?.objectId,
      userPrincipalName: "learner@keyless.local",
    });
    expect(account).toMatchObject({
      id: test.sandbox.tenant.subscription.id,
      tenantId: test.sandbox.tenant.tenant.id,
      user: { name: "learner@keyless.local", type: "user" },
    });
  });
});

describe("az identity: user-assigned identities and their federated credentials", () => {
  it("show, list: the ids a role is granted to and an app names in AZURE_CLIENT_ID", async () => {
    const identity = test.sandbox.directory.userAssigned.get("keyless-id-03");
    const shown = await json("identity", "show", "--name", "keyless-id-03", "--resource-group", "keyless-rg");
    expect(shown).toEqual({
      clientId: identity?.appId,
      id: identity?.resourceId,
      location: "westeurope",
      name: "keyless-id-03",
      principalId: identity?.objectId,
      resourceGroup: "keyless-rg",
      // As az 2.45 prints the identity: no systemData in its model, null tags when it has none.
      tags: null,
      tenantId: test.sandbox.tenant.tenant.id,
      type: "Microsoft.ManagedIdentity/userAssignedIdentities",
    });
    expect(((await json("identity", "list", "-g", "keyless-rg")) as { name: string }[]).map((row) => row.name)).toEqual(
      ["keyless-id-03", "keyless-id-04"],
    );
    const missing = await run("identity", "show", "-n", "keyless-id-99", "-g", "keyless-rg");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^ERROR: \(ResourceNotFound\) /);
  });

  it("federated-credential list: the cluster's issuer URL, the service account, the audience", async () => {
    const credentials = await json(
      "identity",
      "federated-credential",
      "list",
      "--identity-name",
      "keyless-id-03",
      "-g",
      "keyless-rg",
    );
    expect(credentials).toEqual([
      expect.objectContaining({
        name: "keyless-aks-step-03",
        issuer: test.sandbox.endpoints.identityHosts.clusterIssuer,
        subject: "system:serviceaccount:keyless:keyless-step-03",
        audiences: ["api://AzureADTokenExchange"],
        type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
      }),
    ]);
  });

  it("role assignment list --assignee: a user-assigned identity is a principal too", async () => {
    const clientId = test.sandbox.directory.userAssigned.get("keyless-id-03")?.appId ?? "";
    const rows = (await json("role", "assignment", "list", "--assignee", clientId, "--all")) as {
      principalName: string;
      roleDefinitionName: string;
    }[];
    expect(rows).toEqual([
      expect.objectContaining({
        principalName: test.sandbox.directory.userAssigned.get("keyless-id-03")?.appId,
        roleDefinitionName: "Key Vault Secrets User",
      }),
    ]);
  });
});

describe("az webapp: what App Service gives each app", () => {
  it("config appsettings list: the app's own settings, in az's shape; App Service's run-time variables are not among them", async () => {
    const settings = (await json(
      "webapp",
      "config",
      "appsettings",
      "list",
      "--name",
      "keyless-workspace-03",
      "--resource-group",
      "keyless-rg",
    )) as { name: string; slotSetting: boolean; value: string }[];
    const byName = Object.fromEntries(settings.map(({ name, value }) => [name, value]));
    expect(settings.every((setting) => setting.slotSetting === false)).toBe(true);
    const site = `${test.sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/keyless-workspace-03`;
    expect(byName).toEqual(
      (test.sandbox.arm.invoke(`${site}/config/appsettings`, "list", undefined) as { properties: object }).properties,
    );
    expect(byName).toMatchObject({ KEY_VAULT_URL: `${test.sandbox.endpoints.keyVaultUrl}/` });
    // On Azure too: the platform gives the app IDENTITY_ENDPOINT and IDENTITY_HEADER when it starts, not as settings.
    expect(byName["IDENTITY_HEADER"]).toBeUndefined();
    expect(byName["AZURE_CLIENT_SECRET"]).toBeUndefined();
    const step02 = (await json(
      "webapp",
      "config",
      "appsettings",
      "list",
      "-n",
      "keyless-workspace-02",
      "-g",
      "keyless-rg",
    )) as { name: string; value: string }[];
    expect(step02.find((setting) => setting.name === "AZURE_CLIENT_ID")?.value).toBe(
      test.sandbox.tenant.servicePrincipals[1]?.appId,
    );
  });

  it("an app with no managed identity shows none; an unknown app is ResourceNotFound", async () => {
    const none = await run("webapp", "identity", "show", "--name", "keyless-step-02", "--resource-group", "keyless-rg");
    expect(none).toMatchObject({ code: 0, stdout: "" });
    const unknown = await run(
      "webapp",
      "config",
      "appsettings",
      "list",
      "--name",
      "nope",
      "--resource-group",
      "keyless-rg",
    );
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^ERROR: \(ResourceNotFound\) The Resource 'Microsoft.Web\/sites\/nope'/);
  });

  it("sandbox app-env: the same settings as export lines, a .env file or PowerShell, for an app in any language", async () => {
    const expected = test.sandbox.siteEnvironment("keyless-step-03");
    const sh = await run("sandbox", "app-env", "--name", "keyless-step-03");
    expect(sh.code).toBe(0);
    expect(sh.stdout.trim().split("\n")).toEqual(
      Object.entries(expected).map(([name, value]) => `export ${name}='${value}'`),
    );
    const dotenv = await run("sandbox", "app-env", "--name", "keyless-step-03", "--format", "dotenv");
    expect(dotenv.stdout).toContain(`IDENTITY_HEADER="${expected["IDENTITY_HEADER"]}"`);
    expect((await run("sandbox", "app-env", "--name", "keyless-step-03", "--format", "xml")).code).toBe(2);
  });
});

describe("az usage", () => {
  it("answers unknown commands, missing arguments and --help like az", async () => {
    const [unknown, unknownSub, missing, help] = await Promise.all([
      run("storage-sync"),
      run("keyvault", "sekret"),
      run("keyvault", "secret", "show", "--name", "x"),
      run("role", "assignment", "create", "--help"),
    ]);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: "az: 'storage-sync' is not in the 'az' command group. See 'az --help'.\n",
    });
    expect(unknownSub).toMatchObject({
      code: 2,
      stderr: "az keyvault: 'sekret' is not in the 'az keyvault' command group. See 'az keyvault --help'.\n",
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("ERROR: the following arguments are required: --vault-name");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--assignee");
  });

  it("each command on Resource Manager answers --help, exit 0, with nothing running", async () => {
    const commands = [
      "role assignment create",
      "role assignment list",
      "role assignment delete",
      "identity show",
      "identity list",
      "identity create",
      "identity delete",
      "identity federated-credential list",
      "identity federated-credential show",
      "identity federated-credential create",
      "identity federated-credential delete",
      "webapp show",
      "webapp list",
      "webapp identity show",
      "webapp config appsettings list",
      "webapp config appsettings set",
      "functionapp function keys list",
      "functionapp function keys set",
      "functionapp function keys delete",
      "storage account show",
      "keyvault show",
      "group show",
      "group list",
      "group create",
      "group delete",
      "group exists",
      "resource show",
      "resource list",
      "deployment group create",
      "deployment group validate",
      "deployment group what-if",
      "deployment group show",
      "deployment group list",
      "deployment operation group list",
    ];
    // Each command's help, read in this process from the tree runAz parses (a process costs more than the help).
    const answers = await Promise.all(commands.map((command) => helpInProcess(...command.split(" "), "--help")));
    expect(
      answers.map((answer, index) => [
        commands[index],
        answer.code,
        answer.stdout.startsWith(`Usage: az ${commands[index]} `),
      ]),
    ).toEqual(commands.map((command) => [command, "commander.helpDisplayed", true]));
    // As a process, with nothing running: the first command of each group, exit 0 and the same help.
    const firsts = commands.filter(
      (command, index) => commands.findIndex((other) => other.split(" ")[0] === command.split(" ")[0]) === index,
    );
    const processes = await Promise.all(
      firsts.map((command) => az(join(test.stateDir, "nowhere"), ...command.split(" "), "--help")),
    );
    expect(processes.map((answer, index) => [firsts[index], answer.code, answer.stdout])).toEqual(
      firsts.map((command) => [command, 0, answers[commands.indexOf(command)]?.stdout]),
    );
  });

  it("says how to start the sandbox when it is not running", async () => {
    const result = await az(join(test.stateDir, "nowhere"), "keyvault", "secret", "list", "--vault-name", "keyless-kv");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("npm start");
  });
});
