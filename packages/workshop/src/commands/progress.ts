/**
 * `npm run progress`: where the learner is, lesson by lesson: not started, in
 * progress, or passed (and when), read from `workspace/.progress.json`. An
 * exercise that passed is never shown as passing when it would fail now: with
 * npm start running, what the pass rests on is asked of it (exercises/now.ts:
 * the roles, the app running, the code unchanged), and what fails is named;
 * without npm start, that it cannot be known now.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { STEPS } from "@keyless/app-process";
import {
  EXERCISE_STEPS,
  isExerciseStep,
  loadExercise,
  shownPath,
  workspaceAppDir,
  type ExerciseStep,
} from "../exercises/exercises.ts";
import { whatFailsNow } from "../exercises/now.ts";
import { PROGRESS_FILE, readProgress, type ExerciseProgress } from "../exercises/progressFile.ts";
import { stepTitle } from "../layout/steps.ts";
import { NotRunningError, reachRunningWorkshop } from "../running/control.ts";
import { workspaceClient, type WorkspaceView } from "../running/workspaceControl.ts";
import { bold, dim, green, table, yellow } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";

const program = new Command("npm run progress --")
  .description(
    "Show each lesson's exercise: not started, in progress, or passed and when; for one that passed, whether it still would (with npm start running: its roles, its app running, its code unchanged), or what fails now.",
  )
  .addHelpText("after", "\nExample:\n  npm run progress\n")
  .showHelpAfterError()
  .action(async () => {
    const progress = readProgress();
    const view = await runningView();
    const failsNow = new Map<ExerciseStep, string[]>();
    for (const step of EXERCISE_STEPS) {
      const entry = progress[step];
      if (!entry?.passedAt) continue;
      // The grader's own word first: a check since the pass that failed.
      const lastCheck =
        entry.checkPassed === false && entry.checkedAt
          ? [`the last check, ${when(entry.checkedAt)}, did not pass`]
          : [];
      const app = view?.apps.find((candidate) => candidate.step === step);
      failsNow.set(step, [...lastCheck, ...(view ? whatFailsNow(loadExercise(step), entry, app, view) : [])]);
    }
    const rows = STEPS.map((step) => {
      const title = stepTitle(step);
      if (!isExerciseStep(step))
        return [bold(`lesson ${step}`), title, dim("no exercise: read it and run step 01 (npm start)")];
      return [bold(`lesson ${step}`), title, describe(step, progress[step], view !== undefined, failsNow.get(step))];
    });
    console.log(table(rows));
    const next = EXERCISE_STEPS.find((step) => !progress[step]?.passedAt);
    const broken = [...failsNow].filter(([, reasons]) => reasons.length > 0).map(([step]) => step);
    const summary = next
      ? `Next: npm run exercise -- ${next} (${loadExercise(next).title}).`
      : broken.length > 0
        ? `Every exercise passed once; ${broken.map((step) => `npm run check -- ${step}`).join(" and ")} ${broken.length === 1 ? "grades it" : "grade them"} again.`
        : view
          ? "Every exercise passes."
          : "Every exercise passed once; start npm start to see whether each still does.";
    console.log(dim(`\n  ${summary} Kept in ${shownPath(PROGRESS_FILE)}.`));
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

/** When, in the learner's words: "today 10:31", or the date. */
function when(iso: string): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
  return date.toDateString() === new Date().toDateString()
    ? `today ${time}`
    : `${date.toISOString().slice(0, 10)} ${time}`;
}

function describe(
  step: ExerciseStep,
  entry: ExerciseProgress | undefined,
  running: boolean,
  failsNow: readonly string[] | undefined,
): string {
  const exists = existsSync(join(workspaceAppDir(step), "src"));
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

await runCommand(program);
