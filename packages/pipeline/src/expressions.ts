/**
 * GitHub Actions' expression language, as its documentation defines it
 * (https://docs.github.com/actions/reference/workflows-and-actions/expressions):
 * literals (`null`, booleans, numbers, 'strings' with '' for a quote),
 * contexts and their properties (`github.ref`, `steps.infra.outputs['url']`),
 * the operators `! < <= > >= == != && ||` and parentheses, and the functions
 * `contains`, `startsWith`, `endsWith`, `format`, `join`, `toJSON`,
 * `fromJSON` and the status checks `success()`, `failure()`, `always()`,
 * `cancelled()`. Strings compare without regard to case; values of
 * different types compare as numbers; `&&` and `||` give back an operand.
 *
 * What it does not play (`hashFiles`, object filters `.*`) is refused by name.
 */

export type Value = null | boolean | number | string | readonly Value[] | { readonly [key: string]: Value };

/** The contexts an expression reads, by name, and how the job is going (for the status functions). */
export interface Scope {
  readonly contexts: Readonly<Record<string, Value>>;
  readonly status?: "success" | "failure" | "cancelled";
  /** Told each context property read that does not exist: the runner warns of a variable nobody set. */
  readonly onMissing?: (path: string) => void;
}

/** An expression that cannot be read or evaluated, with where and why. */
export class ExpressionError extends Error {
  override name = "ExpressionError";
}

type Token =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "name"; value: string }
  | { kind: "op"; value: string };

const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ",", "*"];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at] ?? "";
    if (/\s/.test(char)) {
      at += 1;
      continue;
    }
    if (char === "'") {
      let value = "";
      at += 1;
      for (;;) {
        if (at >= text.length) throw new ExpressionError(`Unterminated string in: ${text}`);
        if (text[at] === "'") {
          if (text[at + 1] === "'") {
            value += "'";
            at += 2;
            continue;
          }
          at += 1;
          break;
        }
        value += text[at];
        at += 1;
      }
      tokens.push({ kind: "string", value });
      continue;
    }
    const number = /^(?:0x[0-9a-f]+|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/i.exec(text.slice(at));
    if (number && (char !== "-" || tokens.length === 0 || tokens.at(-1)?.kind === "op")) {
      tokens.push({ kind: "number", value: Number(number[0]) });
      at += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(at));
    if (name) {
      tokens.push({ kind: "name", value: name[0] });
      at += name[0].length;
      continue;
    }
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, at));
    if (!operator) throw new ExpressionError(`Unexpected symbol '${char}' in: ${text}`);
    tokens.push({ kind: "op", value: operator });
    at += operator.length;
  }
  return tokens;
}

type Node =
  | { kind: "literal"; value: Value }
  | { kind: "context"; name: string }
  | { kind: "property"; of: Node; key: Node | string }
  | { kind: "call"; name: string; args: Node[] }
  | { kind: "not"; operand: Node }
  | { kind: "binary"; op: string; left: Node; right: Node };

/** Precedence, loosest first, as GitHub documents it. */
const LEVELS = [["||"], ["&&"], ["==", "!="], ["<", "<=", ">", ">="]];

