/**
 * The learner's workflow for a deployment exercise: the workshop's own
 * workflow with the lines the lesson is about taken out, each replaced by 🐨
 * comments indented like it. The solution is the workshop's workflow itself.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../layout/repo.ts";
import { workspaceAppDir, type PipelineExercise } from "../exercises.ts";

/** The workflow the exercise is made from, and whose copy is its solution. */
export const solutionWorkflow = (exercise: PipelineExercise): string =>
  readFileSync(join(REPO_ROOT, exercise.workflow.from), "utf8");

/** Where the learner's copy is. */
export const learnerWorkflowPath = (exercise: PipelineExercise): string =>
  join(workspaceAppDir(exercise.step), exercise.workflow.file);

/** The solution with the lesson's lines taken out. Throws when a line is not in it exactly once. */
export function problemWorkflow(exercise: PipelineExercise): string {
  const lines = solutionWorkflow(exercise).split("\n");
  for (const removed of exercise.workflow.removed) {
    const block = removed.text.split("\n");
    const at = lines.flatMap((_line, index) =>
      block.every((line, offset) => lines[index + offset] === line) ? [index] : [],
    );
    if (at.length !== 1)
      throw new Error(
        `exercises/${exercise.step}.json: workflow.removed: "${block[0]?.trim()}" is in ${at.length} places of ${exercise.workflow.from}: it must be in exactly one.`,
      );
    const index = at[0] ?? 0;
    const indent = /^\s*/.exec(lines[index] ?? "")?.[0] ?? "";
    lines.splice(index, block.length, ...removed.lines.map((line) => `${indent}${line}`));
  }
  return lines.join("\n");
}

/** Writes the learner's copy (the problem, or the solution); true when it wrote something new. */
export function writeLearnerWorkflow(exercise: PipelineExercise, text: string): void {
  mkdirSync(workspaceAppDir(exercise.step), { recursive: true });
  const path = learnerWorkflowPath(exercise);
  if (!existsSync(path) || readFileSync(path, "utf8") !== text) writeFileSync(path, text);
}
