/** No input makes the engine fail with anything but Azure's errors, or work without end. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deploy, TemplateError, validate, whatIf } from "../../src/arm/template/index.ts";
import { createFakeHost } from "./fakeHost.ts";
import { template } from "./helpers.ts";

const WORKSHOP = JSON.parse(readFileSync(new URL("./fixtures/workshop.json", import.meta.url), "utf8")) as unknown;
const parameters = { stepOneApiKey: { value: "step-one-key" } };

/** Runs a step; whatever it throws must be a TemplateError. */
async function onlyTemplateErrors(step: () => unknown) {
  try {
    await step();
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    expect(error.toArmError().code).toMatch(/^[A-Za-z]+$/);
  }
}

/** Every string of a value, with a path to it, so one can be replaced. */
function stringPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === "string") return [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringPaths(item, [...path, index]));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([key, item]) => stringPaths(item, [...path, key]));
  return [];
}

function replaced(value: unknown, path: (string | number)[], text: string): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  node[path.at(-1) as string | number] = text;
  return copy;
}

describe("the engine, for any input", () => {
  it("refuses JSON nested beyond reason, and text that is no JSON", async () => {
    await expect(async () =>
      validate({ template: `${"[".repeat(20_000)}${"]".repeat(20_000)}` }, createFakeHost()),
    ).rejects.toThrow(TemplateError);
    await expect(async () => validate({ template: "{nope" }, createFakeHost())).rejects.toThrow(TemplateError);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    await expect(async () => validate({ template: cyclic }, createFakeHost())).rejects.toThrow(TemplateError);
  });

  it("refuses copy loops that would make millions of values, before working through them", () => {
    const loop = (inner: unknown) => ({ copy: [{ name: "items", count: 800, input: inner }] });
    const resources = [
      {
        type: "Microsoft.Web/sites",
        apiVersion: "2023-12-01",
        name: "[format('s{0}', copyIndex())]",
        copy: { name: "sites", count: 800 },
        properties: loop({ nested: loop("x") }),
      },
    ];
    expect(() => validate({ template: template({ resources }) }, createFakeHost())).toThrow("more than 200000 values");
    const many = [0, 1].map((n) => ({
      type: "Microsoft.Web/sites",
      apiVersion: "2023-12-01",
      name: `[format('s${n}-{0}', copyIndex())]`,
      copy: { name: `l${n}`, count: 500 },
    }));
    expect(() => validate({ template: template({ resources: many }) }, createFakeHost())).toThrow(
      "The number of template resources limit exceeded. Limit: '800'",
    );
  });

  it("answers any JSON as a template with a TemplateError or a result", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 3 }), async (body, params) => {
        await onlyTemplateErrors(() => validate({ template: body, parameters: params }, createFakeHost()));
        await onlyTemplateErrors(() =>
          validate(
            { template: template(typeof body === "object" && body !== null && !Array.isArray(body) ? body : {}) },
            createFakeHost(),
          ),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("answers the workshop's template with any one string changed, as TemplateErrors or results", async () => {
    const paths = stringPaths(WORKSHOP);
    const text = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        "[",
        "]",
        "[[",
        "[concat(]",
        "[parameters('nope')]",
        "[variables('suffix')[9]]",
        "[reference('x')]",
        "[copyIndex()]",
        "[listKeys('a', 'b')]",
        "[int('x')]",
        "Microsoft.Unknown/things",
        "[json('{')]",
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), text, async (path, value) => {
        const mutated = replaced(WORKSHOP, path, value);
        const host = createFakeHost();
        await onlyTemplateErrors(() => validate({ template: mutated, parameters }, host));
        await onlyTemplateErrors(() => whatIf({ template: mutated, parameters }, host));
        await onlyTemplateErrors(async () => {
          const { deployment } = await deploy({ template: mutated, parameters }, host);
          expect(["Succeeded", "Failed"]).toContain(
            (deployment["properties"] as { provisioningState: string }).provisioningState,
          );
        });
      }),
      { numRuns: 150 },
    );
  });
});
