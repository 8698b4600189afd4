/**
 * `npm run check -- 03`: a lesson's checkpoint. With an app of the learner's
 * for exercise 03 (`npm run exercise -- 03`), it grades that app in words
 * (grade.ts); otherwise it runs the shared contract suite against the step
 * that `npm start` is running. Either way it leaves the queue as it found it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { STEPS, type StepNumber } from "@keyless/sandbox";
import { runCheckpoint } from "../exercises/checkpoint.ts";
import { reachRunningWorkshop, type RunningWorkshop } from "../running/control.ts";
import { isExerciseStep, loadExercise, workspaceAppDir } from "../exercises/exercises.ts";
import { gradeExercise } from "../exercises/grade.ts";
import { STEP_TITLES, parseStep } from "../layout/steps.ts";
import { UsageError } from "../terminal/usageError.ts";
import { bold, dim, fail, ok } from "../terminal/ui.ts";
import { workspaceClient } from "../running/workspaceControl.ts";
import { runCommand } from "../terminal/runCommand.ts";

/** The learner has their own app for this step's exercise. */
const hasWorkspaceApp = (step: StepNumber) => isExerciseStep(step) && existsSync(join(workspaceAppDir(step), "src"));

const program = new Command("npm run check --")
  .description(
    "Check a lesson: run the step's contract tests against the running sandbox (start it first with npm start).",
  )
  .argument("[steps...]", `the steps to check (${STEPS.join(", ")}); every running step when omitted`)
  .option("--reference", "check the workshop's own step even when you have an app for its exercise")
  .addHelpText(
    "after",
    "\nExamples:\n  npm run check -- 03               your app for exercise 03 if you have one (npm run exercise -- 03), else step 03\n  npm run check -- 03 --reference   step 03 itself\n  npm run check\n",
  )
  .showHelpAfterError()
  .action(async (texts: string[], options: { reference?: boolean }) => {
    const steps = texts.map(parseStep);
    // First of all, a sandbox that answers: a file left by an npm start that is gone is named, never checked.
    const workshop = await reachRunningWorkshop();
    const yours = (step: StepNumber) => !options.reference && hasWorkspaceApp(step);
    if (steps.length === 0) steps.push(...STEPS.filter((step) => workshop.endpoints.steps[step] || yours(step)));
    // npm start runs, so the step is started into it, not with a second npm start (its ports are taken).
    if (steps.length === 0)
      throw new UsageError("No step is running. Start one with npm run restart -- 01 (any step), then check again.");
    for (const step of steps) {
      if (isExerciseStep(step) && yours(step)) {
        if (!(await gradeExercise(loadExercise(step), workshop))) process.exitCode = 1;
      } else await checkStep(step, workshop);
    }
  });

async function checkStep(step: StepNumber, workshop: RunningWorkshop): Promise<void> {
  const url = workshop.endpoints.steps[step];
  if (!url)
    throw new UsageError(`Step ${step} is not running. Start it with npm run restart -- ${step}, then check again.`);
  console.log(`Checking step ${step} (${STEP_TITLES[step]}) at ${url} ...`);
  const { report, codes } = await runCheckpoint({ step });
  // Each code the suite was issued put a message on the queue (step 04): those go, the learner's own stay.
  if (step === "04" && codes.length > 0) await workspaceClient(workshop).removeCodes(codes);
  const total = report.numPassedTests + report.numFailedTests;
  const loadError = report.testResults.find((file) => file.message)?.message;
  if (report.numFailedTests === 0 && !loadError && total > 0) {
    console.log(ok(`${bold(`Step ${step} passes its checkpoint`)}: ${total} of ${total} checks.`));
    return;
  }
  if (total === 0) {
    // No check ran: never "0 of 0 checks failed". Most likely npm start stopped meanwhile.
    await reachRunningWorkshop();
    throw new Error(
      `The checkpoint ran no checks${loadError ? ` (${loadError.split("\n")[0]})` : ""}: try npm run doctor.`,
    );
  }
  console.log(
    fail(bold(`Step ${step} does not pass its checkpoint yet: ${report.numFailedTests} of ${total} checks failed.`)),
  );
  if (loadError) console.log(`  ${loadError.split("\n")[0]}`);
  for (const result of report.testResults.flatMap((file) => file.assertionResults)) {
    if (result.status !== "failed") continue;
    console.log(`  ${fail(result.title)}`);
    console.log(dim(`    ${(result.failureMessages[0] ?? "").split("\n")[0]}`));
  }
  console.log(dim("\n  The lesson's Troubleshooting section explains the usual causes."));
  process.exitCode = 1;
}

await runCommand(program);
