import { describe, expect, it } from "vitest";
import { ExpressionError } from "../../src/arm/template/errors.ts";
import { classify, parseExpression } from "../../src/arm/template/parser.ts";
import { printExpression } from "../../src/arm/template/print.ts";
import { evalExpression } from "./helpers.ts";

describe("the expression language", () => {
  it("tells expressions from literal text, with [[ as the escape", () => {
    expect(classify("[concat('a', 'b')]")).toEqual({ kind: "expression", text: "concat('a', 'b')" });
    expect(classify("[[not an expression]")).toEqual({ kind: "literal", value: "[not an expression]" });
    expect(classify("plain")).toEqual({ kind: "literal", value: "plain" });
    expect(classify("[starts only")).toEqual({ kind: "literal", value: "[starts only" });
  });

  it("parses calls, member access, indexers and string literals with '' for a quote", () => {
    const expr = parseExpression("reference(resourceId('Microsoft.Web/sites', 'it''s')).siteConfig['appSettings'][0]");
    expect(printExpression(expr)).toBe(
      "reference(resourceId('Microsoft.Web/sites', 'it''s')).siteConfig['appSettings'][0]",
    );
    expect(evalExpression("concat('it''s', ' ', 'ok')")).toBe("it's ok");
  });

  it("reads properties in any case, as ARM does", () => {
    expect(evalExpression('json(\'{"PrincipalId": "p"}\').principalId')).toBe("p");
    expect(evalExpression("createObject('a', createArray(1, 2))['A'][1]")).toBe(2);
  });

  it("answers a syntax error in Azure's words", () => {
    expect(() => parseExpression("concat('a'")).toThrow(
      "Unable to parse language expression 'concat('a'': expected token 'RightParenthesis' and actual 'EndOfData'",
    );
    expect(() => parseExpression("concat('a)")).toThrow(ExpressionError);
    expect(() => parseExpression("a.b")).toThrow("expected token 'LeftParenthesis'");
  });

  it("names a property that is not there and the ones that are", () => {
    expect(() => evalExpression("createObject('a', 1).b")).toThrow(
      "The language expression property 'b' doesn't exist, available properties are 'a'",
    );
    expect(() => evalExpression("createArray(1)[2]")).toThrow("array index '2' is out of bounds");
  });

  it("refuses a function it does not know, by name", () => {
    expect(() => evalExpression("frobnicate(1)")).toThrow("The template function 'frobnicate' is not valid");
  });

  it("checks the number of arguments", () => {
    expect(() => evalExpression("toLower('a', 'b')")).toThrow("function requires 1 argument(s)");
  });

  it("evaluates only the branch if() takes", () => {
    expect(evalExpression("if(true(), 'yes', createArray()[5])")).toBe("yes");
  });

  it("refuses nesting deeper than it can afford, with an expression error", () => {
    const deep = `${"concat(".repeat(200)}'x'${")".repeat(200)}`;
    expect(() => parseExpression(deep)).toThrow(ExpressionError);
  });
});
