/**
 * How a step talks back to the runner, as on GitHub:
 *
 * - files named by GITHUB_ENV (variables for the later steps), GITHUB_OUTPUT
 *   (the step's outputs), GITHUB_PATH (directories put first on PATH) and
 *   GITHUB_STEP_SUMMARY (Markdown for the run's summary), fresh for each step;
 *   a value is `NAME=value` on one line, or `NAME<<DELIMITER`, lines, `DELIMITER`;
 * - workflow commands in its output: `::add-mask::`, `::error::`,
 *   `::warning::`, `::notice::`, `::group::`, `::endgroup::`, `::debug::`.
 */
import { readFileSync } from "node:fs";
import type { RunLog } from "./log.ts";

/** A command file that does not parse, in the runner's words. */
export class CommandFileError extends Error {
  override name = "CommandFileError";
}

/** The variables in an env or output file, in the order they were written (a later one wins). */
export function parseCommandFile(text: string, kind: "env" | "output"): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let at = 0; at < lines.length; at += 1) {
    const line = lines[at] ?? "";
    if (line === "") continue;
    const heredoc = /^([^=<\s]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = "", delimiter = ""] = heredoc;
      const end = lines.indexOf(delimiter, at + 1);
      if (end < 0)
        throw new CommandFileError(
          `Unable to process file command '${kind}' successfully. Matching delimiter not found '${delimiter}'`,
        );
      values[name] = lines.slice(at + 1, end).join("\n");
      at = end;
      continue;
    }
    const equals = line.indexOf("=");
    if (equals <= 0)
      throw new CommandFileError(
        `Unable to process file command '${kind}' successfully. Invalid format '${line.slice(0, 80)}'`,
      );
    values[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return values;
}

/** A command file's text, or '' when the step wrote none. */
export function readCommandFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** GITHUB_PATH: one directory a line, the last written first. */
export const parsePathFile = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .reverse();

/** One line of a step's output: a workflow command the runner acts on, or a line to show. */
export function processOutputLine(line: string, log: RunLog): void {
  const command = /^::([a-z-]+)(?:\s+([^:]*))?::(.*)$/.exec(line);
  if (!command) {
    log.line(line);
    return;
  }
  const [, name = "", , message = ""] = command;
  if (name === "add-mask") log.mask(message);
  else if (name === "error") log.error(message);
  else if (name === "warning") log.warning(message);
  else if (name === "notice") log.notice(message);
  else if (name === "group") log.line(`▸ ${message}`);
  else if (name === "set-output" || name === "save-state")
    log.error(`The \`${name}\` command is disabled. Please upgrade to using Environment Files (GITHUB_OUTPUT).`);
  else if (name !== "endgroup" && name !== "debug") log.line(line);
}
