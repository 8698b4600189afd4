/**
 * Every learner command (each file in src/commands/, run by its `npm run`
 * script) explains itself with --help, and exits 0, without a running sandbox.
 */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const COMMANDS = fileURLToPath(new URL("../src/commands", import.meta.url));
const files = readdirSync(COMMANDS).filter((name) => name.endsWith(".ts"));

describe("every command's --help", () => {
  it("finds the commands", () => {
    expect(files).toEqual(expect.arrayContaining(["check.ts", "diff.ts", "doctor.ts", "exercise.ts", "bench.ts"]));
  });

  it.each(files)("%s --help explains itself", async (file) => {
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, [file, "--help"], { cwd: COMMANDS }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^Usage: npm run [\w:]+ --/m);
  });
});
