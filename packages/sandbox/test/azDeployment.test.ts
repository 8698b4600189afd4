/**
 * `az deployment group create|validate|what-if|show|list` and `az deployment
 * operation group list`, the sandbox's own az against a provisioned sandbox:
 * infra/main.json deployed again as a learner deploys it, its what-if, a
 * changed parameter, a broken template and a failing one, each printed as the
 * real Azure CLI prints it, and a secure parameter in none of it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentFilesOf } from "../src/deployment.ts";
import { loadTenant } from "../src/tenant.ts";
import { az, azJson, startTestSandbox, type TestSandbox } from "./helpers.ts";

const { template: TEMPLATE_FILE, parameters: PARAMETERS_FILE } = deploymentFilesOf(loadTenant());
let test: TestSandbox;
const run = (...args: string[]) => az(test.stateDir, ...args);
const json = (...args: string[]) => azJson(test.stateDir, ...args);

/** What a pipeline passes at deploy time beside the parameters file: the step 02 client secret, the AKS issuer. */
let secret = "";
const infra = (...more: string[]) => [
  "-g",
  "keyless-rg",
  "--template-file",
  TEMPLATE_FILE,
  "--parameters",
  `@${PARAMETERS_FILE}`,
  `step02ClientSecret=${secret}`,
  `aksOidcIssuerUrl=${test.sandbox.endpoints.identityHosts.clusterIssuer}`,
  ...more,
];

beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
  const { parameters } = JSON.parse(readFileSync(PARAMETERS_FILE, "utf8")) as {
    parameters: Record<string, { value: unknown }>;
  };
  const clientId = parameters["step02ClientId"]?.value;
  secret = test.sandbox.directory.servicePrincipals.find((sp) => sp.appId === clientId)?.secret ?? "";
  expect(secret).not.toBe("");
});
afterAll(() => test.stop());

/** A template file of the test's own, in the sandbox's folder. */
const templateFile = (name: string, template: unknown) => {
  const file = join(test.stateDir, name);
  writeFileSync(file, typeof template === "string" ? template : JSON.stringify(template, null, 2));
  return file;
};
const SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

