/**
 * The launcher stops when whoever started it is gone. `npm start` runs it as
 * npm → a shell → the launcher, and npm passes a SIGTERM it gets to the shell
 * only: the shell ends, the launcher does not get the signal, and it would keep
 * every port. So its parent is watched, and under an npm script npm itself too
 * (the shell's parent), so that even `kill -9` of npm stops the launcher.
 *
 * Gone means: no longer running (`kill(pid, 0)`, on every system), or, on
 * Linux and macOS, no longer this process's parent (an orphan gets a new one;
 * on Windows an orphan keeps its dead parent's pid as its ppid).
 */
import { parentOf } from "@keyless/app-process";
import { isAlive } from "@keyless/sandbox/processes";

/** Calls `onGone` once, soon after this process's parent (or, under npm, npm) is gone. */
export function watchParent(onGone: () => void, everyMs = 500): void {
  const parent = process.ppid;
  let npm: number | undefined;
  // npm's pid, asked of the system once (on Windows that runs PowerShell: never in the way of the start).
  if (process.env["npm_lifecycle_event"] !== undefined)
    void parentOf(parent).then(
      (pid) => {
        npm = pid;
      },
      () => {},
    );
  const timer = setInterval(() => {
    const gone = process.ppid !== parent || !isAlive(parent) || (npm !== undefined && !isAlive(npm));
    if (!gone) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  // The watch alone does not keep the launcher running.
  timer.unref();
}
