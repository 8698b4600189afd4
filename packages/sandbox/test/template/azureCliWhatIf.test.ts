/**
 * The real Azure CLI's what-if formatter (azure-cli's `_formatters.py`) on the engine's
 * answers: what `az deployment group what-if` prints against the sandbox. It needs
 * Debian's azure-cli (apt-get install azure-cli); without it the test skips and says why,
 * unless KEYLESS_REQUIRE_CLIENTS=1 (CI), where it must run.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { deploy, whatIf } from "../../src/arm/template/index.ts";
import { formatWhatIf, type ResourceChange } from "../../src/az/whatIfFormat.ts";
import { createFakeHost, GROUP_ID, SUBSCRIPTION } from "./fakeHost.ts";
import { template } from "./helpers.ts";

const FORMATTER = fileURLToPath(new URL("./fixtures/formatWhatIf.py", import.meta.url));

/** The interpreter a script's first line names, if it is a Python. */
const pythonOf = (script: string) =>
  /^#!\s*(\S*python\S*)/.exec(readFileSync(script, "utf8").split("\n")[0] ?? "")?.[1];

/** The Python the real Azure CLI runs on: the first `az` on PATH that is a Python script (not the sandbox's own `az`). */
function findCliPython(): { ok: true; python: string } | { ok: false; reason: string } {
  const onPath = (process.env["PATH"] ?? "").split(delimiter).map((dir) => join(dir, "az"));
  const az = [process.env["KEYLESS_AZ"], ...onPath].find((path) => path && existsSync(path) && pythonOf(path));
  const python = az ? pythonOf(az) : undefined;
  if (!python) return { ok: false, reason: "the Azure CLI is not installed: apt-get install azure-cli" };
  try {
    execFileSync(python, ["-c", "import azure.cli.command_modules.resource._formatters"], {
      stdio: "ignore",
      timeout: 60_000,
    });
    return { ok: true, python };
  } catch {
    return { ok: false, reason: `${python} cannot import the Azure CLI's resource module` };
  }
}

const cli = findCliPython();
const REQUIRED = process.env["KEYLESS_REQUIRE_CLIENTS"] === "1";
const cliIt = cli.ok || REQUIRED ? it : it.skip;

const site = (name: string, properties: Record<string, unknown>) => ({
  type: "Microsoft.Web/sites",
  apiVersion: "2023-12-01",
  name,
  location: "[resourceGroup().location]",
  properties,
});

