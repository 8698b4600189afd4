import { readFileSync } from "node:fs";

/**
 * Whether a process runs. A zombie (ended, not yet reaped by its parent) does
 * not, though `kill(pid, 0)` still finds it: on Linux its state in /proc says
 * so. Elsewhere `kill(pid, 0)` is the answer.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it runs, as someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  if (process.platform !== "linux") return true;
  try {
    // /proc/<pid>/stat: "pid (comm) state ...", and comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
