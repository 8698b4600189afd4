/**
 * `npm run check -- 03`: a lesson's checkpoint. With an app of the learner's
 * for exercise 03 (`npm run exercise -- 03`), it grades that app in words
 * (grade.ts); otherwise it runs the shared contract suite against the step
 * that `npm start` is running. Either way it leaves the queue as it found it.
 * With no step named, it checks each step npm start runs, and says at the end
 * how many pass: from this run's verdicts, never from an earlier pass.
 * With --url, it checks an app anywhere, a deployed one on Azure, by its
 * address alone (deployed/checkUrl.ts): no npm start needed.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { endpointsFile } from "../layout/repo.ts";
import { Command } from "commander";
import { STEPS, type StepNumber } from "@keyless/app-process";
import { checksThatRan, failedChecks } from "@keyless/contract-tests";
import { runCheckpoint } from "../exercises/checkpoint.ts";
import { NotRunningError, reachRunningWorkshop, type RunningWorkshop } from "../running/control.ts";
import {
  isExerciseStep,
  loadAppExercise,
  loadExercise,
  workspaceAppDir,
  type PipelineExercise,
} from "../exercises/exercises.ts";
import { gradeExercise } from "../exercises/grade.ts";
import { parseStep, stepTitle } from "../layout/steps.ts";
import { UsageError } from "../terminal/usageError.ts";
import { bold, dim, fail, ok } from "../terminal/ui.ts";
import { workspaceClient } from "../running/workspaceControl.ts";
import { runCommand } from "../terminal/runCommand.ts";

/** The deployment exercise a lesson number names, if it names one. */
function deploymentExercise(text: string): PipelineExercise | undefined {
  const step = text.replace(/^(step|lesson|exercise)-?/i, "").padStart(2, "0");
  if (!isExerciseStep(step)) return undefined;
  const exercise = loadExercise(step);
  return exercise.kind === "pipeline" ? exercise : undefined;
}

/** The learner has their own app for this step's exercise. */
const hasWorkspaceApp = (step: string) => isExerciseStep(step) && existsSync(join(workspaceAppDir(step), "src"));

/** What `npm run check` does with no step named: said once, here, for --help; lesson 06 (the wrap-up) quotes it word for word. */
const NO_STEP_NAMED =
  "With no step named, it checks each step npm start runs, one after the other, as npm run check -- 0N checks it: your own app for an exercise you have started, the workshop's step otherwise; its last line says how many pass.";