function parse(text: string): Node {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const isOp = (value: string) => peek()?.kind === "op" && peek()?.value === value;
  const expect = (value: string) => {
    if (!isOp(value)) throw new ExpressionError(`Expected '${value}' in: ${text}`);
    at += 1;
  };
  const binary = (level: number): Node => {
    const operators = LEVELS[level];
    if (!operators) return unary();
    let left = binary(level + 1);
    while (peek()?.kind === "op" && operators.includes(String(peek()?.value))) {
      const op = String(peek()?.value);
      at += 1;
      left = { kind: "binary", op, left, right: binary(level + 1) };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp("!")) {
      at += 1;
      return { kind: "not", operand: unary() };
    }
    return postfix(primary());
  };
  const primary = (): Node => {
    const token = peek();
    if (!token) throw new ExpressionError(`Unexpected end of expression: ${text}`);
    at += 1;
    if (token.kind === "number" || token.kind === "string") return { kind: "literal", value: token.value };
    if (token.kind === "op" && token.value === "(") {
      const inner = binary(0);
      expect(")");
      return inner;
    }
    if (token.kind === "name") {
      if (token.value === "true" || token.value === "false") return { kind: "literal", value: token.value === "true" };
      if (token.value === "null") return { kind: "literal", value: null };
      if (isOp("(")) {
        at += 1;
        const args: Node[] = [];
        while (!isOp(")")) {
          args.push(binary(0));
          if (!isOp(")")) expect(",");
        }
        at += 1;
        return { kind: "call", name: token.value, args };
      }
      return { kind: "context", name: token.value };
    }
    throw new ExpressionError(`Unexpected '${String(token.value)}' in: ${text}`);
  };
  const postfix = (node: Node): Node => {
    for (;;) {
      if (isOp(".")) {
        at += 1;
        const key = peek();
        if (key?.kind === "op" && key.value === "*")
          throw new ExpressionError(`Object filters (.*) are not played by the rehearsal: ${text}`);
        if (key?.kind !== "name") throw new ExpressionError(`Expected a property name after '.' in: ${text}`);
        at += 1;
        node = { kind: "property", of: node, key: key.value };
      } else if (isOp("[")) {
        at += 1;
        const key = binary(0);
        expect("]");
        node = { kind: "property", of: node, key };
      } else return node;
    }
  };
  const node = binary(0);
  if (at < tokens.length) throw new ExpressionError(`Unexpected '${String(peek()?.value)}' in: ${text}`);
  return node;
}

/** GitHub's truthiness: false, 0, -0, '', null and NaN are false. */
export const truthy = (value: Value): boolean =>
  !(
    value === false ||
    value === null ||
    value === "" ||
    (typeof value === "number" && (value === 0 || Number.isNaN(value)))
  );

/** How a value becomes text in `${{ }}`: null is '', objects and arrays are JSON. */
export function asText(value: Value): string {
  if (value === null) return "";
  if (typeof value === "object") return JSON.stringify(value, null, 2);
  return String(value);
}

function asNumber(value: Value): number {
  if (value === null) return 0;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return value;
  if (typeof value === "string") return value.trim() === "" ? 0 : Number(value);
  return Number.NaN;
}

/** Loose equality, GitHub's way: strings without case, different types as numbers. */
function equal(left: Value, right: Value): boolean {
  if (typeof left === "string" && typeof right === "string") return left.toLowerCase() === right.toLowerCase();
  const isObject = (value: Value) => value !== null && typeof value === "object";
  if (isObject(left) || isObject(right)) return left === right;
  if (typeof left === typeof right) return left === right;
  return asNumber(left) === asNumber(right);
}

function compare(op: string, left: Value, right: Value): boolean {
  if (typeof left === "string" && typeof right === "string") {
    const a = left.toLowerCase();
    const b = right.toLowerCase();
    return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
  }
  const a = asNumber(left);
  const b = asNumber(right);
  return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
}

const STATUS = ["success", "failure", "always", "cancelled"];

function call(name: string, args: Value[], scope: Scope): Value {
  const lower = name.toLowerCase();
  const text = (index: number) => asText(args[index] ?? null);
  switch (lower) {
    case "success":
      return (scope.status ?? "success") === "success";
    case "failure":
      return scope.status === "failure";
    case "cancelled":
      return scope.status === "cancelled";
    case "always":
      return true;
    case "contains": {
      const [search = null, item = null] = args;
      if (Array.isArray(search)) return search.some((element) => equal(element, item));
      return asText(search).toLowerCase().includes(asText(item).toLowerCase());
    }
    case "startswith":
      return text(0).toLowerCase().startsWith(text(1).toLowerCase());
    case "endswith":
      return text(0).toLowerCase().endsWith(text(1).toLowerCase());
    case "format":
      return text(0).replace(/\{\{|\}\}|\{(\d+)\}/g, (match, index: string | undefined) =>
        match === "{{" ? "{" : match === "}}" ? "}" : asText(args[Number(index) + 1] ?? null),
      );
    case "join": {
      const [array = null, separator = ","] = args;
      return Array.isArray(array) ? array.map(asText).join(asText(separator)) : asText(array);
    }
    case "tojson":
      return JSON.stringify(args[0] ?? null, null, 2);
    case "fromjson":
      try {
        return JSON.parse(text(0)) as Value;
      } catch {
        throw new ExpressionError(`fromJSON: '${text(0).slice(0, 60)}' is not JSON.`);
      }
    case "hashfiles":
      throw new ExpressionError("hashFiles() is not played by the rehearsal: it has no cache to key.");
    default:
      throw new ExpressionError(`Unrecognized function: '${name}'.`);
  }
}

