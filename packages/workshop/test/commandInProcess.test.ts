/**
 * commandInProcess (what the learner journeys run their repeated commands with) answers as the command's own
 * process does: the same exit code and the same words, for a success, a failed check and a failure said in one
 * line, and it leaves this process as it found it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WITH_COMPILE_CACHE } from "../src/layout/repo.ts";
import { learnerTerminal } from "../src/terminal/learnerTerminal.ts";
import { commandInProcess, type InProcessCommand } from "./commandInProcess.ts";
import { WORKSHOP } from "./launch.ts";

const stateDir = mkdtempSync(join(tmpdir(), "keyless-in-process-sandbox-"));
const workspace = mkdtempSync(join(tmpdir(), "keyless-in-process-workspace-"));
afterAll(() => {
  for (const dir of [stateDir, workspace]) rmSync(dir, { recursive: true, force: true });
});
/** A learner's terminal with no npm start running: a sandbox folder and a workspace of this file's own. */
const env = learnerTerminal({
  KEYLESS_SANDBOX_DIR: stateDir,
  KEYLESS_WORKSPACE_DIR: workspace,
  NO_COLOR: "1",
  FORCE_COLOR: "0",
});

function asProcess(name: InProcessCommand, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...WITH_COMPILE_CACHE, `src/commands/${name}.ts`, ...args],
      { cwd: WORKSHOP, env },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe("a command in the test's process answers as its own process does", () => {
  const cases: [InProcessCommand, string[], number][] = [
    ["exercise", [], 0],
    ["progress", [], 0],
    // No npm start: said in one line, exit code 2.
    ["check", ["03"], 2],
    ["exercise", ["03", "--solve", "--yes"], 2],
    ["reset", [], 0],
  ];
  it.each(cases.map(([name, args, code]) => ({ name, args, code, line: [name, ...args].join(" ") })))(
    "npm run $line: exit code $code, the same words",
    async ({ name, args, code }) => {
      const exitCode = process.exitCode;
      const variables = Object.keys(process.env).length;
      const own = await asProcess(name, args);
      const inProcess = await commandInProcess(name, args, env);
      expect(own.code, own.output).toBe(code);
      expect(inProcess).toEqual(own);
      // The test's process is as it was: its exit code, its environment, its console.
      expect(process.exitCode).toBe(exitCode);
      expect(Object.keys(process.env)).toHaveLength(variables);
      expect(process.env["KEYLESS_SANDBOX_DIR"]).not.toBe(stateDir);
    },
  );
});
