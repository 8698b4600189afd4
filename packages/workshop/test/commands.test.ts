/**
 * The learner's commands, run as a learner runs them (separate processes),
 * against a second workshop started on free ports in a temporary folder.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azInProcess } from "./azInProcess.ts";
import { WORKSHOP, launchWorkshop, type LaunchedWorkshop } from "./launch.ts";
import { WITH_COMPILE_CACHE } from "../src/layout/repo.ts";

const stateDir = mkdtempSync(join(tmpdir(), "keyless-commands-"));
const env = { ...process.env, KEYLESS_SANDBOX_DIR: stateDir, NO_COLOR: "1", FORCE_COLOR: "0" };
let launcher: LaunchedWorkshop;

interface Run {
  readonly code: number;
  readonly output: string;
}

function command(file: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...WITH_COMPILE_CACHE, `src/${file}`, ...args],
      { cwd: WORKSHOP, env },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

beforeAll(async () => {
  // Step 03 on AKS: the learner's commands work the same whichever host a step runs on.
  launcher = await launchWorkshop(["01", "3", "--host", "3=aks", "--no-dashboard"], env);
}, 60_000);

afterAll(async () => {
  await launcher?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("the learner's commands", { timeout: 60_000 }, () => {
  it("npm run doctor: checks Node, the sandbox and each step, and finds nothing to fix", async () => {
    const run = await command("commands/doctor.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/✔ Node v2\d/);
    expect(run.output).toMatch(/✔ token service answers over HTTPS with a trusted certificate/);
    expect(run.output).toMatch(/✔ step 03 issues codes/);
    // npm start runs: the advice starts the step into it, not a second npm start that would clash on its ports.
    expect(run.output).toMatch(
      /! step 02 is not running \(npm start was not asked for it\)\n\s+Start it with npm run restart -- 02/,
    );
    expect(run.output).not.toContain("npm start -- 02");
    expect(run.output).toMatch(/All good\./);
  });

  it("npm run check -- 03: passes the checkpoint, in words", async () => {
    const run = await command("commands/check.ts", "03");
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/✔ Step 03 passes its checkpoint: \d+ of \d+ checks\./);
  });

  it("npm run check -- 02: says the step is not running and how to start it into the running workshop", async () => {
    const run = await command("commands/check.ts", "02");
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/Step 02 is not running\. Start it with npm run restart -- 02, then check again\./);
  });

  it("npm run restart -- 03: restarts the step, keeping the sandbox's state", async () => {
    const run = await command("commands/restart.ts", "03");
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/✔ Step 03 restarted: http:\/\/localhost:\d+\/api\/v1\/getcode/);
  });

  it("npm run reset: back to what infra/main.json provisions, saying what it discards", async () => {
    const az = (...args: string[]) => azInProcess(args, env, join(WORKSHOP, "../sandbox"));
    const set = await az(
      "keyvault",
      "secret",
      "set",
      "--vault-name",
      "keyless-kv",
      "--name",
      "lesson-note",
      "--value",
      "x",
    );
    expect(set.code, set.output).toBe(0);
    const run = await command("commands/reset.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("✔ The running sandbox is back to what infra/main.json provisions.");
    expect(run.output).toMatch(/1 × secret version set: lesson-note in keyless-kv/);
    const again = await command("commands/reset.ts");
    expect(again.output).toContain("Nothing was changed since it was provisioned: nothing was discarded.");
  });

  it("an unknown step is a clear usage error (exit 2)", async () => {
    const run = await command("commands/check.ts", "07");
    expect(run.code).toBe(2);
    expect(run.output).toContain("No step 07. Steps: 01, 02, 03, 04.");
  });
});

describe("without a running sandbox", () => {
  it("says to start it first (exit 2)", async () => {
    const empty = mkdtempSync(join(tmpdir(), "keyless-none-"));
    const run = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [...WITH_COMPILE_CACHE, "src/commands/restart.ts", "01"],
        { cwd: WORKSHOP, env: { ...env, KEYLESS_SANDBOX_DIR: empty } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    rmSync(empty, { recursive: true, force: true });
    expect(run.code).toBe(2);
    expect(run.output).toContain(
      "The sandbox is not running: start it in another terminal with npm start, then try again.",
    );
  });
});

describe("npm run reset without npm start", () => {
  it("with no saved state: nothing to reset", async () => {
    const empty = mkdtempSync(join(tmpdir(), "keyless-none-"));
    const run = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [...WITH_COMPILE_CACHE, "src/commands/reset.ts"],
        { cwd: WORKSHOP, env: { ...env, KEYLESS_SANDBOX_DIR: empty } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    rmSync(empty, { recursive: true, force: true });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/✔ Nothing to reset: .* holds no saved state; npm start provisions it\./);
  });
});
