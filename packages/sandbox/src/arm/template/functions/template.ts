/**
 * The functions that read the template itself and the deployed world:
 * `parameters()`, `variables()`, `copyIndex()`, `reference()`, `list*()`,
 * and the deterministic names `uniqueString()` and `guid()`.
 */
import { notExpectedHere } from "../errors.ts";
import type { Json } from "../values.ts";
import { guid, uniqueString } from "./hashes.ts";
import { ANY, asInteger, asString, type TemplateFunction } from "./types.ts";

export const templateFunctions: Record<string, TemplateFunction> = {
  parameters: { min: 1, max: 1, call: ([name], ctx) => ctx.parameter(asString("parameters", name ?? null), ctx) },
  variables: { min: 1, max: 1, call: ([name], ctx) => ctx.variable(asString("variables", name ?? null), ctx) },
  // copyIndex(), copyIndex(offset), copyIndex('loop'), copyIndex('loop', offset)
  copyindex: {
    min: 0,
    max: 2,
    call: ([first, second], ctx) => {
      const loop = typeof first === "string" ? first : undefined;
      const offset = typeof first === "string" ? second : first;
      return ctx.copyIndex(loop) + (offset === undefined ? 0 : asInteger("copyIndex", offset));
    },
  },
  reference: {
    min: 1,
    max: 3,
    call: ([target, apiVersion, full], ctx) => {
      if (!ctx.runtime) throw notExpectedHere("reference");
      return ctx.runtime.reference(
        asString("reference", target ?? null),
        apiVersion === undefined ? undefined : asString("reference", apiVersion),
        typeof full === "string" && full.toLowerCase() === "full",
      );
    },
  },
  uniquestring: { min: 1, max: ANY, call: (args) => uniqueString(args.map((arg) => asString("uniqueString", arg))) },
  guid: { min: 1, max: ANY, call: (args) => guid(args.map((arg) => asString("guid", arg))) },
};

/** `listKeys(id, apiVersion)`, `listSecrets(…)`, any `list*`: a POST action the host answers; its answer is secret. */
export const listFunction = (name: string): TemplateFunction => ({
  min: 2,
  max: 3,
  call: ([target, apiVersion, body], ctx) => {
    if (!ctx.runtime) throw notExpectedHere(name);
    const answer: Json = ctx.runtime.invoke(
      asString(name, target ?? null),
      name,
      asString(name, apiVersion ?? null),
      body,
    );
    ctx.markSecure();
    return answer;
  },
});
