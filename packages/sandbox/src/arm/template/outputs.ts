/**
 * Outputs: what a deployment answers once its resources exist. An output may
 * have a `condition` (false: left out) and a `copy` (`count` and `input`: an
 * array). A `securestring` or `secureObject` output is answered by type
 * alone, with no value, as Azure answers it.
 */
import type { EvalContext } from "./context.ts";
import { ExpressionError, sectionError } from "./errors.ts";
import { DISPLAY_TYPE, isSecureType } from "./parameters.ts";
import type { OutputDefinition } from "./template.ts";
import { findKey, type Json, type JsonObject, setProperty, typeName } from "./values.ts";
import { copyCount, evaluateValue, spend, type Tracking, withLoop } from "./walk.ts";

const EXPECTED: Record<string, string> = {
  string: "String",
  int: "Integer",
  bool: "Boolean",
  object: "Object",
  array: "Array",
};

export function member(definition: JsonObject, name: string): Json | undefined {
  const key = findKey(definition, name);
  return key === undefined ? undefined : definition[key];
}

/** An output's value: its `value`, or its `copy` loop's array. */
export function outputValue(output: OutputDefinition, ctx: EvalContext, track?: Tracking): Json {
  const copy = member(output.definition, "copy");
  if (copy === undefined) return evaluateValue(member(output.definition, "value") ?? null, ctx, track);
  if (typeof copy !== "object" || copy === null || Array.isArray(copy))
    throw new ExpressionError("The output 'copy' must be an object with 'count' and 'input'");
  const count = copyCount(evaluateValue(member(copy, "count") ?? null, ctx));
  const input = member(copy, "input") ?? null;
  // An output loop has no name: copyIndex() inside it counts its iterations.
  return Array.from({ length: count }, (_, index) => {
    spend(ctx);
    return evaluateValue(input, withLoop(ctx, "", index, true), track, [index]);
  });
}

export function evaluateOutputs(outputs: readonly OutputDefinition[], ctx: EvalContext): JsonObject {
  const answer: JsonObject = {};
  for (const output of outputs) {
    try {
      const condition = member(output.definition, "condition");
      if (condition !== undefined && evaluateValue(condition, ctx) !== true) continue;
      const value = outputValue(output, ctx);
      if (isSecureType(output.type)) {
        setProperty(answer, output.name, { type: DISPLAY_TYPE[output.type] });
        continue;
      }
      const expected = EXPECTED[output.type];
      if (expected !== undefined && typeName(value) !== expected)
        throw new ExpressionError(
          `Template output JToken type is not valid. Expected '${expected}'. Actual '${typeName(value)}'`,
        );
      setProperty(answer, output.name, { type: DISPLAY_TYPE[output.type], value });
    } catch (error) {
      throw sectionError("output", output.name, error, output.at);
    }
  }
  return answer;
}
