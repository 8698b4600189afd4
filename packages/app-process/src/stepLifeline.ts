/**
 * Loaded into every step that `startStep` starts (`node --import`, given
 * through NODE_OPTIONS: environment only, the step's code does not change), so
 * that a step never outlives whoever started it (`npm start`, a test run),
 * however that one ended: Ctrl-C, a crash, `kill -9`. A step left behind would
 * keep its port, and the next `npm start` could not have it.
 *
 * - The step's stdin is a pipe from its starter, which never writes to it: it
 *   reaches end-of-file the moment the starter's process is gone, whatever
 *   ended it, on every operating system.
 * - As a fallback (on Linux and macOS), the parent's pid: an orphan gets a new
 *   parent, so a changed `process.ppid` means the starter is gone.
 *
 * Then the step gets SIGTERM, as App Service stops an app, and stops the way it
 * always does (terminateSelf: on Windows, its SIGTERM handlers). Its stdin is
 * also how a starter on Windows asks it to stop (askToStop in platform.ts).
 * Nothing here keeps the step alive or prints anything.
 */
import { terminateSelf } from "./platform.ts";

const PARENT_VARIABLE = "KEYLESS_STEP_PARENT";
const parent = Number(process.env[PARENT_VARIABLE]);

if (parent) {
  // The step's own children (if it ever starts any) are not the starter's: they must not inherit the lifeline.
  delete process.env[PARENT_VARIABLE];
  const self = new URL(import.meta.url).href;
  process.env["NODE_OPTIONS"] = (process.env["NODE_OPTIONS"] ?? "").replace(`--import ${self}`, "").trim();

  let gone = false;
  const starterGone = () => {
    if (gone) return;
    gone = true;
    clearInterval(poll);
    terminateSelf();
  };
  const poll = setInterval(() => {
    if (process.ppid !== parent) starterGone();
  }, 500).unref();

  const stdin = process.stdin as NodeJS.ReadStream & { unref?: () => void };
  stdin.on("end", starterGone);
  stdin.on("close", starterGone);
  stdin.on("error", starterGone);
  stdin.resume();
  stdin.unref?.();
  if (process.ppid !== parent) starterGone();
}
