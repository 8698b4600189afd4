/**
 * The exercises: the learner writes a step's change themselves, in their own
 * app under `workspace/` (git-ignored). An exercise's start is the previous
 * step with short instructions written into the code where the change goes
 * (epicshop's 🐨 "do this" and 💰 "hint" comments); its solution is the step.
 * The instructions are kept once, in `packages/workshop/exercises/0N.json`, as
 * comment lines anchored to lines of the previous step: never a copy of a step.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createTwoFilesPatch } from "diff";
import type { StepNumber } from "@keyless/app-process";
import { REPO_ROOT, WORKSPACE_DIR } from "../layout/repo.ts";
import { findStep } from "../layout/stepFolders.ts";
import { UsageError } from "../terminal/usageError.ts";

/** The steps that have an exercise. */
export const EXERCISE_STEPS = ["02", "03", "04"] as const satisfies readonly StepNumber[];
export type ExerciseStep = (typeof EXERCISE_STEPS)[number];

/** Where a role is granted, named by what the lesson grants it on. */
export type RoleScope = "vault" | "queue";

export interface RoleGrant {
  readonly role: string;
  readonly scope: RoleScope;
}

/** Comment lines inserted before or after the one line that contains the anchor. */
export interface Instruction {
  readonly file: string;
  readonly before?: string;
  readonly after?: string;
  readonly lines: readonly string[];
}

export interface Exercise {
  readonly step: ExerciseStep;
  /** The step the learner starts from. */
  readonly from: StepNumber;
  readonly title: string;
  readonly goal: string;
  /** Files to open first, relative to the app's folder. */
  readonly open: readonly string[];
  /** What to do, in order, as `npm run exercise` prints it. */
  readonly todo: readonly string[];
  /** What the lesson grants the app's identity: the grader allows exactly these (or narrower scopes). */
  readonly roles: readonly RoleGrant[];
  readonly instructions: readonly Instruction[];
  /**
   * Files of the exercise's own step the learner is given whole: not the lesson, but what makes the problem's
   * first runs speak as the step does (its start-up error handling, which names the `az` fix of a refusal).
   */
  readonly given?: readonly string[];
  /** What the exercise says when the learner's app fails to start in a way the lesson foresees. */
  readonly startFailures?: readonly StartFailure[];
  /** Refusals by Azure the lesson teaches the app to answer: the grader makes each happen, and grades the answer. */
  readonly refusals?: readonly Refusal[];
}

/**
 * A refusal the lesson teaches the app to answer (Queue Storage refusing a send: 503, no code, a hint). The
 * grader makes Azure refuse the app's identity at the scope for one call (a deny assignment), and grades it.
 */
export interface Refusal {
  /** Where Azure refuses the app's identity: the vault or the queue. */
  readonly scope: RoleScope;
  /** What is refused, in the learner's words: "Queue Storage refused your app's send". */
  readonly what: string;
  /** The status the lesson answers with; its body carries an error and a hint, and no code. */
  readonly status: number;
  /** What to change when the answer is not the lesson's. */
  readonly fix: string;
}

/**
 * A start-up failure the lesson foresees, in the exercise's words: the app's own line (that of the step it
 * starts from) can say the opposite of the lesson ("AZURE_CLIENT_SECRET is not set ... Set it").
 */
export interface StartFailure {
  /** A regular expression over the app's "Did not start" line; its first group names what `{matched}` lists. */
  readonly match: string;
  /** What it means, in the exercise's words; `{matched}` is every first group found, comma-separated. */
  readonly says: string;
  /** What to do. */
  readonly fix: string;
}

/** An app's files, by path relative to its folder (`src/config.ts`, `.env`). */
export type Files = ReadonlyMap<string, string>;

const EXERCISES_DIR = join(REPO_ROOT, "packages", "workshop", "exercises");

export const isExerciseStep = (step: string): step is ExerciseStep =>
  (EXERCISE_STEPS as readonly string[]).includes(step);

