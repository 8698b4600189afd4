/** Property-based tests of the expression parser: it never fails but with an expression error, and printing round-trips. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExpressionError, TemplateError } from "../../src/arm/template/errors.ts";
import { supportedFunctionNames } from "../../src/arm/template/functions/index.ts";
import { type Expr, parseExpression } from "../../src/arm/template/parser.ts";
import { printExpression } from "../../src/arm/template/print.ts";
import { evalExpression } from "./helpers.ts";

const identifier = fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,8}$/);
/** Mostly functions the engine knows, so that evaluation runs them with arguments of every kind. */
const functionName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...supportedFunctionNames().filter((name) => name !== "list*"), "listKeys") },
  { weight: 1, arbitrary: identifier },
);

const expression: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ kind: fc.constant("string" as const), value: fc.string({ maxLength: 12 }) }),
    fc.record({ kind: fc.constant("number" as const), value: fc.integer({ min: -1_000_000, max: 1_000_000 }) }),
    fc.record({
      kind: fc.constant("call" as const),
      name: functionName,
      args: fc.array(tie("expr"), { maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant("property" as const), target: tie("expr"), name: identifier }),
    fc.record({ kind: fc.constant("index" as const), target: tie("expr"), index: tie("expr") }),
  ),
})).expr;

/** Characters expressions are made of, so that random text is often nearly valid. */
const nearlyExpression = fc
  .array(
    fc.constantFrom("concat", "(", ")", "[", "]", ".", ",", "'", "''", "a", "1", "-", " ", "x.y", "é", "\n", "\u0000"),
    {
      maxLength: 30,
    },
  )
  .map((parts) => parts.join(""));

describe("the expression parser, for any input", () => {
  it("fails only with an expression error", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), nearlyExpression), (text) => {
        try {
          parseExpression(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ExpressionError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("reads back what it prints", () => {
    fc.assert(
      fc.property(expression, (expr) => {
        expect(parseExpression(printExpression(expr))).toEqual(expr);
      }),
      { numRuns: 1000 },
    );
  });

  it("evaluates any expression to a value or an Azure-shaped error", () => {
    fc.assert(
      fc.property(expression, (expr) => {
        try {
          evalExpression(printExpression(expr));
        } catch (error) {
          // The helper's own parameters()/variables() throw plain errors for names it was not given.
          const plain = error instanceof Error && /^no (parameter|variable) /.test(error.message);
          expect(error instanceof ExpressionError || error instanceof TemplateError || plain).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
