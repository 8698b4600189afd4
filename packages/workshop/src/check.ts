/**
 * `npm run check -- 03`: a lesson's checkpoint. Runs the shared contract suite
 * against the step that `npm start` is running, and answers in words.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { STEPS, type StepNumber } from "@keyless/sandbox";
import { NotRunningError, reachRunningWorkshop } from "./control.ts";
import { REPO_ROOT } from "./repo.ts";
import { STEP_TITLES, parseStep } from "./steps.ts";
import { UsageError } from "./usageError.ts";
import { bold, dim, fail, ok } from "./ui.ts";

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: { message?: string; assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

const program = new Command("npm run check --")
  .description("Check a lesson: run the step's contract tests against the running sandbox (start it first with npm start).")
  .argument("[steps...]", `the steps to check (${STEPS.join(", ")}); every running step when omitted`)
  .addHelpText("after", "\nExamples:\n  npm run check -- 03\n  npm run check\n")
  .showHelpAfterError()
  .action(async (texts: string[]) => {
    const steps = texts.map(parseStep);
    // First of all, a sandbox that answers: a file left by an npm start that is gone is named, never checked.
    const workshop = await reachRunningWorkshop();
    if (steps.length === 0) steps.push(...STEPS.filter((step) => workshop.endpoints.steps[step]));
    // npm start runs, so the step is started into it, not with a second npm start (its ports are taken).
    if (steps.length === 0) throw new UsageError("No step is running. Start one with npm run restart -- 01 (any step), then check again.");
    for (const step of steps) await checkStep(step, workshop.endpoints.steps[step]);
  });

async function checkStep(step: StepNumber, url: string | undefined): Promise<void> {
  if (!url) throw new UsageError(`Step ${step} is not running. Start it with npm run restart -- ${step}, then check again.`);
  console.log(`Checking step ${step} (${STEP_TITLES[step]}) at ${url} ...`);
  const report = runCheckpoint(step);
  const total = report.numPassedTests + report.numFailedTests;
  const loadError = report.testResults.find((file) => file.message)?.message;
  if (report.numFailedTests === 0 && !loadError && total > 0) {
    console.log(ok(`${bold(`Step ${step} passes its checkpoint`)}: ${total} of ${total} checks.`));
    return;
  }
  if (total === 0) {
    // No check ran: never "0 of 0 checks failed". Most likely npm start stopped meanwhile.
    await reachRunningWorkshop();
    throw new Error(`The checkpoint ran no checks${loadError ? ` (${loadError.split("\n")[0]})` : ""}: try npm run doctor.`);
  }
  console.log(fail(bold(`Step ${step} does not pass its checkpoint yet: ${report.numFailedTests} of ${total} checks failed.`)));
  if (loadError) console.log(`  ${loadError.split("\n")[0]}`);
  for (const result of report.testResults.flatMap((file) => file.assertionResults)) {
    if (result.status !== "failed") continue;
    console.log(`  ${fail(result.title)}`);
    console.log(dim(`    ${(result.failureMessages[0] ?? "").split("\n")[0]}`));
  }
  console.log(dim("\n  The lesson's Troubleshooting section explains the usual causes."));
  process.exitCode = 1;
}

function runCheckpoint(step: string): VitestReport {
  const output = join(mkdtempSync(join(tmpdir(), "keyless-check-")), "report.json");
  const workshopDir = join(REPO_ROOT, "packages/workshop");
  spawnSync(
    process.execPath,
    [join(REPO_ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "checkpoints/vitest.config.ts", "--reporter=json", `--outputFile=${output}`],
    { cwd: workshopDir, env: { ...process.env, KEYLESS_CHECK_STEP: step }, stdio: "ignore" },
  );
  try {
    return JSON.parse(readFileSync(output, "utf8")) as VitestReport;
  } catch {
    throw new Error("The checkpoint did not run: try npm run doctor.");
  }
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(fail(error instanceof Error ? error.message : String(error)));
  process.exit(error instanceof UsageError || error instanceof NotRunningError ? 2 : 1);
}
