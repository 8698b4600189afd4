/**
 * The launcher stops when whoever started it is gone. `npm start` runs it as
 * npm → a shell → the launcher, and npm passes a SIGTERM it gets to the shell
 * only: the shell ends, the launcher does not get the signal, and it would keep
 * every port. An orphan gets a new parent, so a changed `process.ppid` says the
 * shell is gone. Under an npm script, on Linux, npm itself is watched too (the
 * shell's parent), so that even `kill -9` of npm stops the launcher.
 */
import { readFileSync } from "node:fs";

/** The parent of another process, from /proc (Linux); undefined elsewhere or when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `onGone` once, soon after this process's parent (or, under npm, npm) is gone. */
export function watchParent(onGone: () => void, everyMs = 500): void {
  const parent = process.ppid;
  const npm = process.env["npm_lifecycle_event"] === undefined ? undefined : parentOf(parent);
  const timer = setInterval(() => {
    const gone = process.ppid !== parent || (npm !== undefined && parentOf(parent) !== npm);
    if (!gone) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  // The watch alone does not keep the launcher running.
  timer.unref();
}
