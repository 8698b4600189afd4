/**
 * `npm start` leaves nothing behind: real launchers, real signals, real
 * faults. Each test starts its own workshop on free ports in a temporary
 * folder (KEYLESS_SANDBOX_DIR), so none collides with a learner's workshop or
 * with another test. Process trees are read as the bench reads them
 * (@keyless/app-process); the signals sent exist on Linux and macOS only.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { processTree, readProcesses, type ProcessInfo } from "@keyless/app-process";
import { isAlive } from "@keyless/sandbox/processes";
import { afterEach, describe, expect, it } from "vitest";
import { learnerTerminal } from "@keyless/workshop";

const LAUNCHER_DIR = fileURLToPath(new URL("..", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const FAULT = new URL("./fixtures/faultOnSignal.ts", import.meta.url).href;
/** Windows has no signals between processes (nor SIGHUP or SIGUSR2 to send): those tests are for Linux and macOS. */
const withSignals = process.platform !== "win32";
/** npm is a batch file on Windows, which only a shell runs. */
const NPM = process.platform === "win32" ? { file: "npm.cmd", shell: true } : { file: "npm", shell: false };
/** How long the children may take to notice that the launcher is gone: a bound against hangs, not a speed target. */
const GONE_WITHIN_MS = 30_000;

/** The processes of `tree` that still run: alive (not a zombie), and the same program (not a later one given its pid). */
async function stillRunning(tree: readonly ProcessInfo[]): Promise<ProcessInfo[]> {
  const alive = tree.filter((proc) => isAlive(proc.pid));
  if (alive.length === 0) return [];
  const now = new Map((await readProcesses(alive.map((proc) => proc.pid))).map((info) => [info.pid, info.command]));
  return alive.filter((proc) => now.get(proc.pid) === proc.command);
}

async function survivorsAfter(tree: readonly ProcessInfo[], withinMs = GONE_WITHIN_MS): Promise<ProcessInfo[]> {
  const deadline = Date.now() + withinMs;
  let survivors = await stillRunning(tree);
  while (survivors.length > 0 && Date.now() < deadline) {
    await sleep(100);
    survivors = await stillRunning(tree);
  }
  return survivors;
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A temporary state folder for one workshop. */
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyless-lifecycle-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A learner's terminal (the workshop's learnerTerminal), with this state folder. */
const environment = (dir: string, extra: Record<string, string> = {}) =>
  learnerTerminal({ KEYLESS_SANDBOX_DIR: dir, NO_COLOR: "1", FORCE_COLOR: "0", ...extra });

interface Launch {
  readonly child: ChildProcess;
  readonly dir: string;
  output(): string;
  /** Settles once the ready table is printed. */
  readonly ready: Promise<void>;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Starts a workshop: the launcher itself, or `npm start` from the repository's root as a learner runs it. */
function launch(args: readonly string[], options: { viaNpm?: boolean; env?: Record<string, string> } = {}): Launch {
  const dir = stateDir();
  // Its own process group on Linux and macOS, as a terminal gives it, so that a signal here is the test's alone
  // (on Windows, detached would open a console window instead).
  const child = options.viaNpm
    ? spawn(NPM.file, ["start", "--", ...args], {
        cwd: REPO_ROOT,
        env: environment(dir, options.env),
        stdio: ["ignore", "pipe", "pipe"],
        detached: withSignals,
        shell: NPM.shell,
      })
    : spawn(process.execPath, ["src/start.ts", ...args], {
        cwd: LAUNCHER_DIR,
        env: environment(dir, options.env),
        stdio: ["ignore", "pipe", "pipe"],
        detached: withSignals,
      });
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", () => text.includes("Ctrl-C stops everything") && resolve());
    void exited.then(([code]) => reject(new Error(`npm start exited with ${code} before it was ready:\n${text}`)));
  });
  ready.catch(() => {});
  // Whatever a test leaves running, by pid: only what it started.
  let tree: ProcessInfo[] = [];
  const record = () => {
    if (child.pid) void processTree(child.pid).then((found) => (tree = found.length > 0 ? found : tree));
  };
  child.stdout?.on("data", record);
  cleanups.push(async () => {
    for (const proc of await stillRunning(tree)) process.kill(proc.pid, "SIGKILL");
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  return { child, dir, output: () => text, ready, exited };
}

/** Ready, with a launcher and the step in its process tree. */
async function readyTree(started: Launch): Promise<ProcessInfo[]> {
  await started.ready;
  const tree = await processTree(started.child.pid ?? 0);
  expect(
    tree.some((proc) => proc.command.includes("src/start.ts")),
    JSON.stringify(tree),
  ).toBe(true);
  expect(
    tree.some((proc) => proc.command.includes("src/server.ts")),
    JSON.stringify(tree),
  ).toBe(true);
  return tree;
}

interface Run {
  readonly code: number;
  readonly output: string;
}

/** A learner's command, `npm run <script> -- <args>`, from the repository's root. */
function npmRun(dir: string, script: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      NPM.file,
      ["run", "--silent", script, ...(args.length ? ["--", ...args] : [])],
      { cwd: REPO_ROOT, env: environment(dir), shell: NPM.shell },
      (error, stdout, stderr) => {
        // npm's own warnings about this machine's npm configuration are not the command's output.
        const output = (stdout + stderr)
          .split("\n")
          .filter((line) => line.trim() && !/^npm (warn|notice)/.test(line))
          .join("\n");
        resolve({ code: error ? Number(error.code ?? 1) : 0, output });
      },
    );
  });
}

