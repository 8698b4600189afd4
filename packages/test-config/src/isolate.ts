/**
 * Runs before every test file, in its own process: the learner's own folders
 * are out of reach. Whatever the learner has done (solved exercises in
 * `workspace/`, an `npm start` running on `.sandbox/`), it never makes a test
 * fail, and no test grades, starts or resets it. Each test file gets an empty
 * workspace and an empty sandbox folder of its own, which every command and
 * launcher it runs inherits; a test that plays a learner passes its own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const own = mkdtempSync(join(tmpdir(), "keyless-test-"));
process.env["KEYLESS_WORKSPACE_DIR"] = join(own, "workspace");
process.env["KEYLESS_SANDBOX_DIR"] = join(own, "sandbox");
// One compile cache for every process the tests start (npm start's launcher, az, the steps), kept between runs:
// Node keys each entry by its file's content and its own version, and a process compiling the SDKs again costs
// about a quarter more CPU.
process.env["NODE_COMPILE_CACHE"] ??= join(tmpdir(), "keyless-test-compile-cache");

// Removed after the file's last hook (setup files' hooks run last: vitest runs "after" hooks as a stack), so
// that no run leaves its folders behind. An exit listener would not do: vitest ends its workers without
// their "exit" event, and each npm test left about a hundred folders (one with 100 MB of a sandbox) in tmp.
afterAll(() => rmSync(own, { recursive: true, force: true }));
