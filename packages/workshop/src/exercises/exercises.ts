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
import { z } from "zod";
import { REPO_ROOT, workspaceDir } from "../layout/repo.ts";
import { lessonName } from "../layout/lessons.ts";
import { findStep } from "../layout/stepFolders.ts";
import { UsageError } from "../terminal/usageError.ts";

/** An exercise's number: its lesson's, "02". Exercises are found, never listed: see exerciseSteps(). */
export type ExerciseStep = string;

const stepNumber = z.string().regex(/^\d{2}$/, "two digits, as the lesson's number: 05");
const nonEmpty = z.string().min(1);

const roleScope = z.enum(["vault", "queue"]);
/** Where a role is granted, named by what the lesson grants it on. */
export type RoleScope = z.infer<typeof roleScope>;

const roleGrant = z.strictObject({ role: nonEmpty, scope: roleScope });
export type RoleGrant = z.infer<typeof roleGrant>;

/** Comment lines inserted before or after the one line that contains the anchor. */
const instruction = z.strictObject({
  file: nonEmpty,
  before: nonEmpty.optional(),
  after: nonEmpty.optional(),
  lines: z.array(z.string()).min(1),
});
export type Instruction = z.infer<typeof instruction>;

/**
 * A refusal the lesson teaches the app to answer (Queue Storage refusing a send: 503, no code, a hint). The
 * grader makes Azure refuse the app's identity at the scope for one call (a deny assignment), and grades it.
 */
const refusal = z.strictObject({
  /** Where Azure refuses the app's identity: the vault or the queue. */
  scope: roleScope,
  /** What is refused, in the learner's words: "Queue Storage refused your app's send". */
  what: nonEmpty,
  /** The status the lesson answers with; its body carries an error and a hint, and no code. */
  status: z.int().min(400).max(599),
  /** What to change when the answer is not the lesson's. */
  fix: nonEmpty,
});
export type Refusal = z.infer<typeof refusal>;

/**
 * A start-up failure the lesson foresees, in the exercise's words: the app's own line (that of the step it
 * starts from) can say the opposite of the lesson ("AZURE_CLIENT_SECRET is not set ... Set it").
 */
const startFailure = z.strictObject({
  /** A regular expression over the app's "Did not start" line; its first group names what `{matched}` lists. */
  match: nonEmpty,
  /** What it means, in the exercise's words; `{matched}` is every first group found, comma-separated. */
  says: nonEmpty,
  /** What to do. */
  fix: nonEmpty,
});
export type StartFailure = z.infer<typeof startFailure>;

/** What every exercise has: its number, title, goal, the files to open first, and what to do. */
const common = {
  step: stepNumber,
  title: nonEmpty,
  goal: nonEmpty,
  /** Files to open first, relative to the learner's folder. */
  open: z.array(nonEmpty),
  /** What to do, in order, as `npm run exercise` prints it. */
  todo: z.array(nonEmpty).min(1),
};

/** An exercise whose answer is an app (02 to 04): the previous step with 🐨, run by npm start, graded by what it does. */
const appExercise = z.strictObject({
  ...common,
  kind: z.literal("app"),
  /** The step the learner starts from; the exercise's own step is the solution. */
  from: stepNumber,
  /** How the solution signs in to Azure: with its client secret (from the settings), or its managed identity. */
  signIn: z.enum(["clientSecret", "managedIdentity"]),
  /** What the grader says to do when the third party's key is still in the code (a default otherwise). */
  keyInCodeFix: nonEmpty.optional(),
  /** What the lesson grants the app's identity: the grader allows exactly these (or narrower scopes). */
  roles: z.array(roleGrant),
  instructions: z.array(instruction),
  /**
   * Files of the exercise's own step the learner is given whole: not the lesson, but what makes the problem's
   * first runs speak as the step does (its start-up error handling, which names the `az` fix of a refusal).
   */
  given: z.array(nonEmpty).optional(),
  /** What the exercise says when the learner's app fails to start in a way the lesson foresees. */
  startFailures: z.array(startFailure).optional(),
  /** Refusals by Azure the lesson teaches the app to answer: the grader makes each happen, and grades the answer. */
  refusals: z.array(refusal).optional(),
});

/**
 * An exercise whose answer is a deployment (05): a workflow file of the learner's, a federated credential and a
 * role they make, rehearsed with `npm run pipeline`; graded from what the sandbox saw.
 */
const pipelineExercise = z.strictObject({
  ...common,
  kind: z.literal("pipeline"),
  /** The workflow the learner's copy is made from (relative to the repository), and the lines taken out of it. */
  workflow: z.strictObject({
    from: nonEmpty,
    /** The learner's copy, in their folder. */
    file: nonEmpty,
    /** Whole lines of `from` taken out (one, or several in a row), each replaced by 🐨 comment lines that say what goes there. */
    removed: z.array(z.strictObject({ text: nonEmpty, lines: z.array(z.string()).min(1) })),
  }),
  /** The app registration the workflow signs in as (the learner gives it a credential and a role), and its branch. */
  deployer: nonEmpty,
  branch: nonEmpty,
  /** The web app the workflow deploys to, which the template provisioned. */
  site: nonEmpty,
  /** The roles that may deploy code to it, narrowest first: anything else is named as wider than needed. */
  deployRoles: z.array(nonEmpty).min(1),
});

