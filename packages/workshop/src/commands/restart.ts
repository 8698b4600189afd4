/** `npm run restart -- 02`: restarts one step of the running `npm start`; the sandbox keeps its state (roles, secrets). */
import { Command } from "commander";
import { STEPS } from "@keyless/app-process";
import { reachRunningWorkshop } from "../running/control.ts";
import { parseStep } from "../layout/steps.ts";
import { fail, ok } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";

const program = new Command("npm run restart --")
  .description(
    "Restart one step of the running npm start, keeping the sandbox's state: see a role or secret change at start-up.",
  )
  .argument("<step>", `the step to restart (${STEPS.join(", ")})`)
  .addHelpText("after", "\nExample:\n  npm run restart -- 02\n")
  .showHelpAfterError()
  .action(async (text: string) => {
    const step = parseStep(text);
    const result = await (await reachRunningWorkshop()).restart(step);
    if (result.url) console.log(ok(`Step ${step} restarted: ${result.url}/api/v1/getcode`));
    else {
      console.log(fail(`Step ${step} did not start:`));
      console.log(`  ${result.error ?? "no reason given"}`);
      process.exitCode = 1;
    }
  });

await runCommand(program);
