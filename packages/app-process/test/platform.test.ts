/**
 * Each choice platform.ts makes, for Linux, macOS and Windows alike: the
 * Windows branches are pure functions of the platform, run here on any system;
 * the ways an app is asked to stop run for real.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  askToStop,
  baseEnvironment,
  hasLoadAverage,
  processListCommand,
  readProcesses,
  startStep,
  stopSignals,
  terminateSelf,
  treeKillCommand,
  whoHolds,
  type SelfProcess,
} from "../src/index.ts";

const APP = fileURLToPath(new URL("./fixtures/app", import.meta.url));
const LIFELINE = new URL("../src/stepLifeline.ts", import.meta.url).href;

describe("what differs between systems", () => {
  it("the signals that mean stop: SIGTERM on Linux and macOS, Ctrl-Break on Windows (which never raises SIGTERM)", () => {
    expect(stopSignals("linux")).toEqual(["SIGINT", "SIGTERM", "SIGHUP"]);
    expect(stopSignals("darwin")).toEqual(["SIGINT", "SIGTERM", "SIGHUP"]);
    expect(stopSignals("win32")).toEqual(["SIGINT", "SIGBREAK", "SIGHUP"]);
  });

  it("an app's base environment: what Node needs on each system, nothing else", () => {
    const env = {
      PATH: "/bin",
      HOME: "/home/ada",
      SYSTEMROOT: "C:\\Windows",
      USERPROFILE: "C:\\Users\\ada",
      SECRET: "x",
    };
    expect(baseEnvironment(env, "linux")).toEqual({ PATH: "/bin", HOME: "/home/ada" });
    expect(baseEnvironment(env, "win32")).toEqual({
      PATH: "/bin",
      SYSTEMROOT: "C:\\Windows",
      USERPROFILE: "C:\\Users\\ada",
      TEMP: "",
      TMP: "",
    });
  });

  it("a process tree ends with taskkill on Windows; elsewhere the process stops its own children", () => {
    expect(treeKillCommand(4242, "win32")).toEqual(["taskkill", "/pid", "4242", "/T", "/F"]);
    expect(treeKillCommand(4242, "linux")).toBeUndefined();
    expect(treeKillCommand(4242, "darwin")).toBeUndefined();
  });

  it("who holds a port, in the learner's own system's words", () => {
    expect(whoHolds(8443, "win32")).toBe("netstat -ano | findstr :8443");
    expect(whoHolds(8443, "linux")).toBe("lsof -i :8443");
  });

  it("the processes, from ps on macOS and from PowerShell on Windows (Linux reads /proc)", () => {
    expect(processListCommand(undefined, "darwin")).toEqual(["ps", "-A", "-o", "pid=,ppid=,rss=,time=,command="]);
    expect(processListCommand([7, 8], "darwin")).toEqual(["ps", "-o", "pid=,ppid=,rss=,time=,command=", "-p", "7,8"]);
    const [file, ...args] = processListCommand([7, 8], "win32");
    expect(file).toBe("powershell.exe");
    expect(args.at(-1)).toBe(
      'Get-CimInstance Win32_Process -Filter "ProcessId=7 OR ProcessId=8" | Select-Object ProcessId,ParentProcessId,WorkingSetSize,UserModeTime,KernelModeTime,CommandLine | ConvertTo-Json -Compress',
    );
  });

  it("a load average, except on Windows", () => {
    expect(hasLoadAverage("linux")).toBe(true);
    expect(hasLoadAverage("win32")).toBe(false);
  });
});

describe("terminateSelf: an app stops as App Service stops it, with SIGTERM", () => {
  const fake = (listeners: number) => {
    const calls: string[] = [];
    const self: SelfProcess = {
      pid: 42,
      kill: (pid, signal) => calls.push(`kill ${pid} ${signal}`),
      listenerCount: () => listeners,
      emit: (event) => calls.push(`emit ${event}`),
      exit: (code) => calls.push(`exit ${code}`),
    };
    return { self, calls };
  };

  it("on Linux and macOS, the real signal", () => {
    const { self, calls } = fake(1);
    terminateSelf("linux", self);
    expect(calls).toEqual(["kill 42 SIGTERM"]);
  });

  it("on Windows, its own SIGTERM handlers (a signal would end it at once), or an exit without any", () => {
    const handled = fake(1);
    terminateSelf("win32", handled.self);
    expect(handled.calls).toEqual(["emit SIGTERM"]);
    const unhandled = fake(0);
    terminateSelf("win32", unhandled.self);
    expect(unhandled.calls).toEqual(["exit 143"]);
  });
});

describe("asking an app to stop: it runs its own SIGTERM handler either way", () => {
  /** The fixture app with the lifeline, as startStep starts a step. */
  async function startApp() {
    const child = spawn(process.execPath, ["src/server.ts"], {
      cwd: APP,
      env: { ...baseEnvironment(), NODE_OPTIONS: `--import ${LIFELINE}`, KEYLESS_STEP_PARENT: String(process.pid) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await new Promise<void>((resolve) => {
      child.stdout.on("data", () => output.includes("listening on") && resolve());
    });
    return { child, output: () => output };
  }

  it.each(["linux", "win32"] as const)("as on %s", async (platform) => {
    const app = await startApp();
    const exited = once(app.child, "exit");
    askToStop(app.child, platform);
    const [code] = await exited;
    expect(app.output()).toContain("SIGTERM: closing");
    expect(code).toBe(0);
  });

  it("startStep gives the app's URL and pid, and stop() ends it", async () => {
    const running = await startStep({ dir: APP, env: {} });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(running.url)).text()).toBe("ok");
    expect(running.pid).toBeGreaterThan(0);
    await running.stop();
    expect(running.output()).toContain("SIGTERM: closing");
    expect(await readProcesses([running.pid ?? 0])).toEqual([]);
  });
});