const exerciseSchema = z.discriminatedUnion("kind", [appExercise, pipelineExercise]);
export type Exercise = z.infer<typeof exerciseSchema>;
export type AppExercise = z.infer<typeof appExercise>;
export type PipelineExercise = z.infer<typeof pipelineExercise>;

/** An app's files, by path relative to its folder (`src/config.ts`, `.env`). */
export type Files = ReadonlyMap<string, string>;

export const EXERCISES_DIR = join(REPO_ROOT, "packages", "workshop", "exercises");

/** The exercises there are: one `NN.json` each in packages/workshop/exercises, in lesson order. */
export function exerciseSteps(dir = EXERCISES_DIR): ExerciseStep[] {
  return readdirSync(dir)
    .filter((name) => /^\d{2}\.json$/.test(name))
    .map((name) => name.slice(0, 2))
    .sort();
}

/** The exercises whose answer is an app npm start runs (02 to 04). */
export const appExerciseSteps = (): ExerciseStep[] =>
  exerciseSteps().filter((step) => loadExercise(step).kind === "app");

/** The lesson has the app send to the queue (its roles include one on it): the grader watches each send. */
export const sendsToQueue = (exercise: AppExercise): boolean => exercise.roles.some((role) => role.scope === "queue");

export const isExerciseStep = (step: string): step is ExerciseStep => exerciseSteps().includes(step);

/** Reads "3", "03" or "step-03" as an exercise, or says which lessons have one. */
export function findExercise(text: string): Exercise {
  const step = text.replace(/^(step|lesson|exercise)-?/i, "").padStart(2, "0");
  if (!isExerciseStep(step)) {
    throw new UsageError(
      `Lesson ${step} has no exercise: exercises are ${exerciseSteps().join(", ")} (lesson 01 is the starting point, to read and run).`,
    );
  }
  return loadExercise(step);
}

/** An exercise's data, checked: a mistake in the file is named by file and field, before anything runs. */
export function loadExercise(step: ExerciseStep, dir = EXERCISES_DIR): Exercise {
  const file = `exercises/${step}.json`;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(dir, `${step}.json`), "utf8"));
  } catch (error) {
    throw new Error(`${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  const parsed = exerciseSchema.safeParse(data);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const field = issue?.path.join(".") || "(the file)";
    throw new Error(`${file}: ${field}: ${issue?.message ?? "invalid"}`);
  }
  const exercise = parsed.data;
  if (exercise.step !== step) throw new Error(`${file}: step: it says it is exercise ${exercise.step}.`);
  if (exercise.kind === "app")
    for (const [index, one] of exercise.instructions.entries())
      if (!one.before === !one.after)
        throw new Error(`${file}: instructions.${index}: needs exactly one of before and after.`);
  return exercise;
}

/** The app exercise of that number, for what runs an app (npm start, the grader of apps). */
export function loadAppExercise(step: ExerciseStep): AppExercise {
  const exercise = loadExercise(step);
  if (exercise.kind !== "app") throw new UsageError(`Exercise ${step} has no app: it is graded from a deployment.`);
  return exercise;
}

/** The App Service app the learner's app runs as in the sandbox. */
export const workspaceAppName = (step: ExerciseStep) => `keyless-workspace-${step}`;

/**
 * The learner's folder for an exercise: `workspace/03-managed-identity`, named like the step it becomes, or for
 * an exercise with no step of its own, like its lesson (`workspace/05-ship-it`).
 */
export function workspaceAppDir(step: ExerciseStep): string {
  return join(workspaceDir(), lessonName(step));
}

/** The folder as the learner types it: relative to the repository when inside it. */
export function shownPath(path: string): string {
  const inRepo = relative(REPO_ROOT, path);
  return inRepo.startsWith("..") ? path : inRepo.replaceAll("\\", "/");
}

/** The exercises whose app exists in the workspace. */
export function existingWorkspaceApps(): ExerciseStep[] {
  return appExerciseSteps().filter((step) => existsSync(join(workspaceAppDir(step), "src")));
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
export function problemFiles(exercise: AppExercise): Map<string, string> {
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
  exercise: AppExercise,
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
export function solutionFiles(exercise: AppExercise): Map<string, string> {
  return sourceFiles(findStep(exercise.step).dir);
}

/** Writes the learner's app: its files, and what makes it a runnable app of its own (package.json, tsconfig.json). */
export function createWorkspaceApp(exercise: AppExercise): string {
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
  const workspace = workspaceDir();
  if (!relative(REPO_ROOT, workspace).startsWith("..")) return;
  const link = join(workspace, "node_modules");
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
