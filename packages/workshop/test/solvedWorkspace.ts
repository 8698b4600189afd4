/**
 * A learner's workspace with exercises 02 to 04 solved, made as a learner
 * makes it (`npm run exercise -- 0N`, then `--solve --yes`, with no npm start
 * running), in a folder of its own: for the tests that prove a learner's work
 * never reaches them. The commands run in this process (commandInProcess.ts).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandInProcess } from "./commandInProcess.ts";

export async function solvedWorkspace(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "keyless-solved-workspace-"));
  const env = { ...process.env, KEYLESS_WORKSPACE_DIR: dir, KEYLESS_SANDBOX_DIR: join(dir, ".no-sandbox") };
  for (const step of ["02", "03", "04"]) {
    for (const args of [[step], [step, "--solve", "--yes"]]) {
      const { code, output } = await commandInProcess("exercise", args, env);
      if (code !== 0) throw new Error(`npm run exercise -- ${args.join(" ")} failed (${code}):\n${output}`);
    }
  }
  return dir;
}
