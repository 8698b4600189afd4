/** ARM's functions over arrays, objects, and strings seen as sequences. */
import { ExpressionError, wrongArgumentType } from "../errors.ts";
import { deepEquals, findKey, isObject, type Json, type JsonObject, setProperty, typeName } from "../values.ts";
import { concatStrings } from "./strings.ts";
import { ANY, asArray, asInteger, asObject, asSequence, asString, type TemplateFunction } from "./types.ts";

/** `union()` of objects merges nested objects too (later arguments win); arrays are not merged. */
function mergeObjects(target: JsonObject, source: JsonObject): JsonObject {
  const result: JsonObject = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const existing = findKey(result, key);
    const before = existing === undefined ? undefined : result[existing];
    if (existing !== undefined && existing !== key) delete result[existing];
    setProperty(result, existing ?? key, isObject(before) && isObject(value) ? mergeObjects(before, value) : value);
  }
  return result;
}

const distinct = (items: Json[]) =>
  items.filter((item, index) => items.findIndex((other) => deepEquals(other, item)) === index);

function allOf<T>(fn: string, args: Json[], check: (value: Json) => value is T & Json, expected: string): T[] {
  for (const value of args) if (!check(value)) throw wrongArgumentType(fn, expected, typeName(value));
  return args as T[];
}

const isArray = (value: Json): value is Json[] => Array.isArray(value);

export const collectionFunctions: Record<string, TemplateFunction> = {
  concat: {
    min: 1,
    max: ANY,
    call: (args) => (Array.isArray(args[0]) ? allOf("concat", args, isArray, "Array").flat(1) : concatStrings(args)),
  },
  length: {
    min: 1,
    max: 1,
    call: ([value]) => {
      if (typeof value === "string" || Array.isArray(value)) return value.length;
      if (isObject(value)) return Object.keys(value).length;
      throw wrongArgumentType("length", "String, Array, Object", typeName(value ?? null));
    },
  },
  empty: {
    min: 1,
    max: 1,
    call: ([value]) => {
      if (value === null || value === undefined) return true;
      if (typeof value === "string" || Array.isArray(value)) return value.length === 0;
      if (isObject(value)) return Object.keys(value).length === 0;
      throw wrongArgumentType("empty", "String, Array, Object", typeName(value));
    },
  },
  contains: {
    min: 2,
    max: 2,
    call: ([container, item]) => {
      if (typeof container === "string") return container.includes(concatStrings([item ?? null]));
      if (Array.isArray(container)) return container.some((element) => deepEquals(element, item ?? null));
      if (isObject(container)) return findKey(container, asString("contains", item ?? null)) !== undefined;
      throw wrongArgumentType("contains", "String, Array, Object", typeName(container ?? null));
    },
  },
  union: {
    min: 1,
    max: ANY,
    call: (args) =>
      Array.isArray(args[0])
        ? distinct(allOf("union", args, isArray, "Array").flat(1))
        : allOf("union", args, isObject, "Object").reduce<JsonObject>(mergeObjects, {}),
  },
  intersection: {
    min: 1,
    max: ANY,
    call: (args) => {
      if (Array.isArray(args[0])) {
        const [first, ...rest] = allOf("intersection", args, isArray, "Array");
        return distinct((first ?? []).filter((item) => rest.every((other) => other.some((x) => deepEquals(x, item)))));
      }
      const [first, ...rest] = allOf("intersection", args, isObject, "Object");
      const result: JsonObject = {};
      for (const [key, value] of Object.entries(first ?? {}))
        if (rest.every((other) => deepEquals(other[findKey(other, key) ?? ""], value))) setProperty(result, key, value);
      return result;
    },
  },
  createarray: { min: 0, max: ANY, call: (args) => args },
  array: { min: 1, max: 1, call: ([value]) => (Array.isArray(value) ? value : [value ?? null]) },
  createobject: {
    min: 0,
    max: ANY,
    call: (args) => {
      if (args.length % 2 !== 0)
        throw new ExpressionError(
          "Unable to evaluate template language function 'createObject': it takes pairs of names and values",
        );
      const result: JsonObject = {};
      for (let index = 0; index < args.length; index += 2)
        setProperty(result, asString("createObject", args[index] ?? null), args[index + 1] ?? null);
      return result;
    },
  },
  coalesce: { min: 1, max: ANY, call: (args) => args.find((value) => value !== null) ?? null },
  take: {
    min: 2,
    max: 2,
    call: ([value, count]) => asSequence("take", value ?? null).slice(0, Math.max(0, asInteger("take", count ?? null))),
  },
  skip: {
    min: 2,
    max: 2,
    call: ([value, count]) => asSequence("skip", value ?? null).slice(Math.max(0, asInteger("skip", count ?? null))),
  },
  first: {
    min: 1,
    max: 1,
    call: ([value]) => {
      const sequence = asSequence("first", value ?? null);
      return typeof sequence === "string" ? sequence.slice(0, 1) : (sequence[0] ?? null);
    },
  },
  last: {
    min: 1,
    max: 1,
    call: ([value]) => {
      const sequence = asSequence("last", value ?? null);
      return typeof sequence === "string" ? sequence.slice(-1) : (sequence.at(-1) ?? null);
    },
  },
  indexof: { min: 2, max: 2, call: ([value, item]) => indexOf("indexOf", value ?? null, item ?? null, false) },
  lastindexof: { min: 2, max: 2, call: ([value, item]) => indexOf("lastIndexOf", value ?? null, item ?? null, true) },
  range: {
    min: 2,
    max: 2,
    call: ([start, count]) => {
      const from = asInteger("range", start ?? null);
      const size = asInteger("range", count ?? null);
      if (size < 0 || size > 10000)
        throw new ExpressionError(
          "Unable to evaluate template language function 'range': the count must be between 0 and 10000",
        );
      return Array.from({ length: size }, (_, index) => from + index);
    },
  },
  min: { min: 1, max: ANY, call: (args) => extreme("min", args, (a, b) => a < b) },
  max: { min: 1, max: ANY, call: (args) => extreme("max", args, (a, b) => a > b) },
  items: {
    min: 1,
    max: 1,
    call: ([value]) =>
      Object.entries(asObject("items", value ?? null))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, item]) => ({ key, value: item })),
  },
};

/** `indexOf` on a string ignores case (Azure's documentation says so); on an array it compares whole values. */
function indexOf(fn: string, value: Json, item: Json, fromEnd: boolean): number {
  if (typeof value === "string") {
    const text = value.toLowerCase();
    const needle = asString(fn, item).toLowerCase();
    return fromEnd ? text.lastIndexOf(needle) : text.indexOf(needle);
  }
  const array = asArray(fn, value);
  const matches = array.map((element, index) => (deepEquals(element, item) ? index : -1)).filter((index) => index >= 0);
  return (fromEnd ? matches.at(-1) : matches[0]) ?? -1;
}

function extreme(fn: string, args: Json[], better: (a: number, b: number) => boolean): number {
  const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (values.length === 0)
    throw new ExpressionError(`Unable to evaluate template language function '${fn}': the array is empty`);
  return values.map((value) => asInteger(fn, value)).reduce((a, b) => (better(b, a) ? b : a));
}
