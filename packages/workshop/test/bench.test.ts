/**
 * `npm run bench`, as a learner runs it: what it does, never how fast. Its
 * options are checked, it refuses to run beside a running npm start, and a
 * tiny real run prints every section with its ratios, run by a learner who
 * has solved every exercise (their apps never enter the bench's workshop).
 * Each run has its own temporary KEYLESS_SANDBOX_DIR, so none meets a
 * learner's workshop.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAUNCHER, WITH_COMPILE_CACHE } from "../src/layout/repo.ts";
import { learnerTerminal } from "../src/terminal/learnerTerminal.ts";
import { solvedWorkspace } from "./solvedWorkspace.ts";

const WORKSHOP = fileURLToPath(new URL("..", import.meta.url));
const dirs: string[] = [];
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "keyless-bench-test-"));
  dirs.push(dir);
  return dir;
};
/** A learner's terminal (learnerTerminal), with this state folder and their workspace, when given. */
const environment = (dir: string, workspace?: string) =>
  learnerTerminal({
    KEYLESS_SANDBOX_DIR: dir,
    ...(workspace ? { KEYLESS_WORKSPACE_DIR: workspace } : {}),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  });

interface Run {
  readonly code: number;
  readonly output: string;
}

function bench(args: readonly string[], dir = stateDir(), workspace?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...WITH_COMPILE_CACHE, "src/commands/bench.ts", ...args],
      { cwd: WORKSHOP, env: environment(dir, workspace), maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

const lines = (text: string) => text.trim().split("\n");

// The tiny real run takes the longest: it starts at once and goes on while the quick tests run.
let realRun: Promise<Run>;
let workshop: ChildProcess | undefined;
const workshopDir = stateDir();

beforeAll(async () => {
  // Run by a learner who has solved every exercise: their apps are theirs, not the bench's to start.
  const learner = await solvedWorkspace();
  dirs.push(learner);
  realRun = bench(
    ["--runs", "1", "--requests", "20", "--concurrency", "2", "--warmup", "5", "--depths", "0,50"],
    stateDir(),
    learner,
  );
  workshop = spawn(process.execPath, [...WITH_COMPILE_CACHE, LAUNCHER, "--free-ports", "01", "--no-dashboard"], {
    cwd: WORKSHOP,
    env: environment(workshopDir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  await new Promise<void>((resolve, reject) => {
    workshop?.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("Ctrl-C stops everything")) resolve();
    });
    workshop?.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${text}`)));
  });
});

async function stopWorkshop(): Promise<void> {
  if (!workshop || workshop.exitCode !== null || workshop.signalCode !== null) return;
  const exited = once(workshop, "exit");
  workshop.kill("SIGTERM");
  await exited;
}

afterAll(async () => {
  await stopWorkshop();
  await realRun?.catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("npm run bench", () => {
  it("--help explains each option and the targets, and exits 0", async () => {
    const run = await bench(["--help"]);
    expect(run.code, run.output).toBe(0);
    for (const option of ["--runs <n>", "--requests <n>", "--concurrency <n>", "--warmup <n>", "--depths <list>"])
      expect(run.output).toContain(option);
    expect(run.output).toMatch(/Targets \(on 2 idle cores\)/);
  });

  it("--requests abc is a usage error: one line, exit code 2", async () => {
    const run = await bench(["--requests", "abc"]);
    expect(run.code, run.output).toBe(2);
    expect(lines(run.output), run.output).toHaveLength(1);
    expect(run.output).toMatch(/--requests/);
  });

  it("--depths 0,lots is a usage error: one line, exit code 2", async () => {
    const run = await bench(["--depths", "0,lots"]);
    expect(run.code, run.output).toBe(2);
    expect(lines(run.output), run.output).toHaveLength(1);
    expect(run.output).toMatch(/--depths/);
  });

  it("--runs 0 is a usage error: one line, exit code 2", async () => {
    const run = await bench(["--runs", "0"]);
    expect(run.code, run.output).toBe(2);
    expect(lines(run.output), run.output).toHaveLength(1);
  });

  it("refuses to run beside a running npm start: one line, exit code 2", async () => {
    const run = await bench([], workshopDir);
    await stopWorkshop();
    expect(run.code, run.output).toBe(2);
    expect(lines(run.output), run.output).toHaveLength(1);
    expect(run.output).toMatch(/npm start is running/);
  });

  it("a tiny real run prints every section, each figure beside its baseline as a ratio", {
    timeout: 240_000,
  }, async () => {
    const run = await realRun;
    expect(run.code, run.output).toBe(0);
    for (const heading of [
      "getcode under load: each step beside its bare baseline",
      "Queue Storage: enqueue through the sandbox, beside Azurite alone, by depth",
      "Token service and Key Vault calls during the measured load",
      "Sandbox start, with and without Queue Storage",
      "npm start: the launcher",
      "Start-up failures",
    ]) {
      expect(run.output).toContain(heading);
    }
    expect(run.output).toMatch(/step +req\/s +bare req\/s +ratio +target/);
    expect(run.output).toMatch(
      /step +p50 ms +bare +ratio +p99 ms +bare +ratio +CPU ms\/req +bare +ratio +RSS MB +bare +ratio/,
    );
    for (const step of ["01", "02", "03", "04"])
      expect(run.output).toMatch(new RegExp(`\\n +${step} .*[\\d.]+× +≥ 0\\.[68]× +(met|NOT MET)`));
    // A row per depth: the sandbox's msg/s beside Azurite's, their ratio, and the cost beside the first depth's.
    for (const depth of ["0", "50"])
      expect(run.output).toMatch(new RegExp(`\\n +${depth} +\\d+ +\\d+ +[\\d.]+× +[\\d.]+ +[\\d.]+×`));
    expect(run.output).toMatch(/sandbox enqueues at depth 0 +\d+ msg\/s +≥ 1000 +(met|NOT MET)/);
    expect(run.output).toMatch(/sandbox cost at depth 50 \/ at 0 +[\d.]+× +≤ 1\.5× +(met|NOT MET)/);
    expect(run.output).toMatch(/with \/ without +[\d.]+×/);
    expect(run.output).toMatch(/≤ 1500 +(met|NOT MET)/);
    expect(run.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
