/** ARM's comparison, logical, numeric and conversion functions. */
import { ExpressionError, wrongArgumentType } from "../errors.ts";
import { deepEquals, type Json, typeName } from "../values.ts";
import { ANY, asBoolean, asInteger, asString, type TemplateFunction } from "./types.ts";

/** `greater`, `less`, …: two integers, or two strings compared by their characters' codes. */
function compare(fn: string, a: Json, b: Json): number {
  if (typeof a === "number" && typeof b === "number") return asInteger(fn, a) - asInteger(fn, b);
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw wrongArgumentType(fn, "Integer, String", `${typeName(a)}, ${typeName(b)}`);
}

const arithmetic = (fn: string, operate: (a: number, b: number) => number): TemplateFunction => ({
  min: 2,
  max: 2,
  call: ([a, b]) => {
    const result = operate(asInteger(fn, a ?? null), asInteger(fn, b ?? null));
    if (!Number.isSafeInteger(result))
      throw new ExpressionError(`Unable to evaluate template language function '${fn}': the result is out of range`);
    return result;
  },
});

const nonZero = (fn: string, divisor: number) => {
  if (divisor === 0)
    throw new ExpressionError(`Unable to evaluate template language function '${fn}': division by zero`);
  return divisor;
};

export const logicFunctions: Record<string, TemplateFunction> = {
  equals: { min: 2, max: 2, call: ([a, b]) => deepEquals(a ?? null, b ?? null) },
  not: { min: 1, max: 1, call: ([value]) => !asBoolean("not", value ?? null) },
  and: { min: 2, max: ANY, call: (args) => args.map((value) => asBoolean("and", value)).every(Boolean) },
  or: { min: 2, max: ANY, call: (args) => args.map((value) => asBoolean("or", value)).some(Boolean) },
  // Only the branch taken is evaluated, so `if(empty(x), 'none', x[0])` is safe.
  if: {
    min: 3,
    max: 3,
    lazy: ([test, whenTrue, whenFalse], _ctx, evaluate) => {
      const condition = asBoolean("if", test ? evaluate(test) : null);
      const branch = condition ? whenTrue : whenFalse;
      return branch ? evaluate(branch) : null;
    },
  },
  true: { min: 0, max: 0, call: () => true },
  false: { min: 0, max: 0, call: () => false },
  null: { min: 0, max: 0, call: () => null },
  greater: { min: 2, max: 2, call: ([a, b]) => compare("greater", a ?? null, b ?? null) > 0 },
  greaterorequals: { min: 2, max: 2, call: ([a, b]) => compare("greaterOrEquals", a ?? null, b ?? null) >= 0 },
  less: { min: 2, max: 2, call: ([a, b]) => compare("less", a ?? null, b ?? null) < 0 },
  lessorequals: { min: 2, max: 2, call: ([a, b]) => compare("lessOrEquals", a ?? null, b ?? null) <= 0 },
  add: arithmetic("add", (a, b) => a + b),
  sub: arithmetic("sub", (a, b) => a - b),
  mul: arithmetic("mul", (a, b) => a * b),
  div: arithmetic("div", (a, b) => Math.trunc(a / nonZero("div", b))),
  mod: arithmetic("mod", (a, b) => a % nonZero("mod", b)),
  int: {
    min: 1,
    max: 1,
    call: ([value]) => {
      if (typeof value === "number") return Math.trunc(value);
      const text = asString("int", value ?? null).trim();
      if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
        throw new ExpressionError(
          "Unable to evaluate template language function 'int': the value cannot be converted to an integer",
        );
      return Number(text);
    },
  },
  bool: {
    min: 1,
    max: 1,
    call: ([value]) => {
      if (typeof value === "boolean") return value;
      if (typeof value === "number") return value !== 0;
      const text = asString("bool", value ?? null)
        .trim()
        .toLowerCase();
      if (text !== "true" && text !== "false")
        throw new ExpressionError(
          "Unable to evaluate template language function 'bool': the value cannot be converted to a boolean",
        );
      return text === "true";
    },
  },
  json: {
    min: 1,
    max: 1,
    call: ([value]) => {
      try {
        return JSON.parse(asString("json", value ?? null)) as Json;
      } catch (error) {
        if (error instanceof ExpressionError) throw error;
        throw new ExpressionError("Unable to evaluate template language function 'json': the value is not valid JSON");
      }
    },
  },
};
