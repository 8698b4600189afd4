/**
 * The ARM expression language, part 2: its grammar.
 *
 *     expression := primary accessor*
 *     primary    := name '(' [expression (',' expression)*] ')' | 'string' | integer
 *     accessor   := '.' name | '[' expression ']'
 *
 * A JSON string is an expression when it starts with `[` and ends with `]`;
 * `[[` at the start escapes the bracket, and the string is then literal
 * text without its first `[`.
 */
import { ExpressionError } from "./errors.ts";
import { type Token, type TokenKind, tokenize, tokenNames } from "./lexer.ts";

export type Expr =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: "property"; readonly target: Expr; readonly name: string }
  | { readonly kind: "index"; readonly target: Expr; readonly index: Expr };

/** What a JSON string of a template is: literal text, or an expression to evaluate. */
export type TemplateString =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "expression"; readonly text: string };

export function classify(value: string): TemplateString {
  if (value.startsWith("[[")) return { kind: "literal", value: value.slice(1) };
  if (value.startsWith("[") && value.endsWith("]") && value.length >= 2)
    return { kind: "expression", text: value.slice(1, -1) };
  return { kind: "literal", value };
}

/** Deeper nesting than this is refused rather than risk the process's stack. */
const MAX_DEPTH = 64;

export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): Token => tokens[position] ?? { kind: "end", text: "" };
  const fail = (expected: string, actual: Token): never => {
    throw new ExpressionError(
      `Unable to parse language expression '${text}': expected token '${expected}' and actual '${tokenNames[actual.kind]}'`,
    );
  };
  const take = (kind: TokenKind): Token => {
    const token = peek();
    if (token.kind !== kind) fail(tokenNames[kind], token);
    position++;
    return token;
  };

  const expression = (depth: number): Expr => {
    if (depth > MAX_DEPTH)
      throw new ExpressionError(`Unable to parse language expression '${text}': it is nested too deeply`);
    let result = primary(depth);
    for (;;) {
      const next = peek();
      if (next.kind === ".") {
        position++;
        result = { kind: "property", target: result, name: take("identifier").text };
      } else if (next.kind === "[") {
        position++;
        const index = expression(depth + 1);
        take("]");
        result = { kind: "index", target: result, index };
      } else {
        return result;
      }
    }
  };

  const primary = (depth: number): Expr => {
    const token = peek();
    if (token.kind === "string") {
      position++;
      return { kind: "string", value: token.text };
    }
    if (token.kind === "number") {
      position++;
      return { kind: "number", value: Number(token.text) };
    }
    if (token.kind !== "identifier") return fail(tokenNames.identifier, token);
    position++;
    take("(");
    const args: Expr[] = [];
    if (peek().kind !== ")") {
      args.push(expression(depth + 1));
      while (peek().kind === ",") {
        position++;
        args.push(expression(depth + 1));
      }
    }
    take(")");
    return { kind: "call", name: token.text, args };
  };

  const result = expression(0);
  take("end");
  return result;
}

/** Every function call in an expression, outermost first: what validation checks before anything runs. */
export function* calls(expr: Expr): Generator<Extract<Expr, { kind: "call" }>> {
  switch (expr.kind) {
    case "call":
      yield expr;
      for (const arg of expr.args) yield* calls(arg);
      return;
    case "property":
      yield* calls(expr.target);
      return;
    case "index":
      yield* calls(expr.target);
      yield* calls(expr.index);
      return;
    default:
      return;
  }
}
