/**
 * An expression written back as text, in one canonical form: what the parser
 * reads, this prints, and parsing the print gives the same expression (the
 * property tests hold it to that).
 */
import type { Expr } from "./parser.ts";

export function printExpression(expr: Expr): string {
  switch (expr.kind) {
    case "string":
      return `'${expr.value.replaceAll("'", "''")}'`;
    case "number":
      return String(expr.value);
    case "call":
      return `${expr.name}(${expr.args.map(printExpression).join(", ")})`;
    case "property":
      return `${printExpression(expr.target)}.${expr.name}`;
    case "index":
      return `${printExpression(expr.target)}[${printExpression(expr.index)}]`;
  }
}
