/**
 * Variables, evaluated when first read and kept: a variable may read
 * parameters and other variables (never `reference()`: ARM evaluates
 * variables before any resource exists). `"copy": [{"name", "count",
 * "input"}]` among the variables makes array variables, one item per index.
 */
import type { EvalContext } from "./context.ts";
import { ExpressionError, invalidTemplate, sectionError } from "./errors.ts";
import type { Template } from "./template.ts";
import { isObject, type Json, type JsonObject } from "./values.ts";
import { copyCount, evaluateValue, spend, withLoop } from "./walk.ts";

interface Computed {
  readonly value: Json;
  readonly secure: boolean;
}

export class VariableTable {
  readonly #definitions = new Map<
    string,
    { name: string; compute: (ctx: EvalContext) => Json; path: (string | number)[] }
  >();
  readonly #computed = new Map<string, Computed>();
  readonly #computing = new Set<string>();
  readonly #template: Template;

  constructor(template: Template) {
    this.#template = template;
    const sectionKey =
      Object.keys(template.document.value as JsonObject).find((key) => key.toLowerCase() === "variables") ??
      "variables";
    for (const [name, value] of Object.entries(template.variables)) {
      if (name.toLowerCase() === "copy" && Array.isArray(value)) {
        for (const [index, spec] of value.entries()) this.#addCopy(spec, [sectionKey, name, index]);
        continue;
      }
      this.#definitions.set(name.toLowerCase(), {
        name,
        compute: (ctx) => evaluateValue(value, ctx),
        path: [sectionKey, name],
      });
    }
  }

  /** `"copy": [{"name": "disks", "count": 3, "input": {...}}]`: the variable `disks`, an array of three inputs. */
  #addCopy(spec: Json, path: (string | number)[]) {
    const at = this.#template.document.locate(path);
    if (
      !isObject(spec) ||
      typeof spec["name"] !== "string" ||
      spec["count"] === undefined ||
      spec["input"] === undefined
    )
      throw invalidTemplate("The variable copy loop must have 'name', 'count' and 'input'", at);
    const name = spec["name"];
    const input = spec["input"];
    const count = spec["count"];
    this.#definitions.set(name.toLowerCase(), {
      name,
      path,
      compute: (ctx) => {
        const items: Json[] = [];
        const total = copyCount(evaluateValue(count, ctx));
        for (let index = 0; index < total; index++) {
          spend(ctx);
          items.push(evaluateValue(input, withLoop(ctx, name, index, false)));
        }
        return items;
      },
    });
  }

  /** Every variable's name, so that validation evaluates them all, read or not, as Azure does. */
  names(): string[] {
    return [...this.#definitions.values()].map((definition) => definition.name);
  }

  /** A variable's value; `ctx` is the context of the expression reading it (its `markSecure` is told of secure values). */
  read(name: string, ctx: EvalContext): Json {
    const key = name.toLowerCase();
    const definition = this.#definitions.get(key);
    if (!definition)
      throw new ExpressionError(
        `The template variable '${name}' is not found. Please see https://aka.ms/arm-syntax-variables for usage details`,
      );
    let computed = this.#computed.get(key);
    if (!computed) {
      const at = this.#template.document.locate(definition.path);
      if (this.#computing.has(key))
        throw invalidTemplate(
          `The template variable '${definition.name}' at line '${at.line}' and column '${at.column}' depends on itself`,
          at,
        );
      this.#computing.add(key);
      let secure = false;
      try {
        const value = definition.compute({
          ...ctx,
          runtime: undefined,
          copyIndex: () => {
            throw new ExpressionError("The template function 'copyIndex' is not expected at this location");
          },
          markSecure: () => {
            secure = true;
          },
        });
        computed = { value, secure };
      } catch (error) {
        throw sectionError("variable", definition.name, error, at);
      } finally {
        this.#computing.delete(key);
      }
      this.#computed.set(key, computed);
    }
    if (computed.secure) ctx.markSecure();
    return computed.value;
  }
}
