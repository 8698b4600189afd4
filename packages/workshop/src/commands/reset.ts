/**
 * `npm run reset`: the sandbox back to what infra/main.json provisions, and
 * what that discards, said before it is gone. With npm start running, the
 * running sandbox resets itself; without, its state store
 * (`.sandbox/state.db`) is deleted and the next npm start provisions a new
 * one. Either way the learner's code in workspace/ stays: it is theirs.
 */
import { dirname, join } from "node:path";
import { Command } from "commander";
import { discardState, type JournalSummary } from "@keyless/sandbox";
import { exerciseSteps, shownPath } from "../exercises/exercises.ts";
import { readProgress } from "../exercises/progressFile.ts";
import { endpointsFile } from "../layout/repo.ts";
import { NotRunningError, reachRunningWorkshop, type RunningWorkshop } from "../running/control.ts";
import { bold, dim, ok } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";

export const program = new Command("npm run reset --")
  .description(
    "Put the sandbox back to what infra/main.json provisions (secrets, role assignments, client secrets, third-party keys), and say what that discards. With npm start running, it resets the running sandbox (and empties the queue); without, it deletes the sandbox's saved state (.sandbox/state.db), which the next npm start provisions anew. Your apps in workspace/ are left as they are.",
  )
  .addHelpText("after", "\nExample:\n  npm run reset\n")
  .showHelpAfterError()
  .action(async () => {
    const changes = await reset();
    if (!changes?.some((change) => /^role assignment/.test(change.kind))) return;
    const yours = exerciseSteps().filter((step) => readProgress()[step]?.startedAt);
    if (yours.length > 0)
      console.log(
        `  Your apps for exercise ${yours.join(", ")} lost the roles you granted their identities: npm run progress says what passes now.`,
      );
  });

/** Resets the running sandbox, or deletes the saved state of a stopped one; what it discarded (undefined: unknown). */
async function reset(): Promise<readonly JournalSummary[] | undefined> {
  const workshop = await runningWorkshop();
  if (workshop) {
    const { discarded } = await workshop.reset();
    console.log(ok(bold("The running sandbox is back to what infra/main.json provisions.")));
    printDiscarded(discarded);
    console.log(
      dim("  Running steps keep their key in memory: restart them to read it again (npm run restart -- 02)."),
    );
    return discarded;
  }
  const stateDir = dirname(endpointsFile());
  const { existed, discarded, unreadable } = discardState(stateDir);
  if (!existed) {
    console.log(ok(`Nothing to reset: ${shownPath(stateDir)} holds no saved state; npm start provisions it.`));
    return [];
  }
  console.log(
    ok(
      bold(
        `npm start is not running: its saved state (${shownPath(join(stateDir, "state.db"))}) is deleted, and the next npm start provisions the sandbox from infra/main.json.`,
      ),
    ),
  );
  if (unreadable) {
    console.log(dim(`  What it held could not be read (${unreadable}).`));
    return undefined;
  }
  printDiscarded(discarded);
  return discarded;
}

/** Each kind of change, how many, and the latest few, in words. */
function printDiscarded(changes: readonly JournalSummary[]): void {
  if (changes.length === 0) {
    console.log(dim("  Nothing was changed since it was provisioned: nothing was discarded."));
    return;
  }
  console.log("  It discarded what was changed since it was provisioned:");
  for (const { kind, count, examples } of changes) {
    const more = count > examples.length ? `, and ${count - examples.length} more` : "";
    console.log(`    ${bold(`${count} × ${kind}`)}: ${examples.join("; ")}${more}`);
  }
}

/** The running npm start, or nothing (a paused one is an error: its sandbox holds the state). */
async function runningWorkshop(): Promise<RunningWorkshop | undefined> {
  try {
    return await reachRunningWorkshop();
  } catch (error) {
    if (error instanceof NotRunningError && (error.reason === "none" || error.reason === "stale")) return undefined;
    throw error;
  }
}

// Run as `npm run reset`; imported, it only defines the command (the learner journeys' tests run it in their process).
if (import.meta.main) await runCommand(program);
