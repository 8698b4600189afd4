/**
 * The learner's progress through the exercises, in `workspace/.progress.json`
 * (git-ignored, beside their apps): `npm start` and `npm run reset` leave it
 * alone, so it lasts as long as the learner's own work does.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { workspaceDir } from "../layout/repo.ts";
import type { ExerciseStep } from "./exercises.ts";

export interface ExerciseProgress {
  /** When `npm run exercise` created (or `--reset` re-created) the learner's app. */
  readonly startedAt?: string;
  /** When `npm run check` last graded it, and what it said. */
  readonly checkedAt?: string;
  readonly checkPassed?: boolean;
  /** When it first passed its check since it was started. */
  readonly passedAt?: string;
  /** When `--solve` applied the solution: a pass after it is the solution's, not the learner's. */
  readonly solvedAt?: string;
  /** A digest of the app's files (its source and .env) at its last passing check: `npm run progress` tells when they changed since. */
  readonly passedCode?: string;
}

export type Progress = Partial<Record<ExerciseStep, ExerciseProgress>>;

/** `.progress.json` in the learner's workspace (`workspaceDir`, read at each call as it is). */
export function progressFile(): string {
  return join(workspaceDir(), ".progress.json");
}

export function readProgress(file = progressFile()): Progress {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Progress;
  } catch {
    return {};
  }
}

/** Changes one exercise's entry; written whole, so a reader never sees half a file. */
export function updateProgress(
  step: ExerciseStep,
  change: (entry: ExerciseProgress) => ExerciseProgress,
  file = progressFile(),
): void {
  const progress = readProgress(file);
  progress[step] = change(progress[step] ?? {});
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(progress, null, 2)}\n`);
  renameSync(partial, file);
}

/** Started, or started again: whatever happened before belongs to the earlier attempt. */
export const started = (): ExerciseProgress => ({ startedAt: new Date().toISOString() });

/** A check's verdict: `code` is the digest of the files it graded (see `codeDigest`). */
export function checked(entry: ExerciseProgress, passed: boolean, code?: string): ExerciseProgress {
  const now = new Date().toISOString();
  return {
    ...entry,
    checkedAt: now,
    checkPassed: passed,
    ...(passed && !entry.passedAt ? { passedAt: now } : {}),
    ...(passed && code ? { passedCode: code } : {}),
  };
}

/** A short digest of an app's files, by path: equal digests, the same code and settings. */
export function codeDigest(files: ReadonlyMap<string, string>): string {
  const hash = createHash("sha256");
  for (const [path, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(`${path}\0${text}\0`);
  return hash.digest("hex").slice(0, 16);
}
