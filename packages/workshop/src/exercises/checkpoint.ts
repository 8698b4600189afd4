/**
 * The contract part of a checkpoint: the shared contract suite, run by vitest
 * in a child process (checkpoints/checkpoint.test.ts) against a running app,
 * read back as vitest's JSON report.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPILE_CACHE_DIR, REPO_ROOT } from "../layout/repo.ts";

export interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: { message?: string; assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

export interface CheckpointTarget {
  /** The step whose contract it is (its logs are GET /logs/<step> unless `logsPath` says otherwise). */
  readonly step: string;
  /** The app's base URL, when it is not the step `npm start` runs (the learner's own app). */
  readonly url?: string;
  /** The control endpoint's route for the app's logs, e.g. /workspace/03/logs. */
  readonly logsPath?: string;
  /**
   * Which suite: `checkpoint` (the default) runs it all against an app of the running sandbox; `deployed`
   * runs the checks its URL alone can answer, against an app anywhere (`npm run check -- --url`).
   */
  readonly suite?: "checkpoint" | "deployed";
  /** More environment for the suite's process (NODE_OPTIONS' preload that resolves `*.localhost`). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface CheckpointRun {
  readonly report: VitestReport;
  /** Every code the suite was issued: their queue messages are the check's own, to remove. */
  readonly codes: string[];
}

/** Runs the suite in a child process; asynchronous, so that this process's own connections stay alive meanwhile. */
export async function runCheckpoint(target: CheckpointTarget): Promise<CheckpointRun> {
  const dir = mkdtempSync(join(tmpdir(), "keyless-check-"));
  const output = join(dir, "report.json");
  const codesFile = join(dir, "codes.txt");
  const workshopDir = join(REPO_ROOT, "packages/workshop");
  try {
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, "node_modules/vitest/vitest.mjs"),
        "run",
        "--config",
        "checkpoints/vitest.config.ts",
        "--reporter=json",
        `--outputFile=${output}`,
        // A filter on the file's path: each suite is one file of checkpoints/.
        `checkpoints/${target.suite ?? "checkpoint"}.test.ts`,
      ],
      {
        cwd: workshopDir,
        env: {
          ...process.env,
          // vitest and its worker, two Node processes started at each check, reuse the code an earlier check
          // compiled, as our npm scripts do (the variable reaches the worker; an --import would not).
          NODE_COMPILE_CACHE: COMPILE_CACHE_DIR,
          KEYLESS_CHECK_STEP: target.step,
          KEYLESS_CHECK_CODES: codesFile,
          ...(target.url ? { KEYLESS_CHECK_URL: target.url } : {}),
          ...(target.logsPath ? { KEYLESS_CHECK_LOGS: target.logsPath } : {}),
          ...target.env,
        },
        stdio: "ignore",
      },
    );
    await once(child, "exit");
    let report: VitestReport;
    try {
      report = JSON.parse(readFileSync(output, "utf8")) as VitestReport;
    } catch {
      throw new Error("The checkpoint did not run: try npm run doctor.");
    }
    let codes: string[] = [];
    try {
      codes = readFileSync(codesFile, "utf8").split("\n").filter(Boolean);
    } catch {
      // no code issued
    }
    return { report, codes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
