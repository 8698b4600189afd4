/**
 * The repository's variables (`vars.*`), as GitHub keeps them for a fork:
 * names in upper case (GitHub compares them without case), never starting
 * with GITHUB_, values up to 48 KB. The rehearsal keeps them in
 * `github-variables.json` in the sandbox's state folder, written by
 * `npm run pipeline -- variable set NAME --body VALUE` (gh's own syntax).
 * They are ids, not secrets: the workflow has none.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const VARIABLES_FILE = "github-variables.json";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_VALUE_BYTES = 48 * 1024;

/** Why a variable cannot be set, in GitHub's terms; undefined when it can. */
export function variableProblem(name: string, value: string): string | undefined {
  if (!NAME.test(name))
    return `Variable names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), and cannot start with a number: ${name}`;
  if (name.toUpperCase().startsWith("GITHUB_")) return `Variable names must not start with the GITHUB_ prefix: ${name}`;
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES) return `A variable's value is at most 48 KB: ${name}`;
  return undefined;
}

export function readVariables(stateDir: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(join(stateDir, VARIABLES_FILE), "utf8")) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    );
  } catch {
    return {};
  }
}

export function writeVariables(stateDir: string, variables: Readonly<Record<string, string>>): void {
  mkdirSync(stateDir, { recursive: true });
  const sorted = Object.fromEntries(Object.entries(variables).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(stateDir, VARIABLES_FILE), `${JSON.stringify(sorted, null, 2)}\n`);
}

export function setVariable(stateDir: string, name: string, value: string): void {
  const problem = variableProblem(name, value);
  if (problem) throw new Error(problem);
  writeVariables(stateDir, { ...readVariables(stateDir), [name.toUpperCase()]: value });
}

/** False when there was no such variable. */
export function deleteVariable(stateDir: string, name: string): boolean {
  const variables = readVariables(stateDir);
  if (!(name.toUpperCase() in variables)) return false;
  delete variables[name.toUpperCase()];
  writeVariables(stateDir, variables);
  return true;
}
