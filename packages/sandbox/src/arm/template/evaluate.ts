/**
 * The ARM expression language, part 3: what an expression is worth.
 * A call runs its function, `.name` reads a property (in any case, as ARM
 * does), `[i]` reads an array's element or an object's property.
 */
import type { EvalContext } from "./context.ts";
import { ExpressionError, unknownFunction, wrongArgumentCount } from "./errors.ts";
import { lookupFunction } from "./functions/index.ts";
import { type Expr, parseExpression } from "./parser.ts";
import { getProperty, isObject, type Json, typeName } from "./values.ts";

export function evaluate(expr: Expr, ctx: EvalContext): Json {
  switch (expr.kind) {
    case "string":
    case "number":
      return expr.value;
    case "call": {
      const fn = lookupFunction(expr.name);
      if (!fn) throw unknownFunction(expr.name);
      if (expr.args.length < fn.min || expr.args.length > fn.max) throw wrongArgumentCount(expr.name, fn.min, fn.max);
      if (fn.lazy) return fn.lazy(expr.args, ctx, (arg) => evaluate(arg, ctx));
      const args = expr.args.map((arg) => evaluate(arg, ctx));
      return fn.call ? fn.call(args, ctx) : null;
    }
    case "property":
      return member(evaluate(expr.target, ctx), expr.name);
    case "index": {
      const target = evaluate(expr.target, ctx);
      const index = evaluate(expr.index, ctx);
      if (Array.isArray(target) && typeof index === "number") {
        if (!Number.isInteger(index) || index < 0 || index >= target.length)
          throw new ExpressionError(`The language expression property array index '${index}' is out of bounds`);
        return target[index] ?? null;
      }
      if (isObject(target) && typeof index === "string") return member(target, index);
      throw new ExpressionError(
        `The language expression property '${typeName(index)}' can't be used as an index of a value of type '${typeName(target)}'`,
      );
    }
  }
}

function member(target: Json, name: string): Json {
  if (!isObject(target))
    throw new ExpressionError(
      `The language expression property '${name}' can't be evaluated on a value of type '${typeName(target)}'`,
    );
  const value = getProperty(target, name);
  if (value === undefined)
    throw new ExpressionError(
      `The language expression property '${name}' doesn't exist, available properties are '${Object.keys(target).join(", ")}'`,
    );
  return value;
}

/** Expressions parsed once: a template's strings are read at validation and again at each evaluation. */
const parsed = new Map<string, Expr>();
export function parseCached(text: string): Expr {
  let expr = parsed.get(text);
  if (expr === undefined) {
    expr = parseExpression(text);
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(text, expr);
  }
  return expr;
}