describe("infra/main.json, deployed again into the sandbox it provisioned", () => {
  it("create prints the deployment as az does: succeeded, its outputs, the secure parameter without its value", async () => {
    const created = await run("deployment", "group", "create", "-n", "redeploy", ...infra());
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).not.toContain(secret);
    const deployment = JSON.parse(created.stdout) as {
      id: string;
      properties: Record<string, unknown> & { outputs: Record<string, { value: unknown }> };
    };
    expect(deployment).toMatchObject({
      id: `${test.sandbox.scopes.resourceGroup}/providers/Microsoft.Resources/deployments/redeploy`,
      name: "redeploy",
      resourceGroup: "keyless-rg",
      type: "Microsoft.Resources/deployments",
      properties: {
        mode: "Incremental",
        provisioningState: "Succeeded",
        error: null,
        parameters: { step02ClientSecret: { type: "SecureString" } },
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/),
      },
    });
    expect(deployment.properties.outputs["keyVaultId"]?.value).toBe(test.sandbox.scopes.vault);

    const [shown, listed, operations] = await Promise.all([
      json("deployment", "group", "show", "-g", "keyless-rg", "-n", "redeploy"),
      json("deployment", "group", "list", "-g", "keyless-rg", "--query", "[].name"),
      json("deployment", "operation", "group", "list", "-g", "keyless-rg", "-n", "redeploy"),
    ]);
    expect(shown).toEqual(deployment);
    expect(listed).toEqual(expect.arrayContaining(["keyless-sandbox", "redeploy"]));
    expect(operations).toContainEqual(
      expect.objectContaining({
        properties: expect.objectContaining({
          provisioningState: "Succeeded",
          targetResource: expect.objectContaining({ id: test.sandbox.scopes.vault, resourceName: "keyless-kv" }),
        }),
        type: "Microsoft.Resources/deployments/operations",
      }),
    );
  });

  it("what-if: every resource of the template no change, the exercises' own sites to ignore", async () => {
    const result = await run("deployment", "group", "what-if", ...infra());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain(secret);
    expect(result.stdout).toMatch(/^Note: The result may contain false positive predictions \(noise\)\./);
    expect(result.stdout).toContain(`Scope: ${test.sandbox.scopes.resourceGroup}`);
    expect(result.stdout).toContain("  = Microsoft.KeyVault/vaults/keyless-kv [2026-02-01]");
    expect(result.stdout).toContain("  * Microsoft.Web/sites/keyless-workspace-03");
    expect(result.stdout).toMatch(/\nResource changes: \d+ no change, 3 to ignore\.\n$/);
    expect(result.stdout).not.toMatch(/^ {2}[+~-] /m);
  });

  it("what-if with a changed parameter: the two credentials that use it to modify, old value => new", async () => {
    const result = await run(
      "deployment",
      "group",
      "what-if",
      ...infra("aksOidcIssuerUrl=https://issuer.example/changed/"),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "  ~ Microsoft.ManagedIdentity/userAssignedIdentities/keyless-id-03/federatedIdentityCredentials/keyless-aks-step-03 [2024-11-30]",
    );
    expect(result.stdout).toContain(
      `    ~ properties.issuer: "${test.sandbox.endpoints.identityHosts.clusterIssuer}" => "https://issuer.example/changed/"`,
    );
    expect(result.stdout).toMatch(/\nResource changes: 2 to modify, \d+ no change, 3 to ignore\.\n$/);
  });

  it("what-if --no-pretty-print: the result as JSON, --exclude-change-types applied, no secure value", async () => {
    const result = (await json(
      "deployment",
      "group",
      "what-if",
      ...infra("--no-pretty-print", "--exclude-change-types", "Ignore"),
    )) as { status: string; error: null; changes: { changeType: string; resourceId: string }[] };
    expect(result).toMatchObject({ status: "Succeeded", error: null });
    expect(new Set(result.changes.map((change) => change.changeType))).toEqual(new Set(["NoChange"]));
    expect(JSON.stringify(result)).not.toContain(secret);
    const idsOnly = (await json(
      "deployment",
      "group",
      "what-if",
      ...infra("--no-pretty-print", "--result-format", "ResourceIdOnly"),
    )) as { changes: Record<string, unknown>[] };
    expect(idsOnly.changes[0]).toEqual({
      after: null,
      before: null,
      changeType: expect.any(String),
      delta: null,
      resourceId: expect.any(String),
      unsupportedReason: null,
    });
  });
});

