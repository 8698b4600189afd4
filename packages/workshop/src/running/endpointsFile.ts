/**
 * `.sandbox/endpoints.json`: what the running `npm start` serves, for the other
 * commands (npm start's launcher writes it: packages/launcher, endpointsFile.ts).
 * It exists only while `npm start` runs: the launcher removes it on
 * every way out it sees. When it cannot (it was killed with SIGKILL, the
 * machine lost power), the file names a launcher that is gone: the pid in it is
 * dead, or nothing answers on its control endpoint. Readers call that stale,
 * remove it, and say that the sandbox is not running.
 */
import { readFileSync, unlinkSync } from "node:fs";
import { isAlive } from "@keyless/sandbox/processes";

/** The launcher's own fields, beside the sandbox's endpoints. */
export interface LauncherFields {
  /** The launcher's process id: when it is gone, the file is stale. */
  readonly pid?: number;
}

export type EndpointsFile =
  | { readonly state: "none" }
  /** Left by a launcher that is gone; removed now. */
  | { readonly state: "stale" }
  | {
      readonly state: "found";
      readonly endpoints: Readonly<Record<string, unknown>> & LauncherFields;
      readonly text: string;
    };

/** Reads the file; removes it when it names a launcher that is gone. */
export function readEndpointsFile(file: string): EndpointsFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { state: "none" };
  }
  let endpoints: Readonly<Record<string, unknown>> & LauncherFields;
  try {
    endpoints = JSON.parse(text) as typeof endpoints;
  } catch {
    // The launcher writes the file whole (rename), so a torn file is a leftover.
    removeIfUnchanged(file, text);
    return { state: "stale" };
  }
  if (typeof endpoints.pid === "number" && !isAlive(endpoints.pid)) {
    removeIfUnchanged(file, text);
    return { state: "stale" };
  }
  return { state: "found", endpoints, text };
}

/** Removes the file if it still holds `text`: a new `npm start` may have written its own meanwhile. */
export function removeIfUnchanged(file: string, text: string): void {
  try {
    if (readFileSync(file, "utf8") === text) unlinkSync(file);
  } catch {
    // already gone
  }
}
