import { describe, expect, it } from "vitest";
import { guid, TemplateError, validate } from "../../src/arm/template/index.ts";
import { createFakeHost, GROUP_ID } from "./fakeHost.ts";
import { SCHEMA, template } from "./helpers.ts";

const host = createFakeHost();

function refusal(run: () => unknown): TemplateError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error("expected a TemplateError");
}

const site = (name: string, extra: Record<string, unknown> = {}) => ({
  type: "Microsoft.Web/sites",
  apiVersion: "2023-12-01",
  name,
  location: "[resourceGroup().location]",
  properties: {},
  ...extra,
});

const validated = (parts: Record<string, unknown>) =>
  (
    validate({ template: template(parts) }, host)["properties"] as { validatedResources: { id: string }[] }
  ).validatedResources.map((resource) => resource.id.replace(`${GROUP_ID}/providers/`, ""));

describe("a template's shape", () => {
  it("is read from text with the positions of its nodes, comments allowed", () => {
    const text = `{
  // the workshop's template
  "$schema": "${SCHEMA}",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.Web/sites",
      "apiVersion": "2023-12-01",
      "name": "app",
      "properties": { "x": "[frobnicate()]" }
    }
  ]
}`;
    const error = refusal(() => validate({ template: text }, host));
    expect(error.message).toBe(
      "Deployment template validation failed: 'The template resource 'app' at line '6' and column '5' is not valid: The template function 'frobnicate' is not valid. Please see https://aka.ms/arm-functions for usage details.'.",
    );
    expect(error.toArmError()).toMatchObject({
      code: "InvalidTemplate",
      additionalInfo: [
        {
          type: "TemplateViolation",
          info: { lineNumber: 6, linePosition: 5, path: "properties.template.resources[0]" },
        },
      ],
    });
  });

  it("refuses JSON that does not parse, with the place", () => {
    const error = refusal(() => validate({ template: '{\n  "$schema": \n}' }, host));
    expect(error.code).toBe("InvalidRequestContent");
    expect(error.message).toContain("line 3");
  });

  it("accepts only resource-group deployment templates", () => {
    const error = refusal(() =>
      validate(
        {
          template: template({
            $schema: "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
          }),
        },
        host,
      ),
    );
    expect(error.message).toContain("is not supported by this sandbox");
    expect(refusal(() => validate({ template: template({ contentVersion: "1" }) }, host)).message).toContain(
      "contentVersion",
    );
  });

  it.each([
    [{ languageVersion: "2.0" }, "languageVersion"],
    [{ functions: [{ namespace: "ns", members: {} }] }, "User-defined functions"],
    [{ apiProfile: "2019-03-01-hybrid" }, "apiProfile"],
  ])("refuses a feature it does not carry out: %j", (parts, named) => {
    const error = refusal(() => validate({ template: template(parts) }, host));
    expect(error.message).toContain(named);
    expect(error.message).toContain("is not supported by this sandbox");
  });

  it("refuses a member Azure does not know, as Azure's deserializer does", () => {
    const error = refusal(() => validate({ template: template({ resourcez: [] }) }, host));
    expect(error.message).toContain("Could not find member 'resourcez' on object of type 'Template'");
  });

  it("refuses Complete mode: this sandbox never deletes what a template leaves out", () => {
    const error = refusal(() => validate({ template: template(), mode: "Complete" }, host));
    expect(error.message).toContain("The deployment mode 'Complete'");
  });

  it("refuses a resource type the host cannot deploy, naming it and its line", () => {
    const error = refusal(() =>
      validate(
        {
          template: template({ resources: [{ type: "Microsoft.Sql/servers", apiVersion: "2023-05-01", name: "sql" }] }),
        },
        host,
      ),
    );
    expect(error.message).toContain("The template resource 'sql' at line '5' and column '5' is not valid");
    expect(error.message).toContain(
      "The resource type 'Microsoft.Sql/servers' (api-version '2023-05-01') is not supported by this sandbox",
    );
  });

  it("refuses a function Azure has but the sandbox does not carry out, by name", () => {
    const error = refusal(() => validate({ template: template({ variables: { now: "[utcNow()]" } }) }, host));
    expect(error.message).toContain("The template function 'utcNow' is not supported by this sandbox");
  });

  it("refuses a name whose segments do not fit its type", () => {
    const error = refusal(() =>
      validate(
        {
          template: template({
            resources: [{ type: "Microsoft.KeyVault/vaults/secrets", apiVersion: "2023-07-01", name: "s" }],
          }),
        },
        host,
      ),
    );
    expect(error.message).toContain("has incorrect segment lengths");
  });
});

