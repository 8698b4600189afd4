import { readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo.ts";
import { UsageError } from "../terminal/usageError.ts";

/**
 * The steps that exist in this checkout, found from the `steps/NN-name`
 * folders, so that lessons, diffs and scans follow the repository as it grows.
 */
export interface StepFolder {
  /** "01", "02", ... */
  readonly step: string;
  /** The folder's name, e.g. `02-key-vault`. */
  readonly name: string;
  /** The folder's absolute path. */
  readonly dir: string;
}

export function stepFolders(stepsRoot = join(REPO_ROOT, "steps")): StepFolder[] {
  return readdirSync(stepsRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d{2}-/.test(entry.name))
    .map((entry) => ({ step: entry.name.slice(0, 2), name: entry.name, dir: join(stepsRoot, entry.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A step's folder, e.g. `<repo>/steps/03-managed-identity`. */
export function stepDir(step: string): string {
  return findStep(step).dir;
}

/** Reads "3", "03" or "step-03" as a step of this checkout, or explains which steps there are. */
export function findStep(text: string, folders = stepFolders()): StepFolder {
  const digits = text.replace(/^step-?/i, "").padStart(2, "0");
  const folder = folders.find((candidate) => candidate.step === digits);
  if (!folder)
    throw new UsageError(`No step ${text}. Steps: ${folders.map((candidate) => candidate.step).join(", ")}.`);
  return folder;
}
