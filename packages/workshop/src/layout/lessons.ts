/**
 * The lessons, found rather than listed: each is one `docs/NN-name.md`, with
 * its runnable step in `steps/NN-name/` when it has one, and its exercise's
 * data in `packages/workshop/exercises/NN.json` when it has one. Adding a
 * lesson adds those files; the commands, the grader and the site follow.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo.ts";
import { stepFolders, type StepFolder } from "./stepFolders.ts";

export interface LessonEntry {
  /** "05" */
  readonly number: string;
  /** The lesson's file name without `.md`: `05-ship-it`. */
  readonly name: string;
  /** Its first heading, without the "Step 05 · " in front: "Ship it without a secret". */
  readonly title: string;
  /** Its runnable step, if it has one. */
  readonly step?: StepFolder;
  /** Whether it has an exercise (`exercises/NN.json`). */
  readonly hasExercise: boolean;
}

const DOCS_DIR = join(REPO_ROOT, "docs");
const EXERCISES_DIR = join(REPO_ROOT, "packages", "workshop", "exercises");

/** Every numbered lesson, in order. */
export function lessons(docsDir = DOCS_DIR): LessonEntry[] {
  const steps = stepFolders();
  return readdirSync(docsDir)
    .filter((file) => /^\d{2}-.+\.md$/.test(file))
    .sort()
    .map((file) => {
      const number = file.slice(0, 2);
      const heading = /^#\s+(.+)$/m.exec(readFileSync(join(docsDir, file), "utf8"))?.[1] ?? file;
      const step = steps.find((folder) => folder.step === number);
      return {
        number,
        name: file.replace(/\.md$/, ""),
        title: heading.replace(/^Step \d{2}\s*·\s*/, "").trim(),
        ...(step ? { step } : {}),
        hasExercise: existsSync(join(EXERCISES_DIR, `${number}.json`)),
      };
    });
}

/** A lesson's folder name (`03-managed-identity`): its step's, or its lesson file's when it has no step. */
export function lessonName(number: string): string {
  const step = stepFolders().find((folder) => folder.step === number);
  if (step) return step.name;
  const lesson = lessons().find((candidate) => candidate.number === number);
  if (!lesson) throw new Error(`No lesson ${number}: docs/ has no ${number}-*.md.`);
  return lesson.name;
}