describe("variables", () => {
  it("read parameters and one another, and make arrays with copy", () => {
    const parts = {
      parameters: { prefix: { type: "string", defaultValue: "kl" } },
      variables: {
        app: "[format('{0}-app', parameters('prefix'))]",
        apps: "[createArray(variables('app'), variables('copy-less'))]",
        "copy-less": "[concat(variables('app'), '2')]",
        copy: [{ name: "numbered", count: 2, input: "[format('{0}-{1}', variables('app'), copyIndex('numbered'))]" }],
      },
      resources: [site("[variables('apps')[1]]"), site("[variables('numbered')[1]]")],
    };
    expect(validated(parts)).toEqual(["Microsoft.Web/sites/kl-app2", "Microsoft.Web/sites/kl-app-1"]);
  });

  it("refuse a variable that reads itself", () => {
    const error = refusal(() =>
      validate(
        {
          template: template({
            variables: { a: "[variables('b')]", b: "[variables('a')]" },
            resources: [site("[variables('a')]")],
          }),
        },
        host,
      ),
    );
    expect(error.message).toContain("depends on itself");
  });
});

describe("resources", () => {
  it("unroll copy loops, with copyIndex and an offset", () => {
    const parts = { resources: [site("[format('app{0}', copyIndex(1))]", { copy: { name: "apps", count: 3 } })] };
    expect(validated(parts)).toEqual([
      "Microsoft.Web/sites/app1",
      "Microsoft.Web/sites/app2",
      "Microsoft.Web/sites/app3",
    ]);
  });

  it("take their full type and name from the resource they are nested in", () => {
    const parts = {
      resources: [
        {
          type: "Microsoft.Storage/storageAccounts",
          apiVersion: "2023-05-01",
          name: "st",
          resources: [
            {
              type: "queueServices",
              apiVersion: "2023-05-01",
              name: "default",
              dependsOn: ["st"],
              resources: [{ type: "queues", apiVersion: "2023-05-01", name: "code-requests", dependsOn: ["default"] }],
            },
          ],
        },
      ],
    };
    expect(validated(parts)).toEqual([
      "Microsoft.Storage/storageAccounts/st",
      "Microsoft.Storage/storageAccounts/st/queueServices/default",
      "Microsoft.Storage/storageAccounts/st/queueServices/default/queues/code-requests",
    ]);
  });

  it("place an extension resource under the resource its scope names, as an id or relative to the group", () => {
    const assignment = (scope: string) => ({
      type: "Microsoft.Authorization/roleAssignments",
      apiVersion: "2022-04-01",
      name: "[guid('a')]",
      scope,
      properties: {},
    });
    const expected = `Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/${guid(["a"])}`;
    expect(validated({ resources: [assignment("[resourceId('Microsoft.KeyVault/vaults', 'kv')]")] })).toEqual([
      expected,
    ]);
    expect(validated({ resources: [assignment("Microsoft.KeyVault/vaults/kv")] })).toEqual([expected]);
  });

  it("refuse a copy count beyond Azure's 800", () => {
    const error = refusal(() =>
      validate(
        {
          template: template({
            resources: [site("[format('a{0}', copyIndex())]", { copy: { name: "x", count: 801 } })],
          }),
        },
        host,
      ),
    );
    expect(error.message).toContain("The copy count must be an integer from 0 to 800");
  });

  it("refuse a nested deployment rather than skip it", () => {
    const error = refusal(() =>
      validate(
        {
          template: template({
            resources: [
              { type: "Microsoft.Resources/deployments", apiVersion: "2022-09-01", name: "inner", properties: {} },
            ],
          }),
        },
        host,
      ),
    );
    expect(error.message).toContain("The nested deployment 'inner'");
  });

  it("refuse a value that fails to evaluate before anything is deployed", () => {
    const error = refusal(() =>
      validate({ template: template({ resources: [site("app", { properties: { n: "[int('x')]" } })] }) }, host),
    );
    expect(error.message).toContain(
      "The template resource 'app' at line '5' and column '5' is not valid: Unable to evaluate template language function 'int'",
    );
  });
});

describe("outputs", () => {
  it("refuse a value from a secure source, unless declared secure", () => {
    const parts = {
      parameters: { pw: { type: "securestring", defaultValue: "a-default-secret" } },
      outputs: { leaked: { type: "string", value: "[concat('pw=', parameters('pw'))]" } },
    };
    const error = refusal(() => validate({ template: template(parts) }, host));
    expect(error.message).toContain("The template output 'leaked'");
    expect(error.message).not.toContain("a-default-secret");
    const listed = {
      outputs: {
        key: {
          type: "string",
          value: "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-05-01').keys[0].value]",
        },
      },
    };
    expect(refusal(() => validate({ template: template(listed) }, host)).message).toContain(
      "The template output 'key'",
    );
  });
});
