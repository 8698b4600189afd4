// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are GitHub expressions (${{ }}), not template literals
/** GitHub's expression language, as its documentation defines it: the cases a workflow file meets. */
import { describe, expect, it } from "vitest";
import { condition, evaluate, ExpressionError, interpolate, type Scope } from "../src/expressions.ts";

const scope: Scope = {
  contexts: {
    github: { ref: "refs/heads/main", event_name: "push", run_id: "17", event: { commits: [{ id: "a" }] } },
    vars: { AZURE_CLIENT_ID: "abc", EMPTY: "" },
    steps: { infra: { outputs: { url: "https://app.example" } } },
    env: { NUMBER: "3" },
  },
};

describe("expressions", () => {
  it.each([
    ["github.ref == 'refs/heads/main'", true],
    ["github.ref == 'REFS/HEADS/MAIN'", true],
    ["vars.azure_client_id", "abc"],
    ["vars.MISSING", null],
    ["vars.EMPTY || 'fallback'", "fallback"],
    ["vars.AZURE_CLIENT_ID && 'set'", "set"],
    ["vars.AZURE_CLIENT_ID != '' && vars.EMPTY == ''", true],
    ["!vars.EMPTY", true],
    ["steps.infra.outputs['url']", "https://app.example"],
    ["github.event.commits[0].id", "a"],
    ["env.NUMBER == 3", true],
    ["env.NUMBER < 10", true],
    ["1 == true", true],
    ["null == 0", true],
    ["'' == 0", true],
    ["contains('Hello world', 'WORLD')", true],
    ["startsWith(github.ref, 'refs/heads/')", true],
    ["endsWith(github.ref, '/main')", true],
    ["format('{0}-{1} {{x}}', 'a', 2)", "a-2 {x}"],
    ["join(fromJSON('[\"a\",\"b\"]'), '+')", "a+b"],
    ["fromJSON('{\"a\": 1}').a", 1],
    ["toJSON(1)", "1"],
    ["(1 < 2) && !(2 < 1)", true],
  ])("%s is %j", (expression, value) => {
    expect(evaluate(expression, scope)).toEqual(value);
  });

  it("replaces every ${{ }} in a text, null as '' and '}}' inside strings kept", () => {
    expect(interpolate("id=${{ vars.AZURE_CLIENT_ID }} none=${{ vars.MISSING }}.", scope)).toBe("id=abc none=.");
    expect(interpolate("${{ format('{0}}}', 'x') }}", scope)).toBe("x}");
  });

  it("reads if: with or without ${{ }}, success() && … implied unless a status function is named", () => {
    expect(condition("vars.AZURE_CLIENT_ID != ''", scope)).toBe(true);
    expect(condition("${{ vars.EMPTY != '' }}", scope)).toBe(false);
    expect(condition("vars.AZURE_CLIENT_ID != ''", { ...scope, status: "failure" })).toBe(false);
    expect(condition("always()", { ...scope, status: "failure" })).toBe(true);
    expect(condition("failure()", { ...scope, status: "failure" })).toBe(true);
    expect(condition(undefined, { ...scope, status: "failure" })).toBe(false);
    // A text with an expression inside it is a non-empty string: true, as on GitHub.
    expect(condition("${{ false }} && true", scope)).toBe(true);
  });

  it("tells which property was read and not set, and refuses what it cannot read, by name", () => {
    const missing: string[] = [];
    evaluate("vars.AZURE_TENANT_ID", { ...scope, onMissing: (path) => missing.push(path) });
    expect(missing).toEqual(["vars.AZURE_TENANT_ID"]);
    expect(() => evaluate("secretz.X", scope)).toThrow(new ExpressionError("Unrecognized named-value: 'secretz'."));
    expect(() => evaluate("hashFiles('**/package-lock.json')", scope)).toThrow(/hashFiles\(\) is not played/);
    expect(() => evaluate("github.*.x", scope)).toThrow(/Object filters/);
    expect(() => evaluate("'unterminated", scope)).toThrow(/Unterminated string/);
  });
});
