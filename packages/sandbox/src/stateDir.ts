/**
 * Where the sandbox keeps its state (`state.db`, its CA, its audit log): the
 * folder in KEYLESS_SANDBOX_DIR, else `.sandbox/` at the repository's root.
 * npm start, `az`, reset and the runner all find it here.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The state folder in this environment (a process's, or the one an in-process `az` was given). Read at each call,
 * never when a module loads: a test worker runs one file after another in one module registry, each with a
 * KEYLESS_SANDBOX_DIR of its own (packages/test-config), and a folder read once would put a later file's sandbox in
 * the first file's folder, after that file had removed it.
 */
export function sandboxStateDir(env: Readonly<Record<string, string | undefined>>): string {
  return env["KEYLESS_SANDBOX_DIR"] ?? join(REPO_ROOT, ".sandbox");
}
