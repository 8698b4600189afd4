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

const own = mkdtempSync(join(tmpdir(), "keyless-test-"));
process.env["KEYLESS_WORKSPACE_DIR"] = join(own, "workspace");
process.env["KEYLESS_SANDBOX_DIR"] = join(own, "sandbox");
// One compile cache for every process the tests start (npm start's launcher, az, the steps), kept between runs:
// Node keys each entry by its file's content and its own version, and a process compiling the SDKs again costs
// about a quarter more CPU.
process.env["NODE_COMPILE_CACHE"] ??= join(tmpdir(), "keyless-test-compile-cache");

// A worker that runs several files (a package with `isolate: false`) runs this before each: one exit
// listener removes every file's folders.
const registry = globalThis as { keylessTestFolders?: string[] };
if (!registry.keylessTestFolders) {
  const folders: string[] = [];
  registry.keylessTestFolders = folders;
  process.once("exit", () => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
}
registry.keylessTestFolders.push(own);