/** Reads "3", "03" or "step-03" as an exercise, or says which steps have one. */
export function findExercise(text: string): Exercise {
  const { step } = findStep(text);
  if (!isExerciseStep(step)) {
    throw new UsageError(
      `Step ${step} has no exercise: exercises are ${EXERCISE_STEPS.join(", ")} (step 01 is the starting point, to read and run).`,
    );
  }
  return loadExercise(step);
}

export function loadExercise(step: ExerciseStep): Exercise {
  const exercise = JSON.parse(readFileSync(join(EXERCISES_DIR, `${step}.json`), "utf8")) as Exercise;
  if (exercise.step !== step) throw new Error(`exercises/${step}.json says it is exercise ${exercise.step}.`);
  return exercise;
}

/** The App Service app the learner's app runs as in the sandbox. */
export const workspaceAppName = (step: ExerciseStep) => `keyless-workspace-${step}`;

/** The learner's app for an exercise: `workspace/03-managed-identity`, named like the step it becomes. */
export function workspaceAppDir(step: ExerciseStep): string {
  return join(WORKSPACE_DIR, findStep(step).name);
}

/** The folder as the learner types it: relative to the repository when inside it. */
export function shownPath(path: string): string {
  const inRepo = relative(REPO_ROOT, path);
  return inRepo.startsWith("..") ? path : inRepo.replaceAll("\\", "/");
}

/** The exercises whose app exists in the workspace. */
export function existingWorkspaceApps(): ExerciseStep[] {
  return EXERCISE_STEPS.filter((step) => existsSync(join(workspaceAppDir(step), "src")));
}

/** A folder's files under `src/`, by relative path. */
function sourceFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const src = join(dir, "src");
  if (!existsSync(src)) return files;
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).replaceAll("\\", "/"), readFileSync(path, "utf8"));
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

/** The learner's app as the exercise compares it: its source, and a `.env` if it has one (a place a secret hides). */
export function workspaceFiles(dir: string): Map<string, string> {
  const files = sourceFiles(dir);
  if (existsSync(join(dir, ".env"))) files.set(".env", readFileSync(join(dir, ".env"), "utf8"));
  return files;
}

/** Inserts each instruction's lines next to its anchor, indented like it. Throws when an anchor is missing or not unique. */
export function applyInstructions(files: Files, instructions: readonly Instruction[]): Map<string, string> {
  const result = new Map(files);
  for (const instruction of instructions) {
    const text = result.get(instruction.file);
    if (text === undefined)
      throw new Error(`An instruction names ${instruction.file}, which the previous step does not have.`);
    const anchor = instruction.before ?? instruction.after;
    if (!anchor || (instruction.before && instruction.after))
      throw new Error(`An instruction for ${instruction.file} needs exactly one of before and after.`);
    const lines = text.split("\n");
    const found = lines.flatMap((line, index) => (line.includes(anchor) ? [index] : []));
    if (found.length !== 1)
      throw new Error(
        `The anchor "${anchor}" is in ${found.length} lines of ${instruction.file}: it must be in exactly one.`,
      );
    const at = found[0] ?? 0;
    const indent = /^\s*/.exec(lines[at] ?? "")?.[0] ?? "";
    const inserted = instruction.lines.map((line) => `${indent}${line}`);
    lines.splice(instruction.before ? at : at + 1, 0, ...inserted);
    result.set(instruction.file, lines.join("\n"));
  }
  return result;
}

/** Where the learner starts: the previous step's source, the files given from the step, and the instructions. */
export function problemFiles(exercise: Exercise): Map<string, string> {
  const files = sourceFiles(findStep(exercise.from).dir);
  const solution = solutionFiles(exercise);
  for (const file of exercise.given ?? []) {
    const text = solution.get(file);
    if (text === undefined)
      throw new Error(`exercises/${exercise.step}.json gives ${file}, which step ${exercise.step} does not have.`);
    files.set(file, text);
  }
  return applyInstructions(files, exercise.instructions);
}