describe("templates Resource Manager refuses", () => {
  it("validate of a broken template: ARM's InvalidTemplate naming the file's line, as az prints it (Python's json.dumps)", async () => {
    const file = templateFile(
      "broken.json",
      [
        "{",
        `  "$schema": "${SCHEMA}",`,
        '  "contentVersion": "1.0.0.0",',
        "  // az sends the file as it is: comments and all",
        '  "resources": [',
        "    {",
        '      "type": "Microsoft.ManagedIdentity/userAssignedIdentities",',
        '      "apiVersion": "2023-01-31",',
        '      "name": "[noSuchFunction(\'x\')]",',
        '      "location": "westeurope"',
        "    }",
        "  ]",
        "}",
      ].join("\n"),
    );
    const refused = await run("deployment", "group", "validate", "-g", "keyless-rg", "--template-file", file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `ERROR: {"code": "InvalidTemplate", "message": "Deployment template validation failed: 'The template resource '[noSuchFunction('x')]' at line '6' and column '5' is not valid: The template function 'noSuchFunction' is not valid. Please see https://aka.ms/arm-functions for usage details.'.", "additionalInfo": [{"type": "TemplateViolation", "info": {"lineNumber": 6, "linePosition": 5, "path": "properties.template.resources[0]"}}]}\n`,
    );
    // A file that is not JSON never reaches Resource Manager: az refuses it.
    const garbled = await run(
      "deployment",
      "group",
      "validate",
      "-g",
      "keyless-rg",
      "--template-file",
      templateFile("garbled.json", "{ not json"),
    );
    expect(garbled).toMatchObject({
      code: 1,
      stderr: `ERROR: Failed to parse '${join(test.stateDir, "garbled.json")}', please check whether it is a valid JSON format\n`,
    });
  });

  it("create that fails on a resource: the operation's status, raw, as az prints it; the secure parameter nowhere", async () => {
    const file = templateFile("failing.json", {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      parameters: { note: { type: "securestring" } },
      resources: [
        {
          type: "Microsoft.Authorization/roleAssignments",
          apiVersion: "2022-04-01",
          name: "[guid('nobody')]",
          properties: {
            roleDefinitionId:
              "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')]",
            principalId: "00000000-0000-0000-0000-000000000099",
            description: "[parameters('note')]",
          },
        },
      ],
    });
    const note = "a-secure-note-4711";
    const failed = await run("deployment", "group", "create", "-g", "keyless-rg", "-f", file, "-p", `note=${note}`);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^ERROR: \{"status":"Failed","error":\{"code":"DeploymentFailed","message":"At least one resource deployment operation failed\. .*"details":\[\{"code":"PrincipalNotFound","message":"Principal 00000000-0000-0000-0000-000000000099 does not exist in the directory /,
    );
    expect(`${failed.stdout}${failed.stderr}`).not.toContain(note);
    // The deployment's name is the template file's; its record says what failed.
    const shown = (await json("deployment", "group", "show", "-g", "keyless-rg", "-n", "failing")) as {
      properties: { provisioningState: string; error: { code: string; details: { code: string }[] } };
    };
    expect(shown.properties).toMatchObject({
      provisioningState: "Failed",
      error: { code: "DeploymentFailed", details: [expect.objectContaining({ code: "PrincipalNotFound" })] },
    });
    expect(JSON.stringify(shown)).not.toContain(note);
  });
});

describe("--parameters, as az reads them", () => {
  const template = () =>
    templateFile("parameters.json", {
      $schema: SCHEMA,
      contentVersion: "1.0.0.0",
      parameters: {
        text: { type: "string" },
        count: { type: "int", defaultValue: 1 },
        flag: { type: "bool", defaultValue: false },
        settings: { type: "object", defaultValue: {} },
      },
      resources: [],
      outputs: {
        text: { type: "string", value: "[parameters('text')]" },
        count: { type: "int", value: "[parameters('count')]" },
        flag: { type: "bool", value: "[parameters('flag')]" },
        settings: { type: "object", value: "[parameters('settings')]" },
      },
    });

  it("a parameters file (@file or a path), JSON, and name=value typed by the template: merged in order, later wins", async () => {
    const first = join(test.stateDir, "first.parameters.json");
    writeFileSync(first, JSON.stringify({ parameters: { text: { value: "from the file" }, count: { value: 2 } } }));
    const created = (await json(
      "deployment",
      "group",
      "create",
      "-g",
      "keyless-rg",
      "-f",
      template(),
      "-p",
      `@${first}`,
      "count=7",
      "-p",
      "flag=True",
      'settings={"tier": "free"}',
      "-p",
      first,
    )) as { name: string; properties: { outputs: Record<string, { value: unknown }> } };
    expect(created.name).toBe("parameters");
    expect(created.properties.outputs).toEqual({
      text: { type: "String", value: "from the file" },
      // The path given last is merged last: its count wins over count=7.
      count: { type: "Int", value: 2 },
      flag: { type: "Bool", value: true },
      settings: { type: "Object", value: { tier: "free" } },
    });
  });

  it("refuses an unknown parameter, a missing one, and an item it cannot read, in az's words", async () => {
    const file = template();
    const [unknown, missing, unreadable] = await Promise.all([
      run("deployment", "group", "validate", "-g", "keyless-rg", "-f", file, "-p", "text=x", "nope=1"),
      run("deployment", "group", "validate", "-g", "keyless-rg", "-f", file),
      run("deployment", "group", "validate", "-g", "keyless-rg", "-f", file, "-p", "just-a-word"),
    ]);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: "ERROR: unrecognized template parameter 'nope'. Allowed parameters: count, flag, settings, text\n",
    });
    expect(missing).toMatchObject({ code: 1, stderr: "ERROR: Missing input parameters: text\n" });
    expect(unreadable).toMatchObject({ code: 1, stderr: "ERROR: Unable to parse parameter: just-a-word\n" });
  });
});
