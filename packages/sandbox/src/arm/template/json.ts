/**
 * JSON with its positions. Azure's errors name the line and column of the
 * node at fault ("at line '12' and column '9'"), so the engine keeps the
 * parse tree beside the value. Microsoft's `jsonc-parser` (the one VS Code
 * uses) reads it, comments included, as `az` accepts them in templates.
 */
import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { type Position, TemplateError } from "./errors.ts";
import { type Json, type JsonObject, setProperty } from "./values.ts";

export type JsonPath = readonly (string | number)[];

export interface JsonDocument {
  readonly value: Json;
  /** Where the node at a path starts, its path prefixed as Azure prints it (`properties.template.resources[0]`). */
  locate(path: JsonPath): Position;
}

/** `resources[0].properties.siteConfig`: a JSON path as Azure's additionalInfo writes it. */
export function formatPath(prefix: string, path: JsonPath): string {
  let text = prefix;
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}

/**
 * Parses a document given as text, or as a value already parsed (a REST
 * body): then positions are those of its two-space-indented form, the form
 * most template files are written in.
 */
export function parseJson(source: unknown, prefix: string): JsonDocument {
  const text = typeof source === "string" ? source : stringify(source);
  const errors: ParseError[] = [];
  let tree: Node | undefined;
  try {
    tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: false });
  } catch {
    // The parser recurses: JSON nested thousands deep exhausts the stack before it answers.
    throw new TemplateError(
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: 'The JSON is nested too deeply.'.",
    );
  }
  const lineStarts = [0];
  for (let index = 0; index < text.length; index++) if (text[index] === "\n") lineStarts.push(index + 1);
  const positionOf = (offset: number) => {
    let line = lineStarts.length - 1;
    while (line > 0 && (lineStarts[line] ?? 0) > offset) line--;
    return { line: line + 1, column: offset - (lineStarts[line] ?? 0) + 1 };
  };
  const first = errors[0];
  if (first !== undefined || tree === undefined) {
    const where = positionOf(first?.offset ?? 0);
    throw new TemplateError(
      "InvalidRequestContent",
      `The request content was invalid and could not be deserialized: '${first ? printParseErrorCode(first.error) : "Empty document"}, line ${where.line}, position ${where.column}.'.`,
      { ...where, path: prefix },
    );
  }
  return {
    value: toValue(tree),
    locate(path) {
      const node = findNodeAtLocation(tree, [...path]) ?? tree;
      // A property's position is its key's, as Azure reports it.
      const start = node.parent?.type === "property" ? node.parent.offset : node.offset;
      return { ...positionOf(start), path: formatPath(prefix, path) };
    },
  };
}

/** A value from a parsed REST body, written as text again; what JSON cannot hold is refused, never thrown. */
function stringify(value: unknown): string {
  try {
    const text = JSON.stringify(value, null, 2);
    if (typeof text === "string") return text;
  } catch {
    // A cycle or a BigInt: no JSON, refused below.
  }
  return "";
}

/** Deeper JSON than this is refused: Json.NET, which Azure reads templates with, stops at 64 by default. */
const MAX_DEPTH = 128;

function toValue(node: Node, depth = 0): Json {
  if (depth > MAX_DEPTH)
    throw new TemplateError(
      "InvalidRequestContent",
      `The request content was invalid and could not be deserialized: 'The JSON is nested deeper than ${MAX_DEPTH} levels.'.`,
    );
  switch (node.type) {
    case "object": {
      const object: JsonObject = {};
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (key && value) setProperty(object, String(key.value), toValue(value, depth + 1));
      }
      return object;
    }
    case "array":
      return (node.children ?? []).map((child) => toValue(child, depth + 1));
    default:
      return node.value as Json;
  }
}
