/**
 * What every `az` command file shares: how a command runs against the sandbox
 * and prints its result, and az's own conventions (usage errors exit 2; dates
 * printed as Python's isoformat). Command groups live with their resource
 * provider (`providers/<name>/az.ts`); program.ts assembles those a command line names.
 */
import { resolve } from "node:path";
import type { OutputConfiguration } from "commander";
import type { Connection } from "./connection.ts";

/** Where an `az` call writes: process.stdout and process.stderr fit, as does a collector of text. */
export interface Writer {
  write(text: string): unknown;
}

/**
 * Everything an `az` call takes from its surroundings, which a process takes from itself (main.ts passes
 * its own): two calls in one process each have theirs, and neither reads the process's.
 */
export interface AzIo {
  readonly stdout: Writer;
  readonly stderr: Writer;
  /** The environment: KEYLESS_SANDBOX_DIR, KEYLESS_AZ_SYNTAX_ONLY, AZURE_CONFIG_DIR, AZURE_CORE_NO_COLOR, INIT_CWD. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The folder relative file arguments (`--template-file infra/main.json`) are read from. */
  readonly cwd: string;
  /** What az knows of the terminal it runs on; without one (a pipe, a test) it prompts for nothing, in no colour. */
  readonly terminal?: AzTerminal;
}

export interface AzTerminal {
  /** Standard input, when it is a terminal: az's y/n question is asked there (and written to `prompt`). */
  readonly input?: NodeJS.ReadableStream;
  readonly prompt?: NodeJS.WritableStream;
  /** Standard output and error are both terminals: `what-if` prints its changes in colour. */
  readonly colors: boolean;
  /** Help's width and colours, as commander reads the terminal (else 80 columns and none, as in a pipe). */
  readonly help?: HelpTerminal;
}

export type HelpTerminal = Pick<
  OutputConfiguration,
  "getOutHelpWidth" | "getOutHasColors" | "getErrHelpWidth" | "getErrHasColors"
>;

/**
 * What a command may do besides asking the sandbox: print, warn, ask, read a file argument, each through
 * its own call's AzIo (see shellOf), never the process's.
 */
export interface Shell {
  /** Writes to az's standard output. */
  out(text: string): void;
  /** Writes to az's standard error. */
  err(text: string): void;
  /** az's warnings, on stderr; `--only-show-errors` hides them. */
  warn(message: string): void;
  /**
   * az's confirmation of a command that deletes: `--yes`, or y/n typed on a terminal. With neither,
   * az cannot ask, and changes nothing.
   */
  confirm(yes: boolean | undefined, question?: string): Promise<void>;
  /** A file argument as the path to read: relative to the folder the command was typed in. */
  file(path: string): string;
  /** The environment the command runs with. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard output and error are both terminals: az may print in colour. */
  readonly colors: boolean;
}

/** Runs a command against the sandbox and prints its result; `table` picks the columns az's table shows. */
export type Run = (
  work: (connection: Connection, shell: Shell) => Promise<unknown>,
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

/** The shell of one `az` call with these arguments. */
export function shellOf(args: readonly string[], io: AzIo): Shell {
  const warn = (message: string) => {
    if (!args.includes("--only-show-errors")) io.stderr.write(`WARNING: ${message}\n`);
  };
  return {
    out: (text) => void io.stdout.write(text),
    err: (text) => void io.stderr.write(text),
    warn,
    async confirm(yes, question = "Are you sure you want to perform this operation?") {
      if (yes) return;
      const input = io.terminal?.input;
      if (!input) {
        warn("Unable to prompt for confirmation as no tty available. Use --yes.");
        throw new Error("Operation cancelled.");
      }
      const { createInterface } = await import("node:readline/promises");
      const prompt = createInterface({ input, ...(io.terminal?.prompt ? { output: io.terminal.prompt } : {}) });
      try {
        for (;;) {
          const answer = (await prompt.question(`${question} (y/n): `)).trim().toLowerCase();
          if (answer === "y" || answer === "yes") return;
          if (answer === "n" || answer === "no") throw new Error("Operation cancelled.");
        }
      } finally {
        prompt.close();
      }
    },
    file: (path) => resolve(io.cwd, path),
    env: io.env,
    colors: io.terminal?.colors ?? false,
  };
}

/** `/subscriptions/{id}/resourceGroups/{name}`: where a group's resources are. */
export const groupScope = (subscriptionId: string, group: string) =>
  `/subscriptions/${subscriptionId}/resourceGroups/${group}`;
