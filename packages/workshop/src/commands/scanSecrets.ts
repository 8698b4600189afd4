/**
 * `npm run scan:secrets [-- 01]`: runs a secret scanner over the steps, as a
 * CI pipeline would. It finds step 01's hard-coded key and nothing in the
 * steps that read the key from Key Vault. Exits 1 when it finds a secret.
 */
import { Command } from "commander";
import { scanSteps } from "../secrets/scan.ts";
import { findStep, stepFolders } from "../layout/stepFolders.ts";
import { bold, dim, fail, ok, red } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";

const folders = stepFolders();

const program = new Command("npm run scan:secrets --")
  .description(
    "Scan the steps for secrets written in files (secretlint, config in packages/workshop/.secretlintrc.json).",
  )
  .argument("[steps...]", `steps to scan (${folders.map((folder) => folder.step).join(", ")}); all when omitted`)
  .addHelpText(
    "after",
    "\nExamples:\n  npm run scan:secrets          every step\n  npm run scan:secrets -- 01    step 01 only\n",
  )
  .showHelpAfterError()
  .action(async (stepTexts: string[]) => {
    const steps = stepTexts.length > 0 ? [...new Set(stepTexts.map((text) => findStep(text, folders)))] : folders;
    const findings = await scanSteps(steps);
    const names = steps.map((step) => step.name).join(", ");
    if (findings.length === 0) {
      console.log(ok(`No secrets found in ${names}.`));
      return;
    }
    console.log(fail(bold(`${findings.length} secret${findings.length === 1 ? "" : "s"} found in ${names}:`)));
    for (const finding of findings) {
      console.log(`\n  ${bold(`${finding.file}:${finding.line}:${finding.column}`)}`);
      console.log(`    ${red(finding.message)}`);
      console.log(dim(`    rule: ${finding.ruleId}`));
    }
    console.log(
      `\n  Anyone who can read this repository, a fork or its history has this key. Move it out of the code\n` +
        `  (lesson 02: Azure Key Vault) and rotate it: deleting the line does not remove it from git history.`,
    );
    process.exitCode = 1;
  });

await runCommand(program);
