/**
 * `npm run progress`: where the learner is, lesson by lesson: not started, in
 * progress, or passed (and when), read from `workspace/.progress.json`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { STEPS } from "@keyless/sandbox";
import { EXERCISE_STEPS, isExerciseStep, loadExercise, shownPath, workspaceAppDir } from "../exercises/exercises.ts";
import { PROGRESS_FILE, readProgress, type ExerciseProgress } from "../exercises/progressFile.ts";
import { STEP_TITLES } from "../layout/steps.ts";
import { bold, dim, green, table, yellow } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";

const program = new Command("npm run progress --")
  .description("Show each lesson's exercise: not started, in progress, or passed, and when.")
  .addHelpText("after", "\nExample:\n  npm run progress\n")
  .showHelpAfterError()
  .action(() => {
    const progress = readProgress();
    const rows = STEPS.map((step) => {
      const title = STEP_TITLES[step];
      if (!isExerciseStep(step))
        return [bold(`lesson ${step}`), title, dim("no exercise: read it and run step 01 (npm start)")];
      return [bold(`lesson ${step}`), title, describe(step, progress[step])];
    });
    console.log(table(rows));
    const next = EXERCISE_STEPS.find((step) => !progress[step]?.passedAt);
    console.log(
      dim(
        `\n  ${next ? `Next: npm run exercise -- ${next} (${loadExercise(next).title}).` : "Every exercise passes."} Kept in ${shownPath(PROGRESS_FILE)}.`,
      ),
    );
  });

/** When, in the learner's words: "today 10:31", or the date. */
function when(iso: string): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
  return date.toDateString() === new Date().toDateString()
    ? `today ${time}`
    : `${date.toISOString().slice(0, 10)} ${time}`;
}

function describe(step: "02" | "03" | "04", entry: ExerciseProgress | undefined): string {
  const exists = existsSync(join(workspaceAppDir(step), "src"));
  if (entry?.passedAt) {
    const solved = entry.solvedAt && entry.solvedAt < entry.passedAt ? " (after --solve)" : "";
    const since =
      entry.checkPassed === false && entry.checkedAt
        ? yellow(`; the last check, ${when(entry.checkedAt)}, did not pass`)
        : "";
    return `${green(`passed ${when(entry.passedAt)}`)}${solved}${since}`;
  }
  if (!exists) return dim(`not started: npm run exercise -- ${step}`);
  const started = entry?.startedAt ? `since ${when(entry.startedAt)}` : "";
  const lastCheck = entry?.checkedAt ? `, last check ${when(entry.checkedAt)}: not yet` : ", not checked yet";
  return `${yellow("in progress")} ${started}${lastCheck}`.replace("  ", " ");
}

await runCommand(program);
