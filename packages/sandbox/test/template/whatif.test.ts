import { describe, expect, it } from "vitest";
import { deploy, SECURE_MASK, whatIf } from "../../src/arm/template/index.ts";
import { createFakeHost, GROUP_ID } from "./fakeHost.ts";
import { allStrings, template } from "./helpers.ts";

const site = (name: string, extra: Record<string, unknown> = {}) => ({
  type: "Microsoft.Web/sites",
  apiVersion: "2023-12-01",
  name,
  location: "[resourceGroup().location]",
  properties: { httpsOnly: true },
  ...extra,
});
const id = (name: string) => `${GROUP_ID}/providers/Microsoft.Web/sites/${name}`;

describe("what-if", () => {
  it("shows resources to create, to modify, unchanged, and those the template leaves alone", async () => {
    const host = createFakeHost();
    await deploy({ template: template({ resources: [site("same"), site("changed"), site("other")] }) }, host);
    const next = [site("same"), site("changed", { properties: { httpsOnly: false } }), site("new")];
    const { properties } = await whatIf({ template: template({ resources: next }) }, host);
    expect(properties.changes.map((change) => [change.resourceId, change.changeType])).toEqual([
      [id("same"), "NoChange"],
      [id("changed"), "Modify"],
      [id("new"), "Create"],
      [id("other"), "Ignore"],
    ]);
    const modify = properties.changes[1];
    expect(modify?.delta).toEqual([
      { path: "properties.httpsOnly", propertyChangeType: "Modify", before: true, after: false },
    ]);
    // The Azure CLI prints the api-version it reads from before (or after).
    expect(modify?.before).toMatchObject({ apiVersion: "2023-12-01" });
    expect(host.puts).toHaveLength(3);
  });

  it("does not count what the host added (read-only properties) or what the template does not set", async () => {
    const host = createFakeHost();
    await deploy(
      { template: template({ resources: [site("app", { identity: { type: "SystemAssigned" }, tags: { a: "1" } })] }) },
      host,
    );
    const { properties } = await whatIf(
      { template: template({ resources: [site("app", { identity: { type: "SystemAssigned" } })] }) },
      host,
    );
    expect(properties.changes[0]?.changeType).toBe("NoChange");
  });

  it("compares arrays item by item, under one Array change whose children are indices", async () => {
    const host = createFakeHost();
    const settings = (values: string[]) => ({
      properties: { siteConfig: { appSettings: values.map((value, index) => ({ name: `S${index}`, value })) } },
    });
    await deploy({ template: template({ resources: [site("app", settings(["a", "b"]))] }) }, host);
    const { properties } = await whatIf(
      { template: template({ resources: [site("app", settings(["a", "B", "c"]))] }) },
      host,
    );
    expect(properties.changes[0]?.delta).toEqual([
      {
        path: "properties.siteConfig.appSettings",
        propertyChangeType: "Array",
        children: [
          {
            path: "1",
            propertyChangeType: "Modify",
            children: [{ path: "value", propertyChangeType: "Modify", before: "b", after: "B" }],
          },
          { path: "2", propertyChangeType: "Create", after: { name: "S2", value: "c" } },
        ],
      },
    ]);
    for (const child of properties.changes[0]?.delta?.[0]?.children ?? [])
      expect(Number.isInteger(Number(child.path))).toBe(true);
  });

  it("reads resources that exist, leaves values from ones that do not as expressions, and calls neither a change", async () => {
    const host = createFakeHost();
    await deploy({ template: template({ resources: [site("api")] }) }, host);
    const reader = (target: string) =>
      site(`reads-${target}`, {
        properties: { url: `[reference(resourceId('Microsoft.Web/sites', '${target}')).defaultHostName]` },
      });
    const { properties } = await whatIf(
      { template: template({ resources: [site("api"), site("later"), reader("api"), reader("later")] }) },
      host,
    );
    const byId = new Map(properties.changes.map((change) => [change.resourceId, change]));
    expect(byId.get(id("reads-api"))?.after?.["properties"]).toEqual({ url: "api.azurewebsites.localhost" });
    expect(byId.get(id("reads-later"))?.after?.["properties"]).toEqual({
      url: "[reference(resourceId('Microsoft.Web/sites', 'later')).defaultHostName]",
    });
    // Once deployed, the unknown value is unknown again in a what-if of a template that moves the target: no false Modify.
    await deploy(
      { template: template({ resources: [site("api"), site("later"), reader("api"), reader("later")] }) },
      host,
    );
    const moved = [
      site("api"),
      site("later2"),
      reader("api"),
      site("reads-later", {
        properties: { url: "[reference(resourceId('Microsoft.Web/sites', 'later2')).defaultHostName]" },
      }),
    ];
    const again = await whatIf({ template: template({ resources: moved }) }, host);
    expect(again.properties.changes.find((change) => change.resourceId === id("reads-later"))?.changeType).toBe(
      "NoChange",
    );
  });

  it("calls a resource Unsupported when its condition cannot be known until deployment", async () => {
    const host = createFakeHost();
    const resources = [
      site("api"),
      site("maybe", { condition: "[equals(reference(resourceId('Microsoft.Web/sites', 'api')).httpsOnly, true())]" }),
    ];
    const { properties } = await whatIf({ template: template({ resources }) }, host);
    expect(properties.changes[1]).toEqual({
      resourceId: id("maybe"),
      changeType: "Unsupported",
      unsupportedReason: expect.stringContaining(
        "cannot be analyzed because its condition cannot be calculated until the deployment is under way",
      ),
    });
  });

  it("masks a secure value and never counts it as a change", async () => {
    const host = createFakeHost();
    const parts = (secret: string) => ({
      template: template({
        parameters: { pw: { type: "securestring" } },
        resources: [
          site("app", { properties: { siteConfig: { appSettings: [{ name: "PW", value: "[parameters('pw')]" }] } } }),
        ],
      }),
      parameters: { pw: { value: secret } },
    });
    const before = await whatIf(parts("first-secret-value"), host);
    expect(before.properties.changes[0]?.after).toMatchObject({
      properties: { siteConfig: { appSettings: [{ name: "PW", value: SECURE_MASK }] } },
    });
    await deploy(parts("first-secret-value"), host);
    const after = await whatIf(parts("second-secret-value"), host);
    expect(after.properties.changes[0]?.changeType).toBe("NoChange");
    const strings = allStrings([before, after]);
    expect(strings.some((text) => text.includes("first-secret-value") || text.includes("second-secret-value"))).toBe(
      false,
    );
  });
});
