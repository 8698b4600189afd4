/**
 * Runs before every test file, in its own process: the learner's own folders
 * are out of reach. Whatever the learner has done (solved exercises in
 * `workspace/`, an `npm start` running on `.sandbox/`), it never makes a test
 * fail, and no test grades, starts or resets it. Each test file gets an empty
 * workspace and an empty sandbox folder of its own, which every command and
 * launcher it runs inherits; a test that plays a learner passes its own.
 *
 * The file's temporary folder is its own too: the temp folder that `os.tmpdir()`
 * names, for the file and every process it starts, is inside the file's folder,
 * so whatever they make there (sandbox state, workspaces, browser profiles) goes
 * when the file ends, whether or not a test cleans up after itself.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll } from "vitest";
import { machineTempDir } from "./machineTemp.ts";

// The machine's temp folder, remembered by the worker's first file: files that run after it in the same worker
// (vitest's isolate: false) would otherwise read the folder of the file before, which is gone.
const machineTemp = machineTempDir();
const own = mkdtempSync(join(machineTemp, "keyless-test-"));
process.env["KEYLESS_WORKSPACE_DIR"] = join(own, "workspace");
process.env["KEYLESS_SANDBOX_DIR"] = join(own, "sandbox");
// One compile cache for every process the tests start (npm start's launcher, az, the steps), kept between runs:
// Node keys each entry by its file's content and its own version, and a process compiling the SDKs again costs
// about a quarter more CPU.
process.env["NODE_COMPILE_CACHE"] ??= join(machineTemp, "keyless-test-compile-cache");
// os.tmpdir() reads TMPDIR on Linux and macOS, TEMP and TMP on Windows.
const temp = mkdtempSync(join(own, "tmp-"));
for (const name of ["TMPDIR", "TEMP", "TMP"]) process.env[name] = temp;
// os.tmpdir() reads the process's real environment: if it did not follow, an earlier file in this worker replaced
// process.env with a plain object (`process.env = saved`), which no setting reaches any more.
if (tmpdir() !== temp)
  throw new Error("An earlier test file replaced process.env with a copy: change settings with vi.stubEnv instead.");

// Removed after the file's last hook (setup files' hooks run last: vitest runs "after" hooks as a stack), so
// that no run leaves its folders behind. An exit listener would not do: vitest ends its workers without
// their "exit" event, and each npm test left about a hundred folders (one with 100 MB of a sandbox) in tmp.
// Retried: a process the file stopped may still be closing its files in there (on Windows a file still open
// cannot be removed: EBUSY, EPERM), or write one more (ENOTEMPTY). Here, not with rmSync's own maxRetries: Node 24's
// rmSync waits between its tries in whole seconds only (retryDelay / 1000, rounded down), so not at all for 100 ms.
const RETRIED = new Set(["EBUSY", "EPERM", "ENOTEMPTY"]);
afterAll(async () => {
  for (let attempt = 1; ; attempt++) {
    try {
      rmSync(own, { recursive: true, force: true });
      return;
    } catch (error) {
      if (attempt === 5 || !RETRIED.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
      await sleep(attempt * 100);
    }
  }
});
