import { stripVTControlCharacters, styleText } from "node:util";

/** Terminal colours that switch themselves off for pipes, NO_COLOR and CI logs. */
type Style = Parameters<typeof styleText>[0];
const paint = (style: Style) => (text: string) => styleText(style, text, { stream: process.stdout });

export const bold = paint("bold");
export const dim = paint("dim");
export const green = paint("green");
export const red = paint("red");
export const yellow = paint("yellow");
export const cyan = paint("cyan");

export const ok = (text: string) => `${green("✔")} ${text}`;
export const fail = (text: string) => `${red("✖")} ${text}`;
export const warn = (text: string) => `${yellow("!")} ${text}`;

/** Lays out rows as aligned columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const width = (column: number) => Math.max(...rows.map((row) => stripVTControlCharacters(row[column] ?? "").length));
  return rows
    .map(
      (row) =>
        "  " +
        row
          .map((cell, i) =>
            i === row.length - 1 ? cell : cell + " ".repeat(width(i) - stripVTControlCharacters(cell).length),
          )
          .join("  "),
    )
    .join("\n");
}

/** Turns one pino JSON line from a step into a short readable line. */
export function readableLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; code?: string; status?: number };
    const extra = [entry.code, entry.status].filter((value) => value !== undefined).join(" ");
    const text = `${entry.msg ?? ""}${extra ? ` ${dim(extra)}` : ""}`;
    return (entry.level ?? 30) >= 50 ? red(text) : (entry.level ?? 30) >= 40 ? yellow(text) : text;
  } catch {
    return line;
  }
}
