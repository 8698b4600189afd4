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

/**
 * Runs the command with these arguments (`node`, the script, then the learner's), and says in one line why it
 * failed if it did: its exit code for that failure, or 0 (an action that fails a check sets process.exitCode).
 */
export async function commandFailureCode(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    console.error(fail(error instanceof Error ? error.message : String(error)));
    return error instanceof UsageError || error instanceof NotRunningError ? 2 : 1;
  }
}

/** Runs the command with this process's arguments, and ends it in one line if it fails. */
export async function runCommand(program: Command): Promise<void> {
  const code = await commandFailureCode(program, process.argv);
  if (code !== 0) process.exit(code);
}
