import { describe, expect, it } from "vitest";
import { deploy, TemplateError, validate } from "../../src/arm/template/index.ts";
import { createFakeHost, GROUP_ID } from "./fakeHost.ts";
import { template } from "./helpers.ts";

const site = (name: string, extra: Record<string, unknown> = {}) => ({
  type: "Microsoft.Web/sites",
  apiVersion: "2023-12-01",
  name,
  properties: {},
  ...extra,
});

/** The names of the resources in the order the host received them. */
async function deployedOrder(resources: unknown[]): Promise<string[]> {
  const host = createFakeHost();
  const { deployment } = await deploy({ template: template({ resources }) }, host);
  expect(deployment["properties"]).toMatchObject({ provisioningState: "Succeeded" });
  return host.puts.map((put) => put.name);
}

function refusal(run: () => unknown): TemplateError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error("expected a TemplateError");
}

describe("the dependency order", () => {
  it("follows dependsOn by name, by type/name, by resource id and by copy loop", async () => {
    expect(
      await deployedOrder([
        site("d", { dependsOn: ["[resourceId('Microsoft.Web/sites', 'c')]"] }),
        site("c", { dependsOn: ["Microsoft.Web/sites/b"] }),
        site("b", { dependsOn: ["apps"] }),
        site("[format('a{0}', copyIndex())]", { copy: { name: "apps", count: 2 } }),
      ]),
    ).toEqual(["a0", "a1", "b", "c", "d"]);
  });

  it("keeps the template's order between resources that do not depend on each other", async () => {
    expect(await deployedOrder([site("z"), site("y"), site("x")])).toEqual(["z", "y", "x"]);
  });

  it("waits for what reference() and list*() read (implicit dependencies)", async () => {
    expect(
      await deployedOrder([
        site("reader", {
          properties: { host: "[reference(resourceId('Microsoft.Web/sites', 'target')).defaultHostName]" },
        }),
        site("target"),
      ]),
    ).toEqual(["target", "reader"]);
  });

  it("waits for the resource an extension resource's scope names", async () => {
    const assignment = {
      type: "Microsoft.Authorization/roleAssignments",
      apiVersion: "2022-04-01",
      name: "[guid('kv', 'reader')]",
      scope: "Microsoft.KeyVault/vaults/kv",
      properties: { roleDefinitionId: "r", principalId: "p" },
    };
    const vault = { type: "Microsoft.KeyVault/vaults", apiVersion: "2023-07-01", name: "kv", properties: {} };
    expect(await deployedOrder([assignment, vault])).toEqual(["kv", expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });

  it("deploys a serial copy loop one batch after another", async () => {
    const host = createFakeHost();
    const resources = [
      site("[format('s{0}', copyIndex())]", { copy: { name: "s", count: 4, mode: "Serial", batchSize: 2 } }),
    ];
    const answer = validate({ template: template({ resources }) }, host);
    const dependencies = (
      answer["properties"] as { dependencies: { resourceName: string; dependsOn: { resourceName: string }[] }[] }
    ).dependencies;
    expect(dependencies.map((d) => [d.resourceName, d.dependsOn.map((x) => x.resourceName)])).toEqual([
      ["s2", ["s0", "s1"]],
      ["s3", ["s0", "s1"]],
    ]);
  });

  it("refuses a cycle in Azure's words, naming a resource on it", () => {
    const error = refusal(() =>
      validate(
        {
          template: template({
            resources: [
              site("free"),
              site("a", { dependsOn: ["b"] }),
              site("b", { dependsOn: ["c"] }),
              site("c", { dependsOn: ["a"] }),
            ],
          }),
        },
        createFakeHost(),
      ),
    );
    expect(error.message).toBe(
      `Deployment template validation failed: 'Circular dependency detected on resource: '${GROUP_ID}/providers/Microsoft.Web/sites/a'. Please see https://aka.ms/arm-syntax-resources for usage details.'.`,
    );
  });

  it("refuses a dependsOn that names nothing in the template", () => {
    const error = refusal(() =>
      validate(
        { template: template({ resources: [site("a", { dependsOn: ["Microsoft.Web/sites/ghost"] })] }) },
        createFakeHost(),
      ),
    );
    expect(error.message).toBe(
      "Deployment template validation failed: 'The resource 'Microsoft.Web/sites/ghost' is not defined in the template. Please see https://aka.ms/arm-syntax for usage details.'.",
    );
  });
});
