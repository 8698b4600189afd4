/**
 * `npm run exercise -- 03`: the learner's own app for a lesson, in
 * `workspace/03-managed-identity/`: step 02's code with 🐨 and 💰 comments
 * where the change goes. `npm start` runs it beside the steps on port 3103
 * and restarts it at each save; `npm run check -- 03` grades it.
 * `--solve` shows the solution (the step) against the learner's code and
 * applies it, roles included; `--reset` starts over.
 */
import { existsSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { join } from "node:path";
import { Command } from "commander";
import { NotRunningError, reachRunningWorkshop, type RunningWorkshop } from "../running/control.ts";
import { colorizeDiff, summarizeDiff } from "../lessons/diff.ts";
import {
  createWorkspaceApp,
  exerciseSteps,
  diffFiles,
  explainStartFailure,
  findExercise,
  loadAppExercise,
  loadExercise,
  maskDotenv,
  replaceFiles,
  shownPath,
  solutionFiles,
  workspaceAppDir,
  workspaceFiles,
  type AppExercise,
} from "../exercises/exercises.ts";
import { pipelineExerciseCommand } from "../exercises/pipeline/command.ts";
import { lessonName } from "../layout/lessons.ts";
import { readProgress, started, updateProgress } from "../exercises/progressFile.ts";
import { REPO_ROOT } from "../layout/repo.ts";
import { azLine, compareRoles, roleArgs } from "../exercises/roles.ts";
import { findStep } from "../layout/stepFolders.ts";
import { UsageError } from "../terminal/usageError.ts";
import { bold, dim, green, ok, red, warn } from "../terminal/ui.ts";
import type { WorkspaceAppState } from "../running/workspaceControl.ts";
import { workspaceClient } from "../running/workspaceControl.ts";
import { runCommand } from "../terminal/runCommand.ts";

export const program = new Command("npm run exercise --")
  .description(
    "Write a lesson's change yourself: your own app in workspace/, run by npm start and graded by npm run check.",
  )
  .argument("[exercise]", `the exercise: ${exerciseSteps().join(", ")}; all of them when omitted`)
  .option("--solve", "show the solution against your code, and apply it (code and roles) when you confirm")
  .option("--reset", "start the exercise over: your app back to its start, its identity's roles removed")
  .option("-y, --yes", "with --solve or --reset: apply without asking")
  .addHelpText(
    "after",
    "\nExamples:\n  npm run exercise -- 03            your app for exercise 03, and what to do\n  npm run exercise -- 03 --solve    the solution against your code\n  npm run exercise -- 03 --reset    start over\n",
  )
  .showHelpAfterError()
  .action(async (text: string | undefined, options: { solve?: boolean; reset?: boolean; yes?: boolean }) => {
    if (text === undefined) return listExercises();
    if (options.solve && options.reset) throw new UsageError("Choose one of --solve and --reset.");
    const exercise = findExercise(text);
    // An exercise whose answer is a deployment, not an app, has its own folder and grader.
    if (exercise.kind === "pipeline") return pipelineExerciseCommand(exercise, options);
    if (options.solve) return solve(exercise, Boolean(options.yes));
    if (options.reset) return reset(exercise, Boolean(options.yes));
    return start(exercise);
  });

function listExercises(): void {
  console.log(bold("Exercises: you write the lesson's change, npm run check grades it."));
  for (const step of exerciseSteps()) {
    const exercise = loadExercise(step);
    const here = existsSync(workspaceAppDir(step)) ? dim(` (yours: ${shownPath(workspaceAppDir(step))})`) : "";
    console.log(`  npm run exercise -- ${step}   ${exercise.title}${here}`);
  }
  console.log(dim("  npm run progress shows where you are."));
}

/** The running workshop, or nothing: the code side works without it. */
async function runningWorkshop(): Promise<RunningWorkshop | undefined> {
  try {
    return await reachRunningWorkshop();
  } catch (error) {
    if (error instanceof NotRunningError) return undefined;
    throw error;
  }
}

async function start(exercise: AppExercise): Promise<void> {
  const dir = workspaceAppDir(exercise.step);
  if (existsSync(join(dir, "src"))) {
    console.log(
      ok(
        `Exercise ${exercise.step} is already in ${shownPath(dir)}: your changes are kept (npm run exercise -- ${exercise.step} --reset starts over).`,
      ),
    );
    if (!readProgress()[exercise.step]?.startedAt) updateProgress(exercise.step, started);
  } else {
    createWorkspaceApp(exercise);
    updateProgress(exercise.step, started);
    console.log(
      ok(
        `Exercise ${exercise.step}: your app is in ${bold(shownPath(dir))}: step ${exercise.from}'s code, with 🐨 where the change goes and 💰 for hints.`,
      ),
    );
  }
  printInstructions(exercise);
  const workshop = await runningWorkshop();
  if (!workshop) {
    console.log(
      `\n  Start the workshop with ${bold("npm start")}: your app runs beside the steps, at http://localhost:${3100 + Number(exercise.step)}.`,
    );
    return;
  }
  const app = await workspaceClient(workshop).start(exercise.step);
  console.log(`\n${runningLine(app)}`);
}

function printInstructions(exercise: AppExercise): void {
  const dir = workspaceAppDir(exercise.step);
  console.log(`\n${bold(`Exercise ${exercise.step} · ${exercise.title}`)}`);
  console.log(`  ${exercise.goal}`);
  console.log(`\n  ${bold("Open first:")}`);
  for (const file of exercise.open) console.log(`    ${shownPath(join(dir, file))}`);
  console.log(`\n  ${bold("To do:")}`);
  for (const [index, item] of exercise.todo.entries()) console.log(`    ${index + 1}. ${item}`);
  console.log(
    dim(
      `\n  The lesson: docs/${lessonName(exercise.step)}.md. Stuck? npm run exercise -- ${exercise.step} --solve shows the solution.`,
    ),
  );
}

function runningLine(app: WorkspaceAppState): string {
  if (app.url)
    return ok(
      `Your app runs at ${green(`${app.url}/api/v1/getcode`)} (npm start restarts it each time you save; its lines there begin with [workspace ${app.step}]).`,
    );
  // A failure the lesson foresees, in the exercise's words: the app's own may say the opposite of the lesson.
  const foreseen = explainStartFailure(loadAppExercise(app.step), app.error);
  const why = foreseen ? `${foreseen.says} ${foreseen.fix}` : (app.error ?? "no reason given");
  return `${warn(`Your app does not start yet: ${why}`)}\n  ${dim(`That is where the exercise begins. npm start restarts it each time you save; npm run check -- ${app.step} says what to change.`)}`;
}

/** The solution against the learner's code, and the roles the lesson grants; applied once confirmed. */
async function solve(exercise: AppExercise, yes: boolean): Promise<void> {
  const dir = workspaceAppDir(exercise.step);
  if (!existsSync(join(dir, "src")))
    throw new UsageError(
      `You have no app for exercise ${exercise.step} yet: npm run exercise -- ${exercise.step} creates it.`,
    );
  const solution = solutionFiles(exercise);
  const current = workspaceFiles(dir);
  const dotenv = current.get(".env");
  // Shown with its values masked: the learner's .env may hold a secret, and a terminal is no place for it.
  const patch = diffFiles(
    dotenv === undefined ? current : new Map([...current, [".env", maskDotenv(dotenv)]]),
    solution,
  );
  const workshop = await runningWorkshop();
  const azCommands = workshop ? await roleChanges(exercise, workshop) : undefined;

  console.log(
    bold(`The solution of exercise ${exercise.step} (steps/${findStep(exercise.step).name}/src) against your app:`),
  );
  const changes = summarizeDiff(patch);
  for (const change of changes)
    console.log(
      `  ${change.status.padEnd(7)} ${change.file}  ${green(`+${change.added}`)} ${red(`-${change.removed}`)}`,
    );
  if (changes.length === 0) console.log(dim("  Your code is the solution already."));
  else console.log(`\n${colorizeDiff(patch)}`);
  if (azCommands === undefined) {
    console.log(
      warn(
        "The sandbox is not running, so the roles the lesson grants are not shown: start npm start and run this again for them.",
      ),
    );
  } else if (azCommands.length > 0) {
    console.log(bold("\nAnd in the sandbox, the roles of your app's identity:"));
    for (const args of azCommands) console.log(`  ${azLine(args)}`);
  } else console.log(dim("\nYour app's identity has the lesson's roles already."));
  if (changes.length === 0 && (azCommands?.length ?? 0) === 0) return;

  if (!(await confirm(`Apply it? Your code in ${shownPath(dir)} becomes the solution.`, yes))) return;
  replaceFiles(dir, solution);
  console.log(ok(`Your app's code is now the solution of exercise ${exercise.step}.`));
  updateProgress(exercise.step, (entry) => ({ ...entry, solvedAt: new Date().toISOString() }));
  if (!workshop) return;
  await runAzCommands(azCommands ?? []);
  console.log(runningLine(await workspaceClient(workshop).start(exercise.step)));
  console.log(dim(`  npm run check -- ${exercise.step} grades it.`));
}

/** Back to the start: the previous step with the instructions, and an identity with no role, as the seed has it. */
async function reset(exercise: AppExercise, yes: boolean): Promise<void> {
  const dir = workspaceAppDir(exercise.step);
  const workshop = await runningWorkshop();
  const removals: string[][] = [];
  if (workshop) {
    const app = await appState(exercise, workshop);
    for (const held of app.roles) removals.push(roleArgs("delete", app.identity.objectId, held.role, held.scope));
  }
  const what = [
    existsSync(dir) ? `your code in ${shownPath(dir)} goes back to its start` : undefined,
    removals.length > 0
      ? `your app's identity loses its ${removals.length === 1 ? "role" : `${removals.length} roles`}`
      : undefined,
  ].filter(Boolean);
  if (what.length > 0 && !(await confirm(`Start exercise ${exercise.step} over? ${what.join(", and ")}.`, yes))) return;
  createWorkspaceApp(exercise);
  updateProgress(exercise.step, started);
  console.log(
    ok(
      `Exercise ${exercise.step} starts over: ${shownPath(dir)} is step ${exercise.from}'s code with the instructions again.`,
    ),
  );
  await runAzCommands(removals);
  printInstructions(exercise);
  if (workshop) console.log(`\n${runningLine(await workspaceClient(workshop).start(exercise.step))}`);
}

/** The `az role assignment` commands that make the identity's roles the lesson's: grants first, then removals. */
async function roleChanges(exercise: AppExercise, workshop: RunningWorkshop): Promise<string[][]> {
  const view = await workspaceClient(workshop).view();
  const state = await appState(exercise, workshop);
  const { missing, tooWide, misScoped } = compareRoles(exercise, state, view);
  return [
    ...missing.map((wanted) => roleArgs("create", state.identity.objectId, wanted.role, wanted.scope)),
    ...[...tooWide, ...misScoped.map(({ held }) => held)].map((held) =>
      roleArgs("delete", state.identity.objectId, held.role, held.scope),
    ),
  ];
}

/** The learner's app as the launcher sees it (started now if it was not running yet). */
async function appState(exercise: AppExercise, workshop: RunningWorkshop): Promise<WorkspaceAppState> {
  const client = workspaceClient(workshop);
  return (
    (await client.view()).apps.find((candidate) => candidate.step === exercise.step) ??
    (await client.start(exercise.step))
  );
}

/**
 * Runs each command with the sandbox's `az`, printing it first, as the learner would type it (and as npm run az
 * runs it: in the sandbox's folder). In this process: the same answer as `npm run az` gives, without a process each.
 */
async function runAzCommands(commands: readonly string[][]): Promise<void> {
  const { azAnswer } = await import("@keyless/sandbox/az");
  for (const args of commands) {
    console.log(`  $ ${azLine(args)}`);
    const { code, stdout, stderr } = await azAnswer(args, {
      env: process.env,
      cwd: join(REPO_ROOT, "packages", "sandbox"),
    });
    if (code !== 0) {
      const reason = (stderr || stdout).trim().split("\n")[0];
      throw new Error(`az failed: ${reason || `exit code ${code}`}`);
    }
  }
}

/** Asks on a terminal; --yes answers for the learner; without a terminal nothing changes. */
async function confirm(question: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    console.log(dim("\nNothing changed: run it again with --yes to apply it."));
    return false;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(`\n${question} [y/N] `);
    if (/^y(es)?$/i.test(answer.trim())) return true;
    console.log(dim("Nothing changed."));
    return false;
  } finally {
    prompt.close();
  }
}

// Run as `npm run exercise`; imported, it only defines the command (the learner journeys' tests run it in their process).
if (import.meta.main) await runCommand(program);
