/**
 * What every `az` command file shares: how a command runs against the sandbox
 * and prints its result, and az's own conventions (usage errors exit 2; dates
 * printed as Python's isoformat). Command groups live with their resource
 * provider (`providers/<name>/az.ts`); main.ts assembles them.
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
