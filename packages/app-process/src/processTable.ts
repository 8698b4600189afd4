/**
 * The processes running now, as the system describes them: each one's parent,
 * resident memory, CPU time and command line. Read from /proc on Linux, from
 * `ps` on macOS, from PowerShell's Win32_Process on Windows (platform.ts
 * chooses); the parsers are here, apart, so each is tested on any system.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Resident memory (Windows: the working set), bytes; undefined when the system does not say (a kernel thread). */
  readonly rssBytes: number | undefined;
  /** CPU time used so far, user and system, ms. */
  readonly cpuMs: number | undefined;
  readonly command: string;
}

/** Linux: the processes asked for (every one when `pids` is undefined), from /proc. */
export function readProcTable(pids?: readonly number[]): ProcessInfo[] {
  const ids =
    pids ??
    readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  return ids.flatMap((pid) => {
    try {
      const read = (file: string) => readFileSync(join("/proc", String(pid), file), "utf8");
      return [parseProcEntry(pid, read("stat"), read("status"), read("cmdline"))];
    } catch {
      return []; // it ended while we looked
    }
  });
}

/** One process from its /proc files: `stat`, `status` and `cmdline`. */
export function parseProcEntry(pid: number, stat: string, status: string, cmdline: string): ProcessInfo {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses. utime and stime are fields 14 and 15,
  // in clock ticks: 100 a second on every Linux Node runs on.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return {
    pid,
    ppid: Number(fields[1]),
    rssBytes: kb === undefined ? undefined : Number(kb) * 1024,
    cpuMs: (Number(fields[11]) + Number(fields[12])) * 10,
    command: cmdline.replaceAll("\0", " ").trim(),
  };
}

/** The columns platform.ts asks `ps` for: the command last, as it may hold spaces. */
export const PS_COLUMNS = "pid=,ppid=,rss=,time=,command=";

/** `ps -o pid=,ppid=,rss=,time=,command=`: RSS in KB; CPU time as [[dd-]hh:]mm:ss[.cc] (macOS gives hundredths). */
export function parsePsTable(text: string): ProcessInfo[] {
  return text.split("\n").flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s?(.*)$/.exec(line);
    if (!match) return [];
    const [, pid = "", ppid = "", rss = "", time = "", command = ""] = match;
    return [{ pid: Number(pid), ppid: Number(ppid), rssBytes: Number(rss) * 1024, cpuMs: cpuTimeMs(time), command }];
  });
}

/** `[[dd-]hh:]mm:ss[.cc]` in ms; undefined when it is none of these. */
function cpuTimeMs(text: string): number | undefined {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  if (!match) return undefined;
  const [, days = "0", hours = "0", minutes = "0", seconds = "0"] = match;
  return Math.round(((Number(days) * 24 + Number(hours)) * 60 * 60 + Number(minutes) * 60 + Number(seconds)) * 1000);
}

/** The properties platform.ts asks Win32_Process for, as PowerShell's ConvertTo-Json writes them. */
export const WINDOWS_PROPERTIES = [
  "ProcessId",
  "ParentProcessId",
  "WorkingSetSize",
  "UserModeTime",
  "KernelModeTime",
  "CommandLine",
] as const;

interface Win32Process {
  readonly ProcessId?: number;
  readonly ParentProcessId?: number;
  /** Bytes. */
  readonly WorkingSetSize?: number | null;
  /** In units of 100 ns. */
  readonly UserModeTime?: number | null;
  readonly KernelModeTime?: number | null;
  readonly CommandLine?: string | null;
}

/** PowerShell's JSON for Win32_Process: an array, or one object when there is one process. */
export function parseWindowsTable(json: string): ProcessInfo[] {
  if (!json.trim()) return [];
  const parsed = JSON.parse(json) as Win32Process | Win32Process[];
  return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((entry) => {
    if (typeof entry.ProcessId !== "number") return [];
    const ticks = (entry.UserModeTime ?? 0) + (entry.KernelModeTime ?? 0);
    return [
      {
        pid: entry.ProcessId,
        ppid: entry.ParentProcessId ?? 0,
        rssBytes: entry.WorkingSetSize ?? undefined,
        cpuMs: entry.UserModeTime == null && entry.KernelModeTime == null ? undefined : ticks / 10_000,
        command: entry.CommandLine ?? "",
      },
    ];
  });
}

/** A process and every process under it, in `table`, the root first. */
export function treeOf(table: readonly ProcessInfo[], root: number): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const info of table) children.set(info.ppid, [...(children.get(info.ppid) ?? []), info]);
  const tree: ProcessInfo[] = [];
  // Once each: on Windows a pid is reused soon, so a "parent" may be younger than its child.
  const seen = new Set<number>();
  const visit = (info: ProcessInfo) => {
    if (seen.has(info.pid)) return;
    seen.add(info.pid);
    tree.push(info);
    for (const child of children.get(info.pid) ?? []) visit(child);
  };
  const top = table.find((info) => info.pid === root);
  if (top) visit(top);
  return tree;
}
