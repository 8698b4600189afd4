/**
 * `npm run exercise -- 05` for a deployment exercise: the learner's copy of
 * the workflow in `workspace/05-ship-it/`, with 🐨 where the lesson's lines
 * were; `--solve` shows the solution against it and applies it; `--reset`
 * starts over. The deployer, its credential and its role are the learner's to
 * make with `az`, as on Azure: the todo list says how.
 */
import { existsSync, readFileSync } from "node:fs";
import { colorizeDiff } from "../../lessons/diff.ts";
import { bold, dim, ok } from "../../terminal/ui.ts";
import { lessonName } from "../../layout/lessons.ts";
import { diffFiles, shownPath, type PipelineExercise } from "../exercises.ts";
import { started, updateProgress } from "../progressFile.ts";
import { learnerWorkflowPath, problemWorkflow, solutionWorkflow, writeLearnerWorkflow } from "./workflowFile.ts";

export function pipelineExerciseCommand(
  exercise: PipelineExercise,
  options: { solve?: boolean; reset?: boolean; yes?: boolean },
): void {
  const path = learnerWorkflowPath(exercise);
  const file = exercise.workflow.file;
  if (options.solve) {
    const current = existsSync(path) ? readFileSync(path, "utf8") : "";
    const patch = diffFiles(new Map([[file, current]]), new Map([[file, solutionWorkflow(exercise)]]));
    console.log(
      bold(`The solution of exercise ${exercise.step} (${exercise.workflow.from}) against ${shownPath(path)}:`),
    );
    console.log(patch ? colorizeDiff(patch) : dim("  Your workflow is the solution already."));
    if (!options.yes) {
      console.log(dim("\nNothing changed: run it again with --yes to apply it."));
      return;
    }
    writeLearnerWorkflow(exercise, solutionWorkflow(exercise));
    updateProgress(exercise.step, (entry) => ({ ...entry, solvedAt: new Date().toISOString() }));
    console.log(
      ok(`${shownPath(path)} is now the solution. The deployer's credential and role are yours to make: see the todo.`),
    );
    return;
  }
  if (existsSync(path) && !options.reset) {
    console.log(
      ok(`Exercise ${exercise.step} is already in ${shownPath(path)}: your changes are kept (--reset starts over).`),
    );
  } else {
    writeLearnerWorkflow(exercise, problemWorkflow(exercise));
    updateProgress(exercise.step, started);
    console.log(
      ok(
        `Exercise ${exercise.step}: your workflow is ${bold(shownPath(path))}: ${exercise.workflow.from} with 🐨 where the pieces go.`,
      ),
    );
  }
  console.log(`\n${bold(`Exercise ${exercise.step} · ${exercise.title}`)}`);
  console.log(`  ${exercise.goal}`);
  console.log(`\n  ${bold("To do:")}`);
  for (const [index, item] of exercise.todo.entries()) console.log(`    ${index + 1}. ${item}`);
  console.log(
    dim(
      `\n  The lesson: docs/${lessonName(exercise.step)}.md. Stuck? npm run exercise -- ${exercise.step} --solve shows the solution.`,
    ),
  );
}
