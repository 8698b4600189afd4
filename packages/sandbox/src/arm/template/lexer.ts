/**
 * The ARM expression language, part 1: its tokens.
 *
 * Inside `[...]` an expression is made of function names, `(`, `)`, `,`,
 * member access `.name`, indexers `[...]`, integers and string literals in
 * single quotes, where `''` stands for one quote: `[concat('it''s ', 'ok')]`.
 */
import { ExpressionError } from "./errors.ts";

export type TokenKind = "(" | ")" | "[" | "]" | "." | "," | "identifier" | "string" | "number" | "end";

export interface Token {
  readonly kind: TokenKind;
  /** The identifier's name, the string literal's value (quotes undone), or the number's digits. */
  readonly text: string;
}

/** Azure's names for tokens, as its parse errors print them. */
export const tokenNames: Record<TokenKind, string> = {
  "(": "LeftParenthesis",
  ")": "RightParenthesis",
  "[": "LeftSquareBracket",
  "]": "RightSquareBracket",
  ".": "Dot",
  ",": "Comma",
  identifier: "Identifier",
  string: "Literal",
  number: "Integer",
  end: "EndOfData",
};

const PUNCTUATION = new Set(["(", ")", "[", "]", ".", ","]);
const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER_PART = /[A-Za-z0-9_$]/;
const DIGIT = /[0-9]/;

export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const fail = (why: string): never => {
    throw new ExpressionError(`Unable to parse language expression '${expression}': ${why}`);
  };
  let index = 0;
  while (index < expression.length) {
    const char = expression[index] ?? "";
    if (char === " " || char === "\t" || char === "\r" || char === "\n") {
      index++;
    } else if (PUNCTUATION.has(char)) {
      tokens.push({ kind: char as TokenKind, text: char });
      index++;
    } else if (char === "'") {
      // A string literal: '' inside it is one quote.
      let value = "";
      index++;
      for (;;) {
        if (index >= expression.length) fail("the string literal is not terminated");
        const next = expression[index];
        if (next === "'") {
          if (expression[index + 1] === "'") {
            value += "'";
            index += 2;
            continue;
          }
          index++;
          break;
        }
        value += next;
        index++;
      }
      tokens.push({ kind: "string", text: value });
    } else if (DIGIT.test(char) || (char === "-" && DIGIT.test(expression[index + 1] ?? ""))) {
      const start = index;
      index++;
      while (DIGIT.test(expression[index] ?? "")) index++;
      const digits = expression.slice(start, index);
      if (!Number.isSafeInteger(Number(digits))) fail(`the integer '${digits}' is out of range`);
      tokens.push({ kind: "number", text: digits });
    } else if (IDENTIFIER_START.test(char)) {
      const start = index;
      while (IDENTIFIER_PART.test(expression[index] ?? "")) index++;
      tokens.push({ kind: "identifier", text: expression.slice(start, index) });
    } else {
      fail(`the character '${char}' at position '${index}' is not expected`);
    }
  }
  tokens.push({ kind: "end", text: "" });
  return tokens;
}