function evaluateNode(node: Node, scope: Scope, path: string[]): Value {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "context": {
      const name = node.name.toLowerCase();
      const found = Object.entries(scope.contexts).find(([key]) => key.toLowerCase() === name);
      if (!found) throw new ExpressionError(`Unrecognized named-value: '${node.name}'.`);
      path.push(node.name);
      return found[1];
    }
    case "property": {
      const of = evaluateNode(node.of, scope, path);
      const key = typeof node.key === "string" ? node.key : asText(evaluateNode(node.key, scope, []));
      path.push(key);
      if (Array.isArray(of)) return (of as Value[])[Number(key)] ?? null;
      if (of === null || typeof of !== "object") return null;
      // Property names compare without case, as GitHub's do.
      const entry = Object.entries(of).find(([candidate]) => candidate.toLowerCase() === key.toLowerCase());
      if (!entry) {
        scope.onMissing?.(path.join("."));
        return null;
      }
      return entry[1];
    }
    case "call":
      return call(
        node.name,
        node.args.map((arg) => evaluateNode(arg, scope, [])),
        scope,
      );
    case "not":
      return !truthy(evaluateNode(node.operand, scope, []));
    case "binary": {
      const left = evaluateNode(node.left, scope, []);
      if (node.op === "&&") return truthy(left) ? evaluateNode(node.right, scope, []) : left;
      if (node.op === "||") return truthy(left) ? left : evaluateNode(node.right, scope, []);
      const right = evaluateNode(node.right, scope, []);
      if (node.op === "==") return equal(left, right);
      if (node.op === "!=") return !equal(left, right);
      return compare(node.op, left, right);
    }
  }
}

/** Evaluates one expression (the text inside `${{ }}`). */
export function evaluate(expression: string, scope: Scope): Value {
  return evaluateNode(parse(expression), scope, []);
}

/** Replaces every `${{ … }}` in a text with its value as text. */
export function interpolate(text: string, scope: Scope): string {
  let result = "";
  let at = 0;
  for (;;) {
    const start = text.indexOf("${{", at);
    if (start < 0) return result + text.slice(at);
    const end = closingOf(text, start + 3);
    if (end < 0) throw new ExpressionError(`An expression is not closed with '}}': ${text.slice(start, start + 60)}`);
    result += text.slice(at, start) + asText(evaluate(text.slice(start + 3, end), scope));
    at = end + 2;
  }
}

/** Where the `}}` closing an expression is, past any '}}' inside its strings. */
function closingOf(text: string, from: number): number {
  let quoted = false;
  for (let at = from; at < text.length; at += 1) {
    if (text[at] === "'") quoted = !quoted;
    else if (!quoted && text.startsWith("}}", at)) return at;
  }
  return -1;
}

/**
 * A job's or step's `if:`: written with or without `${{ }}`; without a status function it means
 * `success() && (…)`, as on GitHub.
 */
export function condition(text: string | boolean | undefined, scope: Scope): boolean {
  if (text === undefined) return scope.status === undefined || scope.status === "success";
  if (typeof text === "boolean") return text && (scope.status ?? "success") === "success";
  const trimmed = text.trim();
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(trimmed);
  const inner = whole && closingOf(trimmed, 3) === trimmed.length - 2 ? (whole[1] ?? "") : undefined;
  // A text with expressions inside it (not one whole expression) is a string: true when not empty.
  if (inner === undefined && trimmed.includes("${{")) return interpolate(trimmed, scope) !== "";
  const expression = inner ?? trimmed;
  const usesStatus = new RegExp(`\\b(${STATUS.join("|")})\\s*\\(`, "i").test(expression);
  const value = truthy(evaluate(expression, scope));
  return usesStatus ? value : (scope.status ?? "success") === "success" && value;
}
