/**
 * How every command ends when something goes wrong: one line, never a stack
 * trace. Exit code 2 for what the learner fixes by calling it differently or
 * by starting `npm start` first (a usage mistake, no running sandbox), 1 for
 * anything else.
 */
import type { Command } from "commander";
import { NotRunningError } from "../running/control.ts";
import { fail } from "./ui.ts";
import { UsageError } from "./usageError.ts";

/** Runs the command with this process's arguments, and ends it in one line if it fails. */
export async function runCommand(program: Command): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    console.error(fail(error instanceof Error ? error.message : String(error)));
    process.exit(error instanceof UsageError || error instanceof NotRunningError ? 2 : 1);
  }
}
