/**
 * Request bodies as Resource Manager reads them: JSON, with comments and
 * unquoted property names (what the Azure CLI sends a template inline with),
 * a member's text kept with its position in the body, and nothing a body can
 * do to the reader (no prototype set, no depth that exhausts the stack).
 */
import { describe, expect, it } from "vitest";
import { readRequestBody } from "../src/arm/requestBody.ts";

/** What `az deployment group create --template-file main.json` sends: the file spliced in as it is. */
const azBody = (template: string) =>
  `${JSON.stringify({ properties: { parameters: { name: { value: "x" } }, mode: "Incremental" } }).slice(0, -2)}, template:${template}}}`;

describe("readRequestBody", () => {
  it("reads the Azure CLI's body: the template's members, comments and all, and its text with the file's lines", () => {
    const file = '{\n  // a comment\n  "$schema": "s",\n  "resources": [\n    {"name": "a"}\n  ]\n}';
    const body = readRequestBody(azBody(file));
    expect(body?.value).toEqual({
      properties: {
        parameters: { name: { value: "x" } },
        mode: "Incremental",
        template: { $schema: "s", resources: [{ name: "a" }] },
      },
    });
    const text = body?.textOf(["properties", "template"]) ?? "";
    // Blanks where the body's start was, then the file: line 5 of the text is line 5 of the file.
    expect(text.trimStart()).toBe(file);
    expect(text.split("\n")[4]).toBe('    {"name": "a"}');
    // The column on the first line is the body's, as sent (the name's quotes added when reading are not counted).
    expect(text.indexOf("{")).toBe(azBody(file).indexOf("template:") + "template:".length);
  });

  it("reads plain JSON, an empty body, and refuses what is not JSON", () => {
    expect(readRequestBody('{"a": [1, true, null]}')?.value).toEqual({ a: [1, true, null] });
    expect(readRequestBody("")?.value).toBeUndefined();
    expect(readRequestBody("  \n")?.value).toBeUndefined();
    for (const text of ["{", "{not json", '{"a": 1,}', "[1] [2]", "{a b: 1}"])
      expect(readRequestBody(text), text).toBeUndefined();
  });

  it("keeps __proto__ a member, never a prototype; refuses JSON nested deeper than Json.NET reads", () => {
    const body = readRequestBody('{properties: {"__proto__": {"polluted": true}}}');
    const properties = (body?.value as { properties: object } | undefined)?.properties ?? {};
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
    expect(Object.keys(properties)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(readRequestBody(`${"[".repeat(200)}${"]".repeat(200)}`)).toBeUndefined();
    expect(readRequestBody(`${"[".repeat(100_000)}`)).toBeUndefined();
  });
});