cliIt(
  `az deployment group what-if prints the engine's answer as on Azure${cli.ok ? "" : ` (skipped: ${cli.reason})`}`,
  async () => {
    if (!cli.ok) throw new Error(cli.reason);
    const host = createFakeHost();
    const settings = (value: string) => ({
      siteConfig: {
        appSettings: [
          { name: "A", value: "1" },
          { name: "B", value },
        ],
      },
    });
    await deploy(
      {
        template: template({
          resources: [site("same", {}), site("changed", { httpsOnly: true, ...settings("b") }), site("other", {})],
        }),
      },
      host,
    );
    const answer = await whatIf(
      {
        template: template({
          resources: [
            site("same", {}),
            site("changed", { httpsOnly: false, ...settings("B") }),
            site("new", { httpsOnly: true }),
          ],
        }),
      },
      host,
    );
    const printed = execFileSync(cli.python, [FORMATTER], {
      input: JSON.stringify(answer),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(printed).toContain("Resource changes: 1 to create, 1 to modify, 1 no change, 1 to ignore.");
    expect(printed).toContain("Scope: /subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/keyless-rg");
    expect(printed).toContain("+ Microsoft.Web/sites/new [2023-12-01]");
    expect(printed).toContain("~ Microsoft.Web/sites/changed [2023-12-01]");
    expect(printed).toContain("~ properties.httpsOnly: true => false");
    expect(printed).toMatch(/~ properties\.siteConfig\.appSettings: \[\n\s+~ 1:\n\n\s+~ value: "b" => "B"/);
    expect(printed).toContain("= Microsoft.Web/sites/same [2023-12-01]");
    expect(printed).toContain("* Microsoft.Web/sites/other");
  },
);

/** What the real formatter prints for an answer, and what the sandbox's port of it prints, in colour or not. */
const printedBoth = (answer: unknown, color: boolean) => {
  if (!cli.ok) throw new Error(cli.reason);
  const real = execFileSync(cli.python, [FORMATTER, ...(color ? ["--color"] : [])], {
    input: JSON.stringify(answer),
    encoding: "utf8",
    timeout: 60_000,
  });
  const changes = (answer as { properties: { changes: ResourceChange[] } }).properties.changes;
  return { real, port: `${formatWhatIf(changes, color)}\n` };
};

/** Every branch of the formatter: each change type, each property change, nested objects and arrays, two scopes. */
const EVERY_KIND = {
  status: "Succeeded",
  properties: {
    changes: [
      {
        resourceId: `${GROUP_ID}/providers/Microsoft.Web/sites/gone`,
        changeType: "Delete",
        before: { apiVersion: "2023-12-01", name: "gone", properties: { tags: [], on: true } },
      },
      {
        resourceId: `${GROUP_ID}/providers/Microsoft.Web/sites/deployed`,
        changeType: "Deploy",
        after: { apiVersion: "2023-12-01" },
        delta: [{ path: "properties.state", propertyChangeType: "NoEffect", after: "Running" }],
      },
      {
        resourceId: `${GROUP_ID}/providers/Microsoft.Web/sites/odd`,
        changeType: "Unsupported",
        unsupportedReason: "its condition cannot be calculated",
      },
      {
        resourceId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments/abc`,
        changeType: "Create",
        after: {
          apiVersion: "2022-04-01",
          properties: { scope: "/", nested: { deep: { deeper: 1.5 }, list: [1, "two", null, { three: 3 }, [], {}] } },
        },
      },
      {
        resourceId: `${GROUP_ID}/providers/Microsoft.Web/sites/changed`,
        changeType: "Modify",
        before: { apiVersion: "2023-12-01" },
        delta: [
          { path: "properties.a", propertyChangeType: "Create", after: { x: 1, y: [1, 2] } },
          { path: "properties.b", propertyChangeType: "Delete", before: [1, { z: "z" }] },
          { path: "properties.c", propertyChangeType: "Modify", before: { old: true }, after: "new" },
          { path: "properties.d", propertyChangeType: "Modify", before: "old", after: { brand: "new" } },
          {
            path: "properties.e",
            propertyChangeType: "Modify",
            children: [{ path: "inner", propertyChangeType: "Create", after: 7 }],
          },
          {
            path: "properties.f",
            propertyChangeType: "Array",
            children: [
              { path: "1", propertyChangeType: "Delete", before: "x" },
              {
                path: "0",
                propertyChangeType: "Array",
                children: [{ path: "0", propertyChangeType: "Create", after: "nested" }],
              },
              {
                path: "2",
                propertyChangeType: "Modify",
                children: [{ path: "name", propertyChangeType: "Modify", before: "a", after: "b" }],
              },
            ],
          },
          { path: "properties.g", propertyChangeType: "Array", children: [] },
          { path: "properties.h", propertyChangeType: "NoEffect", after: null },
        ],
      },
      {
        resourceId: `${GROUP_ID}/providers/Microsoft.Web/sites/same`,
        changeType: "NoChange",
        before: { apiVersion: "2023-12-01" },
        after: { apiVersion: "2023-12-01" },
      },
      {
        resourceId: `${GROUP_ID}/providers/Microsoft.Web/sites/other`,
        changeType: "Ignore",
        before: { name: "other" },
      },
    ],
  },
};

cliIt(
  `the sandbox's az prints a what-if as the real CLI does, character for character, in colour or not${cli.ok ? "" : ` (skipped: ${cli.reason})`}`,
  async () => {
    const host = createFakeHost();
    const first = await whatIf(
      {
        template: template({
          resources: [site("new", { httpsOnly: true, siteConfig: { appSettings: [{ name: "A", value: "1" }] } })],
        }),
      },
      host,
    );
    const nothing = { status: "Succeeded", properties: { changes: [] } };
    for (const answer of [first, EVERY_KIND, nothing])
      for (const color of [false, true]) {
        const { real, port } = printedBoth(answer, color);
        expect(port).toBe(real);
      }
  },
);
