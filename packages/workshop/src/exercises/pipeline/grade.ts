/**
 * `npm run check -- 05`: a deployment exercise graded in words, from what the
 * sandbox saw (collect.ts) and judged without I/O (judge.ts).
 */
import { codeDigest, checked, updateProgress } from "../progressFile.ts";
import { bold, dim, fail, ok } from "../../terminal/ui.ts";
import type { PipelineExercise } from "../exercises.ts";
import { collectDeployFacts } from "./collect.ts";
import { judgeDeployment } from "./judge.ts";

/** Grades the learner's deployment; true when it passes. */
export async function gradePipelineExercise(exercise: PipelineExercise, stateDir: string): Promise<boolean> {
  console.log(`Checking exercise ${exercise.step} (${exercise.title}): your workflow, the deployer, the rehearsal ...`);
  const facts = await collectDeployFacts(exercise, stateDir);
  const findings = judgeDeployment(exercise, facts);
  for (const finding of findings) {
    console.log(`  ${finding.ok ? ok(finding.text) : fail(finding.text)}`);
    for (const line of finding.hint ?? []) console.log(`      ${line}`);
  }
  const failed = findings.filter((finding) => !finding.ok).length;
  const passed = failed === 0;
  const graded = codeDigest(new Map(facts.workflow ? [["deploy.yml", facts.workflow.text]] : []));
  updateProgress(exercise.step, (entry) => checked(entry, passed, graded));
  if (passed)
    console.log(ok(bold(`Exercise ${exercise.step} passes: ${findings.length} of ${findings.length} checks.`)));
  else {
    console.log(
      fail(bold(`Exercise ${exercise.step} is not done yet: ${failed} of ${findings.length} checks failed.`)),
    );
    console.log(
      dim(
        `  Fix it, rehearse again, then check again. Stuck? npm run exercise -- ${exercise.step} --solve shows the solution.`,
      ),
    );
  }
  return passed;
}
