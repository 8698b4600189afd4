/**
 * What every `az` command file shares: how a command runs against the sandbox
 * and prints its result, and az's own conventions (usage errors exit 2; dates
 * printed as Python's isoformat). Command groups live with their resource
 * provider (`providers/<name>/az.ts`); program.ts assembles those a command line names.
 */
import type { Connection } from "./connection.ts";

/** Runs a command against the sandbox and prints its result; `table` picks the columns az's table shows. */
export type Run = (
  work: (connection: Connection) => Promise<unknown>,
  view?: { table?: (result: unknown) => unknown },
) => Promise<void>;

/** A usage error: az exits 2 for these. */
export function usage(message: string): Error {
  return Object.assign(new Error(message), { usage: true });
}

/** Python's isoformat, as az prints dates. */
export const azDate = (value: Date | string | undefined) =>
  value
    ? new Date(value)
        .toISOString()
        .replace(/\.000Z$/, "+00:00")
        .replace(/\.(\d{3})Z$/, ".$1000+00:00")
    : null;

/** az's warnings, on stderr; `--only-show-errors` hides them. */
export function warn(message: string): void {
  if (!process.argv.includes("--only-show-errors")) process.stderr.write(`WARNING: ${message}\n`);
}

/**
 * az's confirmation of a command that deletes: `--yes`, or y/n typed on a terminal. With neither,
 * az cannot ask, and changes nothing.
 */
export async function confirm(yes: boolean | undefined, question = "Are you sure you want to perform this operation?") {
  if (yes) return;
  if (!process.stdin.isTTY) {
    warn("Unable to prompt for confirmation as no tty available. Use --yes.");
    throw new Error("Operation cancelled.");
  }
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await prompt.question(`${question} (y/n): `)).trim().toLowerCase();
      if (answer === "y" || answer === "yes") return;
      if (answer === "n" || answer === "no") throw new Error("Operation cancelled.");
    }
  } finally {
    prompt.close();
  }
}

/** `/subscriptions/{id}/resourceGroups/{name}`: where a group's resources are. */
export const groupScope = (subscriptionId: string, group: string) =>
  `/subscriptions/${subscriptionId}/resourceGroups/${group}`;
