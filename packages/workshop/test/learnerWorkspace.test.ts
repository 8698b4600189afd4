/**
 * A learner's work never makes a test fail: no test reads, grades or starts
 * the learner's `workspace/` (nor reaches their running npm start). Every test
 * file runs with folders of its own (packages/test-config, isolate.ts), its
 * temp folder included, which every command and launcher it runs inherits, and
 * which go when the file ends. Proven with a workspace that
 * holds exercises 02 to 04 solved, handed to the tests as the learner's: the
 * commands' checkpoint tests, which once graded the learner's app for 03 and
 * found step 02 "running" (the learner's app), still pass. (The bench's own
 * run has such a workspace too: bench.test.ts.)
 */
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, compileCacheDir, workspaceDir } from "../src/layout/repo.ts";
import { WORKSHOP } from "./launch.ts";
import { solvedWorkspace } from "./solvedWorkspace.ts";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("a learner's work never reaches a test", () => {
  it("each test file has a workspace of its own, empty, outside the repository", () => {
    const workspace = workspaceDir();
    expect(process.env["KEYLESS_WORKSPACE_DIR"]).toBe(workspace);
    // The file's temp folder (os.tmpdir(), for it and every process it starts) sits beside it, in the file's own.
    expect(dirname(tmpdir())).toBe(dirname(workspace));
    expect(relative(REPO_ROOT, workspace).startsWith("..")).toBe(true);
    let entries: string[] = [];
    try {
      entries = readdirSync(workspace);
    } catch {
      // not even made yet
    }
    expect(entries).toEqual([]);
  });

  it("with exercises 02 to 04 solved in the learner's workspace, the check tests still pass", async () => {
    const learner = await solvedWorkspace();
    made.push(learner);
    expect(readdirSync(learner)).toEqual(expect.arrayContaining(["02-key-vault", "03-managed-identity", "04-queue"]));
    const report = join(learner, "report.json");
    // The machine's temp folder, as the run's files see it: empty again after them, whatever they started.
    const machineTemp = join(learner, "machine-tmp");
    mkdirSync(machineTemp);
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          join(REPO_ROOT, "node_modules/vitest/vitest.mjs"),
          "run",
          "test/commands.test.ts",
          "-t",
          "npm run check",
          "--reporter=default",
          `--outputFile.json=${report}`,
        ],
        // The learner's workspace in the environment, as the default `workspace/` folder would be found.
        {
          cwd: WORKSHOP,
          env: {
            ...process.env,
            KEYLESS_WORKSPACE_DIR: learner,
            KEYLESS_TEST_MACHINE_TMPDIR: machineTemp,
            NO_COLOR: "1",
            FORCE_COLOR: "0",
            // vitest and its worker reuse the code an earlier run compiled, as our npm scripts do.
            NODE_COMPILE_CACHE: compileCacheDir(),
          },
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Tests +\d+ passed/);
    expect(readdirSync(machineTemp), "what the run's test files left in the temp folder").toEqual([]);
  }, 240_000);
});