/** The exercise's words for a start-up failure it foresees (`error`: the app's own sentence), or nothing. */
export function explainStartFailure(
  exercise: Exercise,
  error: string | undefined,
): { says: string; fix: string } | undefined {
  if (!error) return undefined;
  for (const failure of exercise.startFailures ?? []) {
    const found = [...error.matchAll(new RegExp(failure.match, "g"))].map((match) => match[1] ?? match[0]);
    if (found.length === 0) continue;
    return { says: failure.says.replace("{matched}", [...new Set(found)].join(", ")), fix: failure.fix };
  }
  return undefined;
}

/** The solution: the step's own source. */
export function solutionFiles(exercise: Exercise): Map<string, string> {
  return sourceFiles(findStep(exercise.step).dir);
}

/** Writes the learner's app: its files, and what makes it a runnable app of its own (package.json, tsconfig.json). */
export function createWorkspaceApp(exercise: Exercise): string {
  const dir = workspaceAppDir(exercise.step);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify(
      {
        name: workspaceAppName(exercise.step),
        private: true,
        description: `Your app for exercise ${exercise.step} (npm run exercise -- ${exercise.step}): step ${exercise.from}'s code, to change where the 🐨 comments say.`,
        type: "module",
        scripts: { start: "node src/server.ts" },
      },
      null,
      2,
    )}\n`,
  );
  const base = relative(dir, `${REPO_ROOT}tsconfig.base.json`).replaceAll("\\", "/");
  writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify({ extends: base, include: ["src"] }, null, 2)}\n`);
  linkDependencies();
  replaceFiles(dir, problemFiles(exercise));
  return dir;
}

/**
 * The learner's app finds its packages in the repository's node_modules, as the steps do. A workspace
 * outside the repository (a test's) gets a link to it.
 */
function linkDependencies(): void {
  if (!relative(REPO_ROOT, WORKSPACE_DIR).startsWith("..")) return;
  const link = join(WORKSPACE_DIR, "node_modules");
  // A junction on Windows, which any user may make (a symbolic link there takes an administrator); ignored elsewhere.
  if (!existsSync(link)) symlinkSync(join(REPO_ROOT, "node_modules"), link, "junction");
}

/** Makes the app's source (and `.env`) exactly `files`: writes each one, deletes any other. */
export function replaceFiles(dir: string, files: Files): void {
  for (const path of workspaceFiles(dir).keys()) if (!files.has(path)) rmSync(join(dir, path), { force: true });
  for (const [path, text] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    const current = existsSync(join(dir, path)) ? readFileSync(join(dir, path), "utf8") : undefined;
    // Unchanged files are not touched: the app restarts for a real change only.
    if (current !== text) writeFileSync(join(dir, path), text);
  }
}

/** A `.env` as it may be shown: every value masked, since a .env is where secrets hide. */
export function maskDotenv(text: string): string {
  return text.replace(
    /^(\s*(?:export\s+)?[\w.-]+\s*=\s*)(.+)$/gm,
    (_line, name: string, value: string) => `${name}${value.trim() ? "***" : ""}`,
  );
}

/** The unified diff from one set of files to another, git style. */
export function diffFiles(before: Files, after: Files): string {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths
    .filter((path) => before.get(path) !== after.get(path))
    .map((path) => {
      const old = before.get(path);
      const next = after.get(path);
      const patch = createTwoFilesPatch(
        old === undefined ? "/dev/null" : `a/${path}`,
        next === undefined ? "/dev/null" : `b/${path}`,
        old ?? "",
        next ?? "",
        undefined,
        undefined,
        {
          context: 3,
        },
      );
      // git's header instead of the library's line of "=", naming a file added or deleted as git does.
      const mode =
        old === undefined ? "new file mode 100644\n" : next === undefined ? "deleted file mode 100644\n" : "";
      return patch.replace(/^=+\n/, `diff --git a/${path} b/${path}\n${mode}`);
    })
    .join("");
}
