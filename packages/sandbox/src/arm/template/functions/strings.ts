/** ARM's string functions. Comparisons follow Azure's documentation: `startsWith`, `endsWith` and `indexOf` ignore case. */
import { ExpressionError } from "../errors.ts";
import { type Json, toArmString, typeName } from "../values.ts";
import { ANY, asArray, asInteger, asString, type TemplateFunction } from "./types.ts";

/** The widest padding `format()` and `padLeft()` make: enough for any name, too little to exhaust memory. */
const MAX_PAD = 10_000;

/** .NET's composite format, as ARM's `format()` uses it: `{0}`, `{1,-5}`, `{0:D3}`, `{{` for a brace. */
function composite(template: string, args: Json[]): string {
  return template.replace(/\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}|[{}]/g, (match, index, width, spec) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    if (index === undefined)
      throw new ExpressionError(
        "Unable to evaluate template language function 'format': the format string is not valid",
      );
    const value = args[Number(index)];
    if (value === undefined)
      throw new ExpressionError(
        `Unable to evaluate template language function 'format': the format index '${index}' has no argument`,
      );
    let text = toArmString(value);
    if (spec) text = formatNumber(value, spec);
    const pad = width === undefined ? 0 : Number(width);
    if (Math.abs(pad) > MAX_PAD)
      throw new ExpressionError("Unable to evaluate template language function 'format': the alignment is too large");
    return pad < 0 ? text.padEnd(-pad) : text.padStart(pad);
  });
}

/** The numeric format specifiers a template is likely to use: D (digits), X (hex), N (grouped). */
function formatNumber(value: Json, spec: string): string {
  const kind = spec[0]?.toUpperCase();
  const digits = spec.length > 1 ? Number(spec.slice(1)) : undefined;
  const tooWide = digits !== undefined && (digits > MAX_PAD || (kind === "N" && digits > 20));
  if (typeof value !== "number" || (kind !== "D" && kind !== "X" && kind !== "N") || Number.isNaN(digits) || tooWide)
    throw new ExpressionError(
      `Unable to evaluate template language function 'format': the format '${spec}' is not supported`,
    );
  if (kind === "D") {
    const text = Math.abs(value)
      .toString()
      .padStart(digits ?? 0, "0");
    return value < 0 ? `-${text}` : text;
  }
  if (kind === "X") {
    const hex = value.toString(16).padStart(digits ?? 0, "0");
    return spec[0] === "x" ? hex : hex.toUpperCase();
  }
  return value.toLocaleString("en-US", { minimumFractionDigits: digits ?? 2, maximumFractionDigits: digits ?? 2 });
}

const stringOf = (fn: string, value: Json): string => {
  if (typeof value === "object" && value !== null)
    throw new ExpressionError(
      `Unable to evaluate template language function '${fn}': the argument of type '${typeName(value)}' cannot be converted to a string`,
    );
  return toArmString(value);
};

export const stringFunctions: Record<string, TemplateFunction> = {
  format: { min: 1, max: ANY, call: ([template, ...args]) => composite(asString("format", template ?? null), args) },
  tolower: { min: 1, max: 1, call: ([value]) => asString("toLower", value ?? null).toLowerCase() },
  toupper: { min: 1, max: 1, call: ([value]) => asString("toUpper", value ?? null).toUpperCase() },
  trim: { min: 1, max: 1, call: ([value]) => asString("trim", value ?? null).trim() },
  replace: {
    min: 3,
    max: 3,
    call: ([value, oldText, newText]) =>
      asString("replace", value ?? null).replaceAll(
        asString("replace", oldText ?? null),
        asString("replace", newText ?? null),
      ),
  },
  split: {
    min: 2,
    max: 2,
    call: ([value, delimiters]) => {
      const text = asString("split", value ?? null);
      const list = Array.isArray(delimiters)
        ? delimiters.map((item) => asString("split", item))
        : [asString("split", delimiters ?? null)];
      const pattern = new RegExp(list.map((item) => item.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));
      return list.every((item) => item === "") ? [text] : text.split(pattern);
    },
  },
  substring: {
    min: 2,
    max: 3,
    call: ([value, start, length]) => {
      const text = asString("substring", value ?? null);
      const from = asInteger("substring", start ?? null);
      const count = length === undefined ? text.length - from : asInteger("substring", length);
      if (from < 0 || count < 0 || from + count > text.length)
        throw new ExpressionError(
          "Unable to evaluate template language function 'substring': the index and length parameters must refer to a location within the string",
        );
      return text.slice(from, from + count);
    },
  },
  startswith: {
    min: 2,
    max: 2,
    call: ([value, prefix]) =>
      asString("startsWith", value ?? null)
        .toLowerCase()
        .startsWith(asString("startsWith", prefix ?? null).toLowerCase()),
  },
  endswith: {
    min: 2,
    max: 2,
    call: ([value, suffix]) =>
      asString("endsWith", value ?? null)
        .toLowerCase()
        .endsWith(asString("endsWith", suffix ?? null).toLowerCase()),
  },
  padleft: {
    min: 2,
    max: 3,
    call: ([value, width, pad]) => {
      const total = asInteger("padLeft", width ?? null);
      if (total > MAX_PAD)
        throw new ExpressionError(
          "Unable to evaluate template language function 'padLeft': the total length is too large",
        );
      return stringOf("padLeft", value ?? null).padStart(
        total,
        pad === undefined ? " " : asString("padLeft", pad).slice(0, 1),
      );
    },
  },
  string: { min: 1, max: 1, call: ([value]) => toArmString(value ?? null) },
  base64: {
    min: 1,
    max: 1,
    call: ([value]) => Buffer.from(asString("base64", value ?? null), "utf8").toString("base64"),
  },
  base64tostring: {
    min: 1,
    max: 1,
    call: ([value]) => Buffer.from(asString("base64ToString", value ?? null), "base64").toString("utf8"),
  },
  uri: {
    min: 2,
    max: 2,
    call: ([base, relative]) => {
      try {
        return new URL(asString("uri", relative ?? null), asString("uri", base ?? null)).toString();
      } catch {
        throw new ExpressionError(
          "Unable to evaluate template language function 'uri': the base URI is not an absolute URI",
        );
      }
    },
  },
  uricomponent: { min: 1, max: 1, call: ([value]) => encodeURIComponent(asString("uriComponent", value ?? null)) },
  uricomponenttostring: {
    min: 1,
    max: 1,
    call: ([value]) => {
      try {
        return decodeURIComponent(asString("uriComponentToString", value ?? null));
      } catch {
        throw new ExpressionError(
          "Unable to evaluate template language function 'uriComponentToString': the value is not URI-encoded",
        );
      }
    },
  },
  join: {
    min: 2,
    max: 2,
    call: ([items, delimiter]) =>
      asArray("join", items ?? null)
        .map((item) => stringOf("join", item))
        .join(asString("join", delimiter ?? null)),
  },
};

/** `concat()` of strings: scalars are written as `string()` writes them; objects are refused. */
export const concatStrings = (args: Json[]) => args.map((value) => stringOf("concat", value)).join("");
