/**
 * Every learner command (each file in src/commands/, run by its `npm run`
 * script) explains itself with --help, and exits 0, without a running sandbox.
 */
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { WITH_COMPILE_CACHE } from "../src/layout/repo.ts";

const COMMANDS = fileURLToPath(new URL("../src/commands", import.meta.url));
const files = readdirSync(COMMANDS).filter((name) => name.endsWith(".ts"));

describe("every command's --help", () => {
  it("finds the commands", () => {
    expect(files).toEqual(expect.arrayContaining(["check.ts", "diff.ts", "doctor.ts", "exercise.ts", "bench.ts"]));
  });

  it.each(files)("%s --help explains itself", async (file) => {
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, [...WITH_COMPILE_CACHE, file, "--help"], { cwd: COMMANDS }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^Usage: npm run [\w:]+ --/m);
  });
});

describe("npm run check with no step named", () => {
  it("is described the same in its --help and in lesson 06 (the wrap-up), which says what it does", async () => {
    const help = await new Promise<string>((resolve) => {
      execFile(process.execPath, [...WITH_COMPILE_CACHE, "check.ts", "--help"], { cwd: COMMANDS }, (_error, stdout) =>
        resolve(stdout),
      );
    });
    const lesson = readFileSync(fileURLToPath(new URL("../../../docs/06-wrap-up.md", import.meta.url)), "utf8");
    const flat = (text: string) => text.replace(/\s+/g, " ");
    const said = /With no step named, [^\n]*(\n[^\n]+)*/.exec(lesson)?.[0] ?? "";
    expect(said, "lesson 06 says what npm run check does with no step").not.toBe("");
    expect(flat(help)).toContain(flat(said));
  });
});
