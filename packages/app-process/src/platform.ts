/**
 * What differs between Linux, macOS and Windows for the processes the workshop
 * starts and watches, decided here and nowhere else. Every choice takes the
 * platform as its last argument (process.platform unless told otherwise), so
 * that the tests run the Windows branch on any system.
 *
 * Windows has no signals between processes: Node turns `kill(pid, signal)`
 * into TerminateProcess, which ends that one process at once. A process there
 * gets SIGINT (Ctrl-C), SIGBREAK (Ctrl-Break) and SIGHUP (its console window
 * closed), never SIGTERM. There are no process groups, and an orphan keeps its
 * dead parent's pid as its ppid. `kill(pid, 0)` works everywhere.
 */
import { execFile, spawnSync, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import {
  PS_COLUMNS,
  WINDOWS_PROPERTIES,
  parsePsTable,
  parseWindowsTable,
  readProcTable,
  type ProcessInfo,
} from "./processTable.ts";

export type Platform = NodeJS.Platform;

const isWindows = (platform: Platform) => platform === "win32";

/** The signals that ask a long-running command (npm start, a benchmark) to stop: Ctrl-C, its terminal closing, `kill`. */
export function stopSignals(platform: Platform = process.platform): NodeJS.Signals[] {
  return isWindows(platform) ? ["SIGINT", "SIGBREAK", "SIGHUP"] : ["SIGINT", "SIGTERM", "SIGHUP"];
}

/**
 * What an app needs of its starter's environment to run at all, and nothing more (a fresh App
 * Service gives little else): PATH and HOME; on Windows, where Node cannot make a random number or
 * find the temporary folder without them, SYSTEMROOT, USERPROFILE, TEMP and TMP instead of HOME.
 */
export function baseEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: Platform = process.platform,
): Record<string, string> {
  const names = isWindows(platform) ? ["PATH", "SYSTEMROOT", "USERPROFILE", "TEMP", "TMP"] : ["PATH", "HOME"];
  return Object.fromEntries(names.map((name) => [name, env[name] ?? ""]));
}

/** The part of `process` terminateSelf uses (a test gives its own). */
export interface SelfProcess {
  readonly pid: number;
  kill(pid: number, signal: NodeJS.Signals): unknown;
  listenerCount(event: "SIGTERM"): number;
  emit(event: "SIGTERM", signal: NodeJS.Signals): unknown;
  exit(code: number): unknown;
}

/**
 * Stops this process as App Service stops an app, with SIGTERM, so that it stops the way it always
 * does: the real signal on Linux and macOS. On Windows a signal would end it at once, skipping its
 * handlers, so they are called here instead (the steps close their server in theirs); with none, it
 * exits with the code a shell reports for SIGTERM.
 */
export function terminateSelf(platform: Platform = process.platform, self: SelfProcess = process): void {
  if (!isWindows(platform)) self.kill(self.pid, "SIGTERM");
  else if (self.listenerCount("SIGTERM") > 0) self.emit("SIGTERM", "SIGTERM");
  else self.exit(143);
}

/**
 * How a starter asks an app it started with startStep to stop: SIGTERM on Linux and macOS; on
 * Windows, by closing the app's stdin, which its lifeline (stepLifeline.ts) reads as SIGTERM.
 */
export function askToStop(child: ChildProcess, platform: Platform = process.platform): void {
  if (isWindows(platform)) child.stdin?.end();
  else child.kill("SIGTERM");
}

/** The command that ends a process and every process under it at once, where a signal cannot: Windows' taskkill. */
export function treeKillCommand(pid: number, platform: Platform = process.platform): readonly string[] | undefined {
  return isWindows(platform) ? ["taskkill", "/pid", String(pid), "/T", "/F"] : undefined;
}

/**
 * Stops a command we started that stops its own children (npm start's launcher, a sandbox): with
 * `signal` on Linux and macOS, and it stops what it started in order; on Windows, taskkill ends it
 * and every process under it.
 */
export function stopTree(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
  platform: Platform = process.platform,
): void {
  const command = child.pid === undefined ? undefined : treeKillCommand(child.pid, platform);
  if (!command) {
    child.kill(signal);
    return;
  }
  const [file = "", ...args] = command;
  spawnSync(file, args, { stdio: "ignore", windowsHide: true });
}

/** How the learner finds out which program holds a port, on this system. */
export function whoHolds(port: number, platform: Platform = process.platform): string {
  return isWindows(platform) ? `netstat -ano | findstr :${port}` : `lsof -i :${port}`;
}

/** Whether os.loadavg() means anything: Windows has no load average (it answers zeros). */
export function hasLoadAverage(platform: Platform = process.platform): boolean {
  return !isWindows(platform);
}

/**
 * The program that lists processes (all, or the `pids` given), where /proc does not: `ps` on
 * macOS and other Unix systems, PowerShell's Win32_Process on Windows.
 */
export function processListCommand(
  pids: readonly number[] | undefined,
  platform: Platform = process.platform,
): readonly string[] {
  if (!isWindows(platform))
    return pids ? ["ps", "-o", PS_COLUMNS, "-p", pids.join(",")] : ["ps", "-A", "-o", PS_COLUMNS];
  const filter = pids ? ` -Filter "${pids.map((pid) => `ProcessId=${pid}`).join(" OR ")}"` : "";
  const query = `Get-CimInstance Win32_Process${filter} | Select-Object ${WINDOWS_PROPERTIES.join(",")} | ConvertTo-Json -Compress`;
  return ["powershell.exe", "-NoProfile", "-NonInteractive", "-Command", query];
}

/** The processes running now (those in `pids`, or all): /proc on Linux, the system's own program elsewhere. */
export async function readProcesses(
  pids?: readonly number[],
  platform: Platform = process.platform,
): Promise<ProcessInfo[]> {
  if (pids?.length === 0) return [];
  if (platform === "linux") return readProcTable(pids);
  const [file = "", ...args] = processListCommand(pids, platform);
  const stdout = await promisify(execFile)(file, args, { maxBuffer: 64 * 1024 * 1024, windowsHide: true }).then(
    (result) => result.stdout,
    // ps exits 1 when a pid asked for has ended: what it did print is still the answer.
    (error: { stdout?: string }) => error.stdout ?? "",
  );
  return isWindows(platform) ? parseWindowsTable(stdout) : parsePsTable(stdout);
}
