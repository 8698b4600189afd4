#!/usr/bin/env node
/**
 * The sandbox's `az`: real Azure CLI syntax and output for the commands the
 * lessons use, against the running sandbox instead of Azure. What a learner
 * types here (`npm run az -- <args>`) is what they will type on Azure.
 */
import type { Command, CommanderError } from "commander";
import { AzError, connect } from "./connection.ts";
import { format, query, withResourceGroups } from "./output.ts";
import { azProgram } from "./program.ts";
import type { Run } from "./shell.ts";

// `npm run az -- …` runs this in packages/sandbox: a file argument (`--template-file infra/main.json`,
// `--parameters @credential.json`) is the learner's, relative to where they typed the command (INIT_CWD).
if (process.env["npm_lifecycle_event"] === "az" && process.env["INIT_CWD"]) process.chdir(process.env["INIT_CWD"]);

/**
 * KEYLESS_AZ_SYNTAX_ONLY=1: parse the command line as usual (an unknown command or option, a required
 * one missing: az's usage error, exit 2) and stop there, before any request. How the docs' Azure-only
 * commands (`az group delete` of a real group) are checked without being run.
 */
const SYNTAX_ONLY = process.env["KEYLESS_AZ_SYNTAX_ONLY"] === "1";

const run: Run = async (work, view) => {
  if (SYNTAX_ONLY) return;
  const options = az.opts<{ output: string; query?: string }>();
  const result = withResourceGroups(await work(connect()));
  const shown =
    options.query && result !== undefined
      ? query(result, options.query)
      : options.output === "table" && view?.table && result !== undefined
        ? view.table(result)
        : result;
  const text = format(shown, options.output);
  if (text !== undefined) process.stdout.write(`${text}\n`);
};

const az = await azProgram(process.argv.slice(2), run);

const pathOf = (command: Command): string =>
  command.parent ? `${pathOf(command.parent)} ${command.name()}` : command.name();

/** Usage errors as az words them (argparse), exit code 2. */
function usageError(command: Command, error: CommanderError): never {
  const path = pathOf(command);
  const unknown = /unknown command '([^']*)'/.exec(error.message)?.[1];
  const missing = /option '([^']+)' not specified/.exec(error.message)?.[1]?.split(" ")[0];
  const unrecognized = /unknown option '([^']+)'/.exec(error.message)?.[1];
  if (error.code === "commander.helpDisplayed" || error.code === "commander.version") process.exit(0);
  if (error.code === "commander.help") process.exit(0);
  if (unknown !== undefined)
    process.stderr.write(`${path}: '${unknown}' is not in the '${path}' command group. See '${path} --help'.\n`);
  else if (missing)
    process.stderr.write(
      `ERROR: the following arguments are required: ${missing.replace(/^-\w, /, "")}\n\nExamples and help: '${path} --help'\n`,
    );
  else if (unrecognized)
    process.stderr.write(`ERROR: unrecognized arguments: ${unrecognized}\n\nExamples and help: '${path} --help'\n`);
  else process.stderr.write(`ERROR: ${error.message.replace(/^error: /, "")}\n`);
  process.exit(2);
}

/** Every command and group: quiet commander's own messages, answer like az. */
function configure(command: Command): void {
  command.configureOutput({ outputError: () => undefined });
  command.exitOverride((error) => usageError(command, error));
  command.commands.forEach(configure);
}
configure(az);

/**
 * Errors as az prints them: `ERROR: (Code) Message`, and for a service's answer its `Code:` and
 * `Message:` lines. Exit code 2 for usage, 3 for a service's 404 (az's ResourceNotFoundError), else 1.
 */
function fail(error: unknown): never {
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
  process.stderr.write(`${lines.join("\n")}\n`);
  process.exit(failure.usage ? 2 : status === 404 ? 3 : 1);
}

if (process.argv.length <= 2) {
  az.outputHelp();
} else {
  await az.parseAsync(process.argv).catch(fail);
}
