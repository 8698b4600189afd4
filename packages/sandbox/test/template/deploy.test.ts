import { describe, expect, it } from "vitest";
import { deploy, HostError, TemplateError } from "../../src/arm/template/index.ts";
import { createFakeHost, GROUP_ID } from "./fakeHost.ts";
import { template } from "./helpers.ts";

const site = (name: string, extra: Record<string, unknown> = {}) => ({
  type: "Microsoft.Web/sites",
  apiVersion: "2023-12-01",
  name,
  location: "[resourceGroup().location]",
  properties: {},
  ...extra,
});

const clock = () => {
  let tick = Date.parse("2026-12-01T10:00:00Z");
  return () => {
    tick += 1000;
    return new Date(tick);
  };
};

describe("a deployment", () => {
  it("hands each resource to the host, evaluated, and records one operation per resource", async () => {
    const host = createFakeHost("first");
    const resources = [
      site("api", {
        identity: { type: "SystemAssigned" },
        properties: { siteConfig: { appSettings: [{ name: "A", value: "[toUpper('x')]" }] } },
      }),
    ];
    const { deployment, operations } = await deploy({ template: template({ resources }) }, host, {
      now: clock(),
    });
    expect(host.puts).toEqual([
      {
        id: `${GROUP_ID}/providers/Microsoft.Web/sites/api`,
        type: "Microsoft.Web/sites",
        name: "api",
        apiVersion: "2023-12-01",
        body: {
          location: "westeurope",
          identity: { type: "SystemAssigned" },
          properties: { siteConfig: { appSettings: [{ name: "A", value: "X" }] } },
        },
      },
    ]);
    expect(deployment).toMatchObject({
      id: `${GROUP_ID}/providers/Microsoft.Resources/deployments/first`,
      name: "first",
      type: "Microsoft.Resources/deployments",
      properties: {
        provisioningState: "Succeeded",
        mode: "Incremental",
        outputResources: [{ id: `${GROUP_ID}/providers/Microsoft.Web/sites/api` }],
      },
    });
    expect(operations).toEqual([
      {
        id: expect.stringMatching(/\/deployments\/first\/operations\/[0-9A-F]{16}$/),
        operationId: expect.stringMatching(/^[0-9A-F]{16}$/),
        properties: {
          provisioningOperation: "Create",
          provisioningState: "Succeeded",
          timestamp: expect.any(String),
          duration: expect.stringMatching(/^PT[0-9.]+S$/),
          statusCode: "Created",
          targetResource: {
            id: `${GROUP_ID}/providers/Microsoft.Web/sites/api`,
            resourceType: "Microsoft.Web/sites",
            resourceName: "api",
            apiVersion: "2023-12-01",
          },
        },
      },
    ]);
    // Deploying again updates: 200 OK.
    const again = await deploy({ template: template({ resources }) }, host);
    expect(again.operations[0]?.["properties"]).toMatchObject({ statusCode: "OK" });
  });

  it("reads what earlier resources became through reference(), and answers outputs", async () => {
    const host = createFakeHost();
    const parts = {
      resources: [
        site("api", { identity: { type: "SystemAssigned" } }),
        site("caller", {
          dependsOn: ["api"],
          properties: {
            siteConfig: {
              appSettings: [{ name: "API", value: "[format('https://{0}', reference('api').defaultHostName)]" }],
            },
          },
        }),
      ],
      outputs: {
        principal: {
          type: "string",
          value: "[reference(resourceId('Microsoft.Web/sites', 'api'), '2023-12-01', 'Full').identity.principalId]",
        },
        hosts: { type: "array", copy: { count: 2, input: "[format('h{0}', copyIndex())]" } },
        hidden: { type: "string", condition: false, value: "x" },
      },
    };
    const { deployment } = await deploy({ template: template(parts) }, host);
    expect(host.puts[1]?.body).toMatchObject({
      properties: { siteConfig: { appSettings: [{ value: "https://api.azurewebsites.localhost" }] } },
    });
    const outputs = (deployment["properties"] as { outputs: Record<string, unknown> }).outputs;
    expect(outputs).toEqual({
      principal: { type: "String", value: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      hosts: { type: "Array", value: ["h0", "h1"] },
    });
  });

  it("skips a resource whose condition is false", async () => {
    const host = createFakeHost();
    const parts = {
      parameters: { withApi: { type: "bool", defaultValue: false } },
      resources: [site("api", { condition: "[parameters('withApi')]" }), site("web")],
    };
    const { operations } = await deploy({ template: template(parts) }, host);
    expect(host.puts.map((put) => put.name)).toEqual(["web"]);
    expect(operations).toHaveLength(1);
  });

  it("unrolls property copy loops into arrays", async () => {
    const host = createFakeHost();
    const parts = {
      parameters: {
        settings: {
          type: "array",
          defaultValue: [
            { n: "A", v: "1" },
            { n: "B", v: "2" },
          ],
        },
      },
      resources: [
        site("api", {
          properties: {
            siteConfig: {
              copy: [
                {
                  name: "appSettings",
                  count: "[length(parameters('settings'))]",
                  input: {
                    name: "[parameters('settings')[copyIndex('appSettings')].n]",
                    value: "[parameters('settings')[copyIndex('appSettings')].v]",
                  },
                },
              ],
            },
          },
        }),
      ],
    };
    await deploy({ template: template(parts) }, host);
    expect(host.puts[0]?.body["properties"]).toEqual({
      siteConfig: {
        appSettings: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
      },
    });
  });

  it("stops at the first failure with the host's error, and keeps what was created", async () => {
    const host = createFakeHost();
    host.failures.set(
      `${GROUP_ID}/providers/Microsoft.Web/sites/b`.toLowerCase(),
      new HostError("Conflict", "The site 'b' is locked.", 409),
    );
    const resources = [site("a"), site("b", { dependsOn: ["a"] }), site("c", { dependsOn: ["b"] })];
    const { deployment, operations } = await deploy({ template: template({ resources }) }, host);
    expect(deployment["properties"]).toMatchObject({
      provisioningState: "Failed",
      error: {
        code: "DeploymentFailed",
        message:
          "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
        details: [{ code: "Conflict", message: "The site 'b' is locked." }],
      },
    });
    expect(
      operations.map((operation) => (operation["properties"] as { provisioningState: string }).provisioningState),
    ).toEqual(["Succeeded", "Failed"]);
    expect(operations[1]?.["properties"]).toMatchObject({
      statusCode: "Conflict",
      statusMessage: { status: "Failed", error: { code: "Conflict" } },
    });
    expect([...host.resources.keys()]).toEqual([`${GROUP_ID}/providers/Microsoft.Web/sites/a`.toLowerCase()]);
  });

  it("reports an expression that fails at run time as the resource's failure, in ARM's words", async () => {
    const host = createFakeHost();
    const resources = [
      site("a", { properties: { x: "[reference(resourceId('Microsoft.Web/sites', 'elsewhere'), '2023-12-01').y]" } }),
    ];
    const { deployment } = await deploy({ template: template({ resources }) }, host);
    expect(JSON.stringify(deployment)).toContain(
      `Unable to process template language expressions for resource '${GROUP_ID}/providers/Microsoft.Web/sites/a' at line '5' and column '5'. 'The Resource 'Microsoft.Web/sites/elsewhere' under resource group 'keyless-rg' was not found.'`,
    );
  });

  it("changes nothing when the template is refused", async () => {
    const host = createFakeHost();
    const resources = [site("a"), site("b", { properties: { x: "[nope()]" } })];
    await expect(deploy({ template: template({ resources }) }, host)).rejects.toBeInstanceOf(TemplateError);
    expect(host.calls.filter((call) => call.startsWith("put"))).toEqual([]);
  });
});
