/**
 * The machine's temp folder, as it was before the setup file (isolate.ts) gave
 * each test file a temp folder of its own: kept in KEYLESS_TEST_MACHINE_TMPDIR
 * by the first file of each worker, and read by what must not live in a test
 * file's folder (the compile cache, kept between runs; the browser's socket).
 */
import { tmpdir } from "node:os";

const MACHINE_TMPDIR_VARIABLE = "KEYLESS_TEST_MACHINE_TMPDIR";

/** The machine's temp folder: the one remembered, else (before any file has set its own) os.tmpdir(). */
export function machineTempDir(): string {
  process.env[MACHINE_TMPDIR_VARIABLE] ??= tmpdir();
  return process.env[MACHINE_TMPDIR_VARIABLE];
}
