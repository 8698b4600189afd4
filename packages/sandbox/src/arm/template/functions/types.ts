/** The shape of a template function, and the argument checks every function shares. */
import type { EvalContext } from "../context.ts";
import { wrongArgumentType } from "../errors.ts";
import type { Expr } from "../parser.ts";
import { isObject, type Json, type JsonObject, typeName } from "../values.ts";

export interface TemplateFunction {
  readonly min: number;
  readonly max: number;
  /** Arguments evaluated first, then this. */
  readonly call?: (args: Json[], ctx: EvalContext) => Json;
  /** Arguments evaluated by the function itself (`if` evaluates only the branch it takes). */
  readonly lazy?: (args: readonly Expr[], ctx: EvalContext, evaluate: (expr: Expr) => Json) => Json;
}

export const ANY = Number.POSITIVE_INFINITY;

export function asString(fn: string, value: Json): string {
  if (typeof value !== "string") throw wrongArgumentType(fn, "String", typeName(value));
  return value;
}

export function asInteger(fn: string, value: Json): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw wrongArgumentType(fn, "Integer", typeName(value));
  return value;
}

export function asBoolean(fn: string, value: Json): boolean {
  if (typeof value !== "boolean") throw wrongArgumentType(fn, "Boolean", typeName(value));
  return value;
}

export function asArray(fn: string, value: Json): Json[] {
  if (!Array.isArray(value)) throw wrongArgumentType(fn, "Array", typeName(value));
  return value;
}

export function asObject(fn: string, value: Json): JsonObject {
  if (!isObject(value)) throw wrongArgumentType(fn, "Object", typeName(value));
  return value;
}

/** A string or an array, for the functions that take either (`take`, `skip`, `first`, …). */
export function asSequence(fn: string, value: Json): string | Json[] {
  if (typeof value === "string" || Array.isArray(value)) return value;
  throw wrongArgumentType(fn, "String, Array", typeName(value));
}
