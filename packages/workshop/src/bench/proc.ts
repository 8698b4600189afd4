/**
 * Processes and their memory, from /proc (Linux). Elsewhere every answer is
 * undefined, and the tables say "n/a".
 */
import { readFileSync, readdirSync } from "node:fs";

const onLinux = process.platform === "linux";

function status(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined; // it ended while we looked
  }
}

/** Resident memory of one process, in MB. */
export function rssMb(pid: number | undefined): number | undefined {
  if (!onLinux || !pid) return undefined;
  const kb = /VmRSS:\s+(\d+)/.exec(status(pid) ?? "")?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/**
 * CPU time a process has used so far (user and system), in ms. /proc counts it in clock
 * ticks, 100 a second on every Linux Node runs on.
 */
export function cpuMs(pid: number | undefined): number | undefined {
  if (!onLinux || !pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Every process's children, now. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(/PPid:\s+(\d+)/.exec(status(Number(entry)) ?? "")?.[1]);
    if (ppid) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  return children;
}

/** A process and all its descendants, now. */
export function processTree(pid: number): number[] {
  if (!onLinux) return [];
  const children = childrenByParent();
  const tree: number[] = [];
  const visit = (id: number) => {
    tree.push(id);
    for (const child of children.get(id) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/** Resident memory of a process and all its descendants, in MB, and how many processes that is. */
export function treeRss(pid: number | undefined): { mb: number; processes: number } | undefined {
  if (!onLinux || !pid) return undefined;
  const tree = processTree(pid).filter((id) => rssMb(id) !== undefined);
  return { mb: tree.reduce((sum, id) => sum + (rssMb(id) ?? 0), 0), processes: tree.length };
}

/** This process's children whose command line contains `text`. */
export function childrenRunning(text: string): number[] {
  if (!onLinux) return [];
  return (childrenByParent().get(process.pid) ?? []).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
    } catch {
      return false;
    }
  });
}