/** Listens on a free port, as another program would, until the test ends. */
async function holdPort(): Promise<number> {
  const server: Server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

const STALE =
  /the sandbox is not running \(an npm start that did not stop cleanly left its endpoints file behind; removed now\)/i;

describe.skipIf(!withSignals)("the launcher stops everything it started", () => {
  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)(
    "%s to the launcher: every process it started ends, and endpoints.json is removed",
    async (signal) => {
      const started = launch(["--free-ports", "01"]);
      const tree = await readyTree(started);
      const file = join(started.dir, "endpoints.json");
      expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ pid: started.child.pid });

      started.child.kill(signal);
      const [code] = await started.exited;
      expect(code, started.output()).toBe(0);
      expect(await survivorsAfter(tree)).toEqual([]);
      expect(existsSync(file)).toBe(false);
    },
  );

  it("SIGTERM to npm start's npm process (not its group): no process it started survives", async () => {
    const started = launch(["01", "--free-ports"], { viaNpm: true });
    const tree = await readyTree(started);
    expect(tree[0]?.command).toMatch(/^npm/);

    process.kill(started.child.pid ?? 0, "SIGTERM");
    await started.exited;
    expect(await survivorsAfter(tree)).toEqual([]);
    expect(existsSync(join(started.dir, "endpoints.json"))).toBe(false);
  });

  it("an uncaught error in the launcher: one line, exit 1, every process it started ends, endpoints.json is removed", async () => {
    const started = launch(["--free-ports", "01"], { env: { NODE_OPTIONS: `--import ${FAULT}` } });
    const tree = await readyTree(started);

    started.child.kill("SIGUSR2");
    const [code] = await started.exited;
    expect(code).toBe(1);
    expect(started.output()).toMatch(
      /^✖ npm start stopped on an unexpected error: injected fault\. Run npm run doctor, then npm start again\.$/m,
    );
    expect(started.output()).not.toMatch(/\n\s+at /);
    expect(await survivorsAfter(tree)).toEqual([]);
    expect(existsSync(join(started.dir, "endpoints.json"))).toBe(false);
  });

  it("SIGKILL of the launcher: its steps end by themselves, and check, az and doctor call the file it left stale", async () => {
    const started = launch(["--free-ports", "01"]);
    const tree = await readyTree(started);
    const file = join(started.dir, "endpoints.json");

    started.child.kill("SIGKILL");
    await started.exited;
    expect(await survivorsAfter(tree)).toEqual([]);
    // Nothing could remove it: it stays, naming a launcher that is gone.
    const stale = readFileSync(file, "utf8");

    for (const [script, ...args] of [["check"], ["az", "account", "show"], ["doctor"]] as const) {
      writeFileSync(file, stale, { mode: 0o600 });
      const run = await npmRun(started.dir, script, ...args);
      const lines = run.output.split("\n").filter((line) => STALE.test(line));
      expect(lines, `${script}: ${run.output}`).toHaveLength(1);
      expect(lines[0]).toMatch(/npm start/);
      if (script !== "doctor") {
        // check: 2, like its other "not running" answers; az: 1, like every az error.
        expect(run.code, run.output).toBe(script === "az" ? 1 : 2);
        expect(run.output.split("\n"), `${script}: ${run.output}`).toHaveLength(1);
      }
      expect(run.output).not.toMatch(/checks failed/);
      expect(existsSync(file)).toBe(false);
    }
  });
});

describe("ports that are taken", () => {
  it("a busy step port: the ready table names the port and what to do, and the headline does not claim that everything runs", async () => {
    const port = await holdPort();
    const started = launch(["--free-ports", "--port", `01=${port}`, "01"]);
    await started.ready;
    const output = started.output();
    expect(output).toMatch(
      new RegExp(
        `step 01 +keys in code +✖ Not started\\. Port ${port} is in use by another program \\(.*${port} shows which\\): stop it, then npm run restart -- 01\\.`,
      ),
    );
    expect(output).toMatch(/keyless is running, but no step started/);
    expect(output).not.toMatch(/keyless is running \(ready/);
    // The step's own advice (set PORT) means nothing under npm start.
    expect(output).not.toMatch(/set PORT/);

    started.child.kill("SIGTERM");
    expect((await started.exited)[0]).toBe(0);
  });

  it("a busy sandbox port: one line naming the port, exit 1, nothing left", async () => {
    const port = await holdPort();
    const started = launch(["--free-ports", "--port", `vault=${port}`, "01"]);
    const [code] = await started.exited;
    expect(code, started.output()).toBe(1);
    const lines = started
      .output()
      .split("\n")
      .filter((line) => line.trim());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^✖ Port ${port} \\(Key Vault\\) is in use by another program \\(.*:${port} shows which\\): stop it, then npm start again\\.$`,
      ),
    );
    expect(existsSync(join(started.dir, "endpoints.json"))).toBe(false);
  });
});

describe("with nothing running", () => {
  it("npm run check says the sandbox is not running (exit 2), never 0 of 0 checks", async () => {
    const run = await npmRun(stateDir(), "check");
    expect(run.code).toBe(2);
    expect(run.output).toBe(
      "✖ The sandbox is not running: start it in another terminal with npm start, then try again.",
    );
  });
});
