/**
 * `npm run progress`: where the learner is, lesson by lesson: not started, in
 * progress, or passed (and when), read from `workspace/.progress.json`. An
 * exercise that passed is never shown as passing when it would fail now: with
 * npm start running, what the pass rests on is asked of it (exercises/now.ts:
 * the roles, the app running, the code unchanged), and what fails is named;
 * without npm start, that it cannot be known now.
 */
import { existsSync } from "node:fs";
import { Command } from "commander";
import { exerciseSteps, loadExercise, shownPath, workspaceAppDir, type ExerciseStep } from "../exercises/exercises.ts";
import { whatFailsNow } from "../exercises/now.ts";
import { progressFile, readProgress, type ExerciseProgress } from "../exercises/progressFile.ts";
import { lessons } from "../layout/lessons.ts";
import { NotRunningError, reachRunningWorkshop } from "../running/control.ts";
import { workspaceClient, type WorkspaceView } from "../running/workspaceControl.ts";
import { bold, dim, green, table, yellow } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";
import { when } from "../terminal/when.ts";

export const program = new Command("npm run progress --")
  .description(
    "Show each lesson's exercise: not started, in progress, or passed and when; for one that passed, whether it still would (with npm start running: its roles, its app running, its code unchanged), or what fails now.",
  )
  .addHelpText("after", "\nExample:\n  npm run progress\n")
  .showHelpAfterError()
  .action(async () => {
    const progress = readProgress();
    const view = await runningView();
    const failsNow = new Map<ExerciseStep, string[]>();
    for (const step of exerciseSteps()) {
      const entry = progress[step];
      if (!entry?.passedAt) continue;
      // The grader's own word first: a check since the pass that failed.
      const lastCheck =
        entry.checkPassed === false && entry.checkedAt
          ? [`the last check, ${when(entry.checkedAt)}, did not pass`]
          : [];
      const app = view?.apps.find((candidate) => candidate.step === step);
      // What an app's pass rests on can be asked of npm start; a deployment's is graded again by npm run check.
      const exercise = loadExercise(step);
      const now = view && exercise.kind === "app" ? whatFailsNow(exercise, entry, app, view) : [];
      failsNow.set(step, [...lastCheck, ...now]);
    }
    const rows = lessons().map(({ number, title, step, hasExercise }) => {
      if (!hasExercise)
        return [
          bold(`lesson ${number}`),
          title,
          dim(step ? `no exercise: read it and run step ${number} (npm start)` : "no exercise: read it"),
        ];
      return [
        bold(`lesson ${number}`),
        title,
        describe(number, progress[number], view !== undefined, failsNow.get(number)),
      ];
    });
    console.log(table(rows));
    const next = exerciseSteps().find((step) => !progress[step]?.passedAt);
    const broken = [...failsNow].filter(([, reasons]) => reasons.length > 0).map(([step]) => step);
    const regrade = `${broken.map((step) => `npm run check -- ${step}`).join(" and ")} ${broken.length === 1 ? "grades it" : "grade them"} again.`;
    // What to do next, and what fails now: a learner ahead of an exercise that broke is told both.
    const summary = next
      ? `Next: npm run exercise -- ${next} (${loadExercise(next).title})${broken.length > 0 ? `; ${regrade}` : "."}`
      : broken.length > 0
        ? `Every exercise passed once; ${regrade}`
        : view
          ? "Every exercise passes."
          : "Every exercise passed once; start npm start to see whether each still does.";
    console.log(dim(`\n  ${summary} Kept in ${shownPath(progressFile())}.`));
  });

/** What the running npm start knows of the learner's apps, or nothing when it does not run. */
async function runningView(): Promise<WorkspaceView | undefined> {
  try {
    return await workspaceClient(await reachRunningWorkshop()).view();
  } catch (error) {
    if (error instanceof NotRunningError) return undefined;
    throw error;
  }
}

function describe(
  step: ExerciseStep,
  entry: ExerciseProgress | undefined,
  running: boolean,
  failsNow: readonly string[] | undefined,
): string {
  const exists = existsSync(workspaceAppDir(step));
  if (entry?.passedAt) {
    const solved = entry.solvedAt && entry.solvedAt < entry.passedAt ? " (after --solve)" : "";
    const passed = `passed ${when(entry.passedAt)}${solved}`;
    if (failsNow && failsNow.length > 0) return `${passed}; ${yellow(`fails now: ${failsNow.join("; ")}`)}`;
    if (!running) return `${passed}; ${yellow("now: not known, npm start is not running")}`;
    return `${green(passed)}; nothing it rests on has changed since`;
  }
  if (!exists) return dim(`not started: npm run exercise -- ${step}`);
  const started = entry?.startedAt ? `since ${when(entry.startedAt)}` : "";
  const lastCheck = entry?.checkedAt ? `, last check ${when(entry.checkedAt)}: not yet` : ", not checked yet";
  return `${yellow("in progress")} ${started}${lastCheck}`.replace("  ", " ");
}

// Run as `npm run progress`; imported, it only defines the command (the learner journeys' tests run it in their process).
if (import.meta.main) await runCommand(program);
