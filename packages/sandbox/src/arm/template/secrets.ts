/**
 * Secure values never leave the engine. Two nets catch them:
 *
 * 1. Tracking: a value computed from a secure parameter or a `list*()`
 *    answer is marked (see walk.ts) and shown masked in what-if and outputs.
 * 2. Scrubbing: every secret string the engine has seen is replaced by the
 *    mask in anything it returns or throws, in case a value reached it some
 *    other way (a host's error message quoting it, a string built from it).
 *    Strings shorter than four characters are not scrubbed: replacing every
 *    "a" of an answer would wreck it and protect nothing.
 */
import { TemplateError } from "./errors.ts";
import { isObject, type Json, type JsonObject, setProperty } from "./values.ts";
import type { ValuePath } from "./walk.ts";

/** What a secure value is shown as. */
export const SECURE_MASK = "(secure value)";
const MIN_SCRUBBED = 4;

export class Secrets {
  readonly #values = new Set<string>();

  /** Remembers every string inside a value (and the value's JSON, for an object given as a whole). */
  add(value: Json): void {
    if (typeof value === "string") {
      if (value.length >= MIN_SCRUBBED) this.#values.add(value);
    } else if (Array.isArray(value)) for (const item of value) this.add(item);
    else if (isObject(value)) {
      for (const item of Object.values(value)) this.add(item);
      this.#values.add(JSON.stringify(value));
    } else if (typeof value === "number") {
      if (String(value).length >= MIN_SCRUBBED) this.#values.add(String(value));
    }
  }

  scrubText(text: string): string {
    let result = text;
    // Longest first, so that a secret containing another is replaced whole.
    for (const secret of [...this.#values].sort((a, b) => b.length - a.length))
      result = result.replaceAll(secret, SECURE_MASK);
    return result;
  }

  /** A deep copy of a value with every secret masked, in strings and in property names. */
  scrub<T extends Json>(value: T): T {
    if (this.#values.size === 0) return value;
    const walk = (item: Json): Json => {
      if (typeof item === "string") return this.scrubText(item);
      if (Array.isArray(item)) return item.map(walk);
      if (!isObject(item)) return item;
      const result: JsonObject = {};
      for (const [key, child] of Object.entries(item)) setProperty(result, this.scrubText(key), walk(child));
      return result;
    };
    return walk(value) as T;
  }

  /** An error with secrets scrubbed from its message. */
  scrubError(error: unknown): unknown {
    if (error instanceof TemplateError) {
      const message = this.scrubText(error.message);
      return message === error.message ? error : new TemplateError(error.code, message, error.position);
    }
    return error;
  }
}

/** Replaces the values at the paths given by the mask (a path into an array or object that is not there is left alone). */
export function maskPaths(value: Json, paths: readonly ValuePath[]): Json {
  let result = value;
  for (const path of paths) {
    if (path.length === 0) {
      result = SECURE_MASK;
      continue;
    }
    let node: Json = result;
    for (const segment of path.slice(0, -1)) {
      node =
        Array.isArray(node) && typeof segment === "number"
          ? (node[segment] ?? null)
          : isObject(node)
            ? (node[String(segment)] ?? null)
            : null;
    }
    const last = path.at(-1);
    if (Array.isArray(node) && typeof last === "number" && last < node.length) node[last] = SECURE_MASK;
    else if (isObject(node) && last !== undefined && Object.hasOwn(node, String(last)))
      setProperty(node, String(last), SECURE_MASK);
  }
  return result;
}
