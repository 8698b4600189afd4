/**
 * `npm start` leaves nothing behind: real launchers, real signals, real
 * faults. Each test starts its own workshop on free ports in a temporary
 * folder (KEYLESS_SANDBOX_DIR), so none collides with a learner's workshop or
 * with another test. Process trees are read from /proc (Linux only).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const WORKSHOP = fileURLToPath(new URL("..", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const FAULT = new URL("./fixtures/faultOnSignal.ts", import.meta.url).href;
const onLinux = process.platform === "linux";
/** How long the children may take to notice that the launcher is gone: a bound against hangs, not a speed target. */
const GONE_WITHIN_MS = 30_000;

interface Proc {
  readonly pid: number;
  /** Start time in clock ticks since boot: tells a process from a later one with the same pid. */
  readonly started: string;
  readonly command: string;
}

function stat(pid: number): { ppid: number; state: string; started: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", ppid: Number(fields[1]), started: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

/** A process and every process under it, now. */
function processTree(root: number): Proc[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = stat(Number(entry));
    if (info) children.set(info.ppid, [...(children.get(info.ppid) ?? []), Number(entry)]);
  }
  const tree: Proc[] = [];
  const visit = (pid: number) => {
    const info = stat(pid);
    if (!info) return;
    let command = "";
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    } catch {
      // ended meanwhile
    }
    tree.push({ pid, started: info.started, command });
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** Still running: the same process (not a later one with its pid), and not a zombie waiting to be reaped. */
function alive(proc: Proc): boolean {
  const info = stat(proc.pid);
  return info !== undefined && info.started === proc.started && info.state !== "Z";
}

async function survivorsAfter(tree: readonly Proc[], withinMs = GONE_WITHIN_MS): Promise<Proc[]> {
  const deadline = Date.now() + withinMs;
  while (tree.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return tree.filter(alive);
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

/**
 * A learner's terminal: this process's environment without what an outer npm (npm test, turbo) put there
 * for its own script (npm_config_local_prefix would send a nested npm to this package instead of the root).
 */
const environment = (dir: string, extra: Record<string, string> = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))),
  KEYLESS_SANDBOX_DIR: dir,
  NO_COLOR: "1",
  FORCE_COLOR: "0",
  ...extra,
});

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
  const child = options.viaNpm
    ? spawn("npm", ["start", "--", ...args], {
        cwd: REPO_ROOT,
        env: environment(dir, options.env),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      })
    : spawn(process.execPath, ["src/start.ts", ...args], {
        cwd: WORKSHOP,
        env: environment(dir, options.env),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
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
  let tree: Proc[] = [];
  const record = () => (tree = onLinux && child.pid ? processTree(child.pid) : []);
  child.stdout?.on("data", record);
  cleanups.push(async () => {
    for (const proc of tree.filter(alive)) process.kill(proc.pid, "SIGKILL");
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  return { child, dir, output: () => text, ready, exited };
}

/** Ready, with a launcher and the step in its process tree. */
async function readyTree(started: Launch): Promise<Proc[]> {
  await started.ready;
  const tree = processTree(started.child.pid ?? 0);
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
      "npm",
      ["run", "--silent", script, ...(args.length ? ["--", ...args] : [])],
      { cwd: REPO_ROOT, env: environment(dir) },
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

describe.skipIf(!onLinux)("the launcher stops everything it started", () => {
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
