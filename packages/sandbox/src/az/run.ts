/**
 * The sandbox's `az`, one call: a command line in, its output written and its exit code out, as the
 * process would give them (main.ts is that process: it passes its own arguments, streams and
 * environment). A call reads nothing of the process it runs in, so the workshop's own commands and the
 * tests run az here without a process each, and two calls at once keep apart: each has its command
 * tree, its connection and its output.
 */
import type { Command, CommanderError } from "commander";
import { sandboxStateDir } from "../stateDir.ts";
import { AzError, connect } from "./connection.ts";
import { format, query, withResourceGroups } from "./output.ts";
import { azProgram } from "./program.ts";
import { type AzIo, type HelpTerminal, type Run, shellOf } from "./shell.ts";

export type { AzIo, AzTerminal, HelpTerminal, Writer } from "./shell.ts";

/** How a call ends early with its exit code, where the process would have called process.exit. */
class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

/** Runs `az <args>`; resolves to az's exit code: 0, 1 for an error, 2 for usage, 3 for a service's 404. */
export async function runAz(args: readonly string[], io: AzIo): Promise<number> {
  const shell = shellOf(args, io);
  /**
   * KEYLESS_AZ_SYNTAX_ONLY=1: parse the command line as usual (an unknown command or option, a required
   * one missing: az's usage error, exit 2) and stop there, before any request. How the docs' Azure-only
   * commands (`az group delete` of a real group) are checked without being run.
   */
  const syntaxOnly = io.env["KEYLESS_AZ_SYNTAX_ONLY"] === "1";
  const run: Run = async (work, view) => {
    if (syntaxOnly) return;
    const options = az.opts<{ output: string; query?: string }>();
    const result = withResourceGroups(await work(connect(sandboxStateDir(io.env), io.env), shell));
    const shown =
      options.query && result !== undefined
        ? query(result, options.query)
        : options.output === "table" && view?.table && result !== undefined
          ? view.table(result)
          : result;
    const text = format(shown, options.output);
    if (text !== undefined) io.stdout.write(`${text}\n`);
  };
  const az = await azProgram(args, run);
  configure(az, io);
  try {
    if (args.length === 0) az.outputHelp();
    else await az.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    return error instanceof Exit ? error.code : fail(az, io, error);
  }
}

/** What one call of az printed, and its exit code: az's answer as a program (or a test) reads it. */
export interface AzAnswer {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `az <args>` without a terminal, with this environment and folder, and collects what it prints. */
export async function azAnswer(args: readonly string[], { env, cwd }: Pick<AzIo, "env" | "cwd">): Promise<AzAnswer> {
  let stdout = "";
  let stderr = "";
  const code = await runAz(args, {
    stdout: { write: (text) => (stdout += text) },
    stderr: { write: (text) => (stderr += text) },
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

const pathOf = (command: Command): string =>
  command.parent ? `${pathOf(command.parent)} ${command.name()}` : command.name();

/** Usage errors as az words them (argparse), exit code 2. */
function usageError(command: Command, io: AzIo, error: CommanderError): never {
  const path = pathOf(command);
  const unknown = /unknown command '([^']*)'/.exec(error.message)?.[1];
  const missing = /option '([^']+)' not specified/.exec(error.message)?.[1]?.split(" ")[0];
  const unrecognized = /unknown option '([^']+)'/.exec(error.message)?.[1];
  if (error.code === "commander.helpDisplayed" || error.code === "commander.version") throw new Exit(0);
  if (error.code === "commander.help") throw new Exit(0);
  if (unknown !== undefined)
    io.stderr.write(`${path}: '${unknown}' is not in the '${path}' command group. See '${path} --help'.\n`);
  else if (missing)
    io.stderr.write(
      `ERROR: the following arguments are required: ${missing.replace(/^-\w, /, "")}\n\nExamples and help: '${path} --help'\n`,
    );
  else if (unrecognized)
    io.stderr.write(`ERROR: unrecognized arguments: ${unrecognized}\n\nExamples and help: '${path} --help'\n`);
  else io.stderr.write(`ERROR: ${error.message.replace(/^error: /, "")}\n`);
  throw new Exit(2);
}

/** Help as commander writes it to a pipe: 80 columns, no colours. */
const IN_A_PIPE: HelpTerminal = {
  getOutHelpWidth: () => 80,
  getErrHelpWidth: () => 80,
  getOutHasColors: () => false,
  getErrHasColors: () => false,
};

/**
 * Every command and group: commander's help to this call's output, its own messages quiet, its exits
 * thrown instead of taken; the answers az's.
 */
function configure(command: Command, io: AzIo): void {
  command.configureOutput({
    writeOut: (text) => void io.stdout.write(text),
    writeErr: (text) => void io.stderr.write(text),
    ...(io.terminal?.help ?? IN_A_PIPE),
    outputError: () => undefined,
  });
  command.exitOverride((error) => usageError(command, io, error));
  for (const sub of command.commands) configure(sub, io);
}

/**
 * Errors as az prints them: `ERROR: (Code) Message`, and for a service's answer its `Code:` and
 * `Message:` lines. Exit code 2 for usage, 3 for a service's 404 (az's ResourceNotFoundError), else 1.
 */
function fail(az: Command, io: AzIo, error: unknown): number {
  // The SDK's RestError carries the service's body as `details` (innerError, in its casing) and its `statusCode`.
  const failure = error as {
    code?: unknown;
    usage?: boolean;
    statusCode?: number;
    details?: { error?: { code?: string; message?: string; innerError?: { code?: string } } };
  };
  const service = failure.details?.error;
  const status = error instanceof AzError ? error.status : failure.statusCode;
  const code =
    service?.code ?? (typeof failure.code === "string" && !/^E[A-Z]+$/.test(failure.code) ? failure.code : undefined);
  const message = service?.message ?? (error instanceof Error ? error.message : String(error));
  const inner = service?.innerError?.code;
  const lines = [`ERROR: ${code ? `(${code}) ` : ""}${message}`];
  if (code && (service || status !== undefined)) lines.push(`Code: ${code}`, `Message: ${message}`);
  if (inner) lines.push(`Inner error: {\n    "code": "${inner}"\n}`);
  if (az.opts()["debug"] && error instanceof Error && !(error instanceof AzError)) lines.push(error.stack ?? "");
  io.stderr.write(`${lines.join("\n")}\n`);
  return failure.usage ? 2 : status === 404 ? 3 : 1;
}
