/**
 * A request's body, read as Resource Manager reads it: JSON, leniently (ARM
 * reads with Json.NET, which takes comments and property names without
 * quotes). The Azure CLI counts on it: `az deployment group create
 * --template-file main.json` sends the template file's own text inside the
 * body, `{"properties": {"parameters": {…}, "mode": "Incremental", template:{…the file…}}}`,
 * so that Azure's errors name the file's lines.
 *
 * What a member was sent as stays readable (`textOf`), with the positions it
 * had in the body: the template engine reports them, as Azure does.
 */
import { createScanner, findNodeAtLocation, type Node, type ParseError, parseTree } from "jsonc-parser";

export interface RequestBody {
  /** The body's value; undefined for an empty body. */
  readonly value: unknown;
  /** A member's text as sent, blanks in front keeping its line and column in the body; undefined when absent. */
  textOf(path: readonly string[]): string | undefined;
}

/** A member kept as the text it was sent as (a deployment's template): what the template engine reads positions from. */
export class TemplateText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Json.NET's default depth limit is 64; a body deeper than this is no ARM request. */
const MAX_DEPTH = 128;

/** Reads a body; undefined when it is not JSON that ARM would read. */
export function readRequestBody(text: string): RequestBody | undefined {
  if (text.trim() === "") return { value: undefined, textOf: () => undefined };
  const { normalized, quotedAt } = quoteBareNames(text);
  const errors: ParseError[] = [];
  let tree: Node | undefined;
  try {
    tree = parseTree(normalized, errors, { allowTrailingComma: false, disallowComments: false });
  } catch {
    // The parser recurses: JSON nested thousands deep exhausts the stack before it answers.
    return undefined;
  }
  if (!tree || errors.length > 0) return undefined;
  const root = tree;
  const value = nodeValue(root, 0);
  if (value === TOO_DEEP) return undefined;
  return {
    value,
    textOf(path) {
      const node = findNodeAtLocation(root, [...path]);
      if (!node) return undefined;
      // Where it started in the text as sent: two quotes were added for each name quoted before it.
      const sentAt = node.offset - 2 * quotedAt.filter((at) => at < node.offset).length;
      return text.slice(0, sentAt).replace(/[^\n]/g, " ") + normalized.slice(node.offset, node.offset + node.length);
    },
  };
}

/** The scanner's token kinds this reader looks at (jsonc-parser's `SyntaxKind`, a const enum it does not export as values). */
const COLON = 6;
const COMMENTS_AND_BLANKS = new Set([12, 13, 14, 15]);
const BARE_WORD = 16;
const END = 17;

/**
 * Property names written without quotes (`template:`) quoted, nothing else
 * touched: every line keeps its number, and what follows the name its text.
 */
function quoteBareNames(text: string): { normalized: string; quotedAt: number[] } {
  const scanner = createScanner(text, false);
  const quotedAt: number[] = [];
  let out = "";
  let copied = 0;
  let pending: { start: number; end: number; name: string } | undefined;
  for (let kind: number = scanner.scan(); kind !== END; kind = scanner.scan()) {
    if (COMMENTS_AND_BLANKS.has(kind)) continue;
    if (kind === COLON && pending) {
      out += `${text.slice(copied, pending.start)}${JSON.stringify(pending.name)}`;
      quotedAt.push(out.length);
      copied = pending.end;
    }
    pending =
      kind === BARE_WORD && /^[A-Za-z_$][\w$]*$/.test(scanner.getTokenValue())
        ? {
            start: scanner.getTokenOffset(),
            end: scanner.getTokenOffset() + scanner.getTokenLength(),
            name: scanner.getTokenValue(),
          }
        : undefined;
  }
  return { normalized: out + text.slice(copied), quotedAt };
}

const TOO_DEEP = Symbol("too deep");

/** A node's value; `__proto__` and friends kept as plain members, never a prototype. */
function nodeValue(node: Node, depth: number): unknown {
  if (depth > MAX_DEPTH) return TOO_DEEP;
  switch (node.type) {
    case "object": {
      const object: Record<string, unknown> = {};
      for (const property of node.children ?? []) {
        const [key, member] = property.children ?? [];
        if (!key || !member) continue;
        const value = nodeValue(member, depth + 1);
        if (value === TOO_DEEP) return TOO_DEEP;
        Object.defineProperty(object, String(key.value), {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    }
    case "array": {
      const items: unknown[] = [];
      for (const child of node.children ?? []) {
        const value = nodeValue(child, depth + 1);
        if (value === TOO_DEEP) return TOO_DEEP;
        items.push(value);
      }
      return items;
    }
    default:
      return node.value;
  }
}
