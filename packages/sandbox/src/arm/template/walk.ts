/**
 * A whole JSON value of the template evaluated: every string that is an
 * expression replaced by its value, every property `copy` loop unrolled,
 * and two things noted on the way, by path:
 *
 * - which values came from a secure source (a secure parameter, a `list*()`
 *   answer): what-if and outputs show them masked;
 * - which values cannot be known yet (a `reference()` to a resource what-if
 *   has not deployed): they stay as their expression, and are no change.
 */
import type { EvalContext } from "./context.ts";
import { ExpressionError } from "./errors.ts";
import { evaluate, parseCached } from "./evaluate.ts";
import { classify } from "./parser.ts";
import { findKey, isObject, type Json, type JsonObject, setProperty } from "./values.ts";

export type ValuePath = readonly (string | number)[];

/** Thrown by a runtime that cannot answer yet (what-if, validation): the value is unknown until deployment. */
export class Unresolved {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

export interface Tracking {
  readonly secure: ValuePath[];
  readonly unknown: ValuePath[];
}

export const newTracking = (): Tracking => ({ secure: [], unknown: [] });

/** The most iterations one copy loop may have, as in Azure. */
export const MAX_COPY = 800;

/** The copy-loop iterations validation may evaluate in all: far beyond any real template, far below a hang. */
export const ITERATION_BUDGET = 200_000;

/**
 * What deployment and what-if may spend, once validation has passed: each
 * resource is evaluated again after each value it looks up, so a template
 * that validated may need a few times its validation's work.
 */
export const RUN_BUDGET = ITERATION_BUDGET * 10;

/** Spends one iteration of the deployment's budget. */
export function spend(ctx: EvalContext): void {
  ctx.budget.remaining -= 1;
  if (ctx.budget.remaining < 0)
    throw new ExpressionError(
      `The template's copy loops make more than ${ITERATION_BUDGET} values, which this sandbox refuses`,
    );
}

/** A context inside a named loop: `copyIndex('name')` answers `index` there (and `copyIndex()` too when `isDefault`). */
export function withLoop(ctx: EvalContext, name: string, index: number, isDefault: boolean): EvalContext {
  return {
    ...ctx,
    copyIndex: (loop) =>
      (loop === undefined && isDefault) || (loop !== undefined && loop.toLowerCase() === name.toLowerCase())
        ? index
        : ctx.copyIndex(loop),
  };
}

/** One string: literal text, or an expression's value. */
export function evaluateString(text: string, ctx: EvalContext, track?: Tracking, path: ValuePath = []): Json {
  const kind = classify(text);
  if (kind.kind === "literal") return kind.value;
  let secure = false;
  const local: EvalContext = {
    ...ctx,
    markSecure: () => {
      secure = true;
      ctx.markSecure();
    },
  };
  try {
    const value = evaluate(parseCached(kind.text), local);
    if (secure) track?.secure.push(path);
    return value;
  } catch (error) {
    if (error instanceof Unresolved && track) {
      track.unknown.push(path);
      return text;
    }
    throw error;
  }
}

/** A copy loop's count: an integer from 0 to 800. */
export function copyCount(value: Json): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_COPY)
    throw new ExpressionError(`The copy count must be an integer from 0 to ${MAX_COPY}`);
  return value;
}

/** `"copy": [{"name", "count", "input"}]` inside an object: property iteration. */
const isPropertyCopy = (value: Json | undefined): value is JsonObject[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((spec) => isObject(spec) && findKey(spec, "name") !== undefined && findKey(spec, "input") !== undefined);

export function evaluateValue(value: Json, ctx: EvalContext, track?: Tracking, path: ValuePath = []): Json {
  if (typeof value === "string") return evaluateString(value, ctx, track, path);
  if (Array.isArray(value)) return value.map((item, index) => evaluateValue(item, ctx, track, [...path, index]));
  if (!isObject(value)) return value;
  const result: JsonObject = {};
  for (const [rawKey, item] of Object.entries(value)) {
    if (rawKey.toLowerCase() === "copy" && isPropertyCopy(item)) {
      for (const spec of item) unrollProperty(spec, ctx, track, path, result);
      continue;
    }
    // A property's name may itself be an expression.
    const kind = classify(rawKey);
    const name = kind.kind === "literal" ? kind.value : evaluateString(rawKey, ctx);
    if (typeof name !== "string") throw new ExpressionError(`The property name '${rawKey}' must evaluate to a string`);
    setProperty(result, name, evaluateValue(item, ctx, track, [...path, name]));
  }
  return result;
}

function unrollProperty(
  spec: JsonObject,
  ctx: EvalContext,
  track: Tracking | undefined,
  path: ValuePath,
  into: JsonObject,
) {
  const name = spec[findKey(spec, "name") ?? ""];
  if (typeof name !== "string" || name === "") throw new ExpressionError("The property copy loop must have a name");
  const countKey = findKey(spec, "count");
  const count = copyCount(countKey === undefined ? null : evaluateValue(spec[countKey] ?? null, ctx));
  const input = spec[findKey(spec, "input") ?? ""] ?? null;
  const items: Json[] = [];
  for (let index = 0; index < count; index++) {
    spend(ctx);
    items.push(evaluateValue(input, withLoop(ctx, name, index, false), track, [...path, name, index]));
  }
  setProperty(into, name, items);
}
