/**
 * A learner's workspace with exercises 02 to 04 solved, made as a learner
 * makes it (`npm run exercise -- 0N`, then `--solve --yes`, with no npm start
 * running), in a folder of its own: for the tests that prove a learner's work
 * never reaches them.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { WITH_COMPILE_CACHE } from "../src/layout/repo.ts";

const WORKSHOP = fileURLToPath(new URL("..", import.meta.url));

export async function solvedWorkspace(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "keyless-solved-workspace-"));
  const env = { ...process.env, KEYLESS_WORKSPACE_DIR: dir, KEYLESS_SANDBOX_DIR: join(dir, ".no-sandbox") };
  for (const step of ["02", "03", "04"]) {
    for (const args of [[step], [step, "--solve", "--yes"]])
      await promisify(execFile)(process.execPath, [...WITH_COMPILE_CACHE, "src/commands/exercise.ts", ...args], {
        cwd: WORKSHOP,
        env,
      });
  }
  return dir;
}
