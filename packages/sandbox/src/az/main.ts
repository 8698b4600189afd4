#!/usr/bin/env node
/**
 * The sandbox's `az`: real Azure CLI syntax and output for the commands the
 * lessons use, against the running sandbox instead of Azure. What a learner
 * types here (`npm run az -- <args>`) is what they will type on Azure.
 *
 * This file is the process around one call (run.ts): its arguments, its
 * streams, its environment and folder in; its exit code out.
 */
import { Command } from "commander";
import { runAz } from "./run.ts";

const env = process.env;
// `npm run az -- …` runs this in packages/sandbox: a file argument (`--template-file infra/main.json`,
// `--parameters @credential.json`) is the learner's, relative to where they typed the command (INIT_CWD).
const cwd = env["npm_lifecycle_event"] === "az" && env["INIT_CWD"] ? env["INIT_CWD"] : process.cwd();
// Help's width and colours as commander reads this process's terminal (its defaults, before run.ts sets its own).
const { getOutHelpWidth, getOutHasColors, getErrHelpWidth, getErrHasColors } = new Command().configureOutput();

const code = await runAz(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env,
  cwd,
  terminal: {
    ...(process.stdin.isTTY ? { input: process.stdin, prompt: process.stderr } : {}),
    colors: Boolean(process.stdout.isTTY && process.stderr.isTTY),
    help: { getOutHelpWidth, getOutHasColors, getErrHelpWidth, getErrHasColors },
  },
});
// A failure ends the process at once, as az does; a success lets what it wrote to a pipe drain first.
if (code === 0) process.exitCode = 0;
else process.exit(code);