export const program = new Command("npm run check --")
  .description(
    `Check a lesson against the running sandbox (start it first with npm start): your own app for its exercise if you have one (npm run exercise -- 0N), graded in words; otherwise the step npm start runs, against its contract tests. ${NO_STEP_NAMED}`,
  )
  .argument("[steps...]", `the steps to check (${STEPS.join(", ")}); each one npm start runs when omitted`)
  .option("--reference", "check the workshop's own step even when you have an app for its exercise")
  .option(
    "--url <url>",
    "check the app at this address instead, e.g. a deployed one (https://<app>.azurewebsites.net), against every contract check its URL alone can answer; needs no npm start",
  )
  .addHelpText(
    "after",
    "\nExamples:\n  npm run check -- 03               your app for exercise 03 if you have one (npm run exercise -- 03), else step 03\n  npm run check -- 03 --reference   step 03 itself\n  npm run check                     each step npm start runs, then how many pass\n  npm run check -- --url https://<app>.azurewebsites.net   an app on Azure (docs/run-on-azure.md)\n",
  )
  .showHelpAfterError()
  .action(async (texts: string[], options: { reference?: boolean; url?: string }) => {
    if (options.url !== undefined) {
      if (texts.length > 0 || options.reference)
        throw new UsageError("--url checks the one app at that address: name no step and no --reference with it.");
      // Loaded here, as the deployment grader below: a check of a step or an app of the learner's needs neither.
      const { checkUrl } = await import("../deployed/checkUrl.ts");
      if (!(await checkUrl(options.url))) process.exitCode = 1;
      return;
    }
    // A lesson whose exercise is a deployment has no step to run: its grader reads what the sandbox saw.
    const deployment = texts.length === 1 ? deploymentExercise(texts[0] ?? "") : undefined;
    if (deployment) {
      // The sandbox's state folder is where its endpoints file is: the grader asks its az, as the learner does.
      const endpoints = endpointsFile();
      if (!existsSync(endpoints)) throw new NotRunningError("none");
      const { gradePipelineExercise } = await import("../exercises/pipeline/grade.ts");
      if (!(await gradePipelineExercise(deployment, dirname(endpoints)))) process.exitCode = 1;
      return;
    }
    const steps = texts.map(parseStep);
    // First of all, a sandbox that answers: a file left by an npm start that is gone is named, never checked.
    const workshop = await reachRunningWorkshop();
    const yours = (step: StepNumber) => !options.reference && hasWorkspaceApp(step);
    if (steps.length === 0) steps.push(...STEPS.filter((step) => workshop.endpoints.steps[step] || yours(step)));
    // npm start runs, so the step is started into it, not with a second npm start (its ports are taken).
    if (steps.length === 0)
      throw new UsageError("No step is running. Start one with npm run restart -- 01 (any step), then check again.");
    const results: { what: string; passed: boolean }[] = [];
    for (const step of steps) {
      if (steps.length > 1 && results.length > 0) console.log("");
      if (isExerciseStep(step) && yours(step)) {
        const passed = await gradeExercise(loadAppExercise(step), workshop, { alone: steps.length === 1 });
        results.push({ what: `your app for exercise ${step}`, passed });
      } else results.push({ what: `step ${step}`, passed: await checkStep(step, workshop) });
    }
    if (results.some((result) => !result.passed)) process.exitCode = 1;
    if (results.length < 2) return;
    // One last line for the whole run, from this run's verdicts only.
    const failed = results.filter((result) => !result.passed).map((result) => result.what);
    console.log(
      failed.length === 0
        ? `\n${ok(bold(`All ${results.length} pass: ${results.map((result) => result.what).join(", ")}.`))}`
        : `\n${fail(bold(`${failed.length} of ${results.length} do not pass: ${failed.join(", ")}.`))}`,
    );
  });

/** Runs the step's contract tests against the step npm start runs: true when it passes. */
async function checkStep(step: StepNumber, workshop: RunningWorkshop): Promise<boolean> {
  const url = workshop.endpoints.steps[step];
  if (!url)
    throw new UsageError(`Step ${step} is not running. Start it with npm run restart -- ${step}, then check again.`);
  console.log(`Checking step ${step} (${stepTitle(step)}) at ${url} ...`);
  const { report, codes } = await runCheckpoint({ step });
  // Each code the suite was issued put a message on the queue (a step that queues): those go, the learner's own stay.
  if (codes.length > 0) await workspaceClient(workshop).removeCodes(codes);
  const failed = failedChecks(report);
  const total = checksThatRan(report).length;
  const loadError = report.setUpError;
  if (failed.length === 0 && !loadError && total > 0) {
    console.log(ok(`${bold(`Step ${step} passes its checkpoint`)}: ${total} of ${total} checks.`));
    return true;
  }
  if (total === 0) {
    // No check ran: never "0 of 0 checks failed". Most likely npm start stopped meanwhile.
    await reachRunningWorkshop();
    throw new Error(
      `The checkpoint ran no checks${loadError ? ` (${loadError.split("\n")[0]})` : ""}: try npm run doctor.`,
    );
  }
  console.log(fail(bold(`Step ${step} does not pass its checkpoint yet: ${failed.length} of ${total} checks failed.`)));
  if (loadError) console.log(`  ${loadError.split("\n")[0]}`);
  for (const result of failed) {
    console.log(`  ${fail(result.title)}`);
    console.log(dim(`    ${result.message}`));
  }
  console.log(dim("\n  The lesson's Troubleshooting section explains the usual causes."));
  return false;
}

// Run as `npm run check`; imported, it only defines the command (the learner journeys' tests run it in their process).
if (import.meta.main) await runCommand(program);
