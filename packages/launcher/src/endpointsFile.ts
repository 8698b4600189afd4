/**
 * Writes `.sandbox/endpoints.json`, what the running `npm start` serves, for
 * the other commands (the workshop reads it: running/endpointsFile.ts there),
 * and removes it on every way out the launcher sees.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import type { LauncherFields } from "@keyless/workshop";

/** Writes the file whole (a reader never sees half of it), readable by its owner only: it holds keys. */
export function writeEndpointsFile(file: string, endpoints: Readonly<Record<string, unknown>>): void {
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, file);
}

/** Removes the file if this process wrote it. Synchronous: it also runs in `process.on("exit")`. */
export function removeOwnEndpointsFile(file: string): void {
  try {
    const { pid } = JSON.parse(readFileSync(file, "utf8")) as LauncherFields;
    if (pid === process.pid) unlinkSync(file);
  } catch {
    // gone already, or not ours
  }
}
