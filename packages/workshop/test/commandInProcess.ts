/**
 * The learner's commands that a lesson repeats (`npm run check`, `exercise`, `progress`, `reset`), run in
 * the test's process: the same exit code and words as `node packages/workshop/src/commands/<name>.ts …`
 * gives, without a Node process per command (half a CPU-second to a second each, nearly all of it loading
 * modules the test's process has loaded already). commands.test.ts runs them as processes, as a learner
 * does, and commandInProcess.test.ts proves both answer the same.
 *
 * While a command runs it has the process to itself, as it would: the environment it is given, its own
 * console and exit code, all put back afterwards. So commands run one at a time (the journeys' tests are
 * sequential), never beside one another.
 */
import { stripVTControlCharacters, format } from "node:util";
import type { Command } from "commander";
import { commandFailureCode } from "../src/terminal/runCommand.ts";

const COMMANDS = {
  check: () => import("../src/commands/check.ts"),
  exercise: () => import("../src/commands/exercise.ts"),
  progress: () => import("../src/commands/progress.ts"),
  reset: () => import("../src/commands/reset.ts"),
} satisfies Record<string, () => Promise<{ program: Command }>>;

export type InProcessCommand = keyof typeof COMMANDS;

export interface CommandAnswer {
  readonly code: number;
  /** What the command printed, without colours, in the order it printed it. */
  readonly output: string;
}

let running = false;

/** `npm run <name> -- <args>` with this environment, in this process. */
export async function commandInProcess(
  name: InProcessCommand,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<CommandAnswer> {
  if (running) throw new Error("commandInProcess: a command is running already; run them one at a time.");
  const { program } = await COMMANDS[name]();
  running = true;
  // Commander's own endings (--help, an unknown option) become errors here, not the end of the test's process.
  program.exitOverride();
  const saved = {
    env: { ...process.env },
    exitCode: process.exitCode,
    log: console.log,
    info: console.info,
    warn: console.warn,
    error: console.error,
  };
  let output = "";
  const collect = (...parts: unknown[]) => {
    output += `${format(...parts)}\n`;
  };
  console.log = console.info = console.warn = console.error = collect;
  setEnvironment(env);
  process.exitCode = undefined;
  try {
    const failed = await commandFailureCode(program, ["node", name, ...args]);
    return { code: failed || Number(process.exitCode ?? 0), output: stripVTControlCharacters(output) };
  } finally {
    setEnvironment(saved.env);
    process.exitCode = saved.exitCode;
    Object.assign(console, { log: saved.log, info: saved.info, warn: saved.warn, error: saved.error });
    await closeConnections();
    running = false;
  }
}

/** Where Node's fetch keeps its connection pool (undici's global dispatcher), once fetch has been used. */
const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");
interface Dispatcher {
  close(): Promise<void>;
}

/**
 * A process's fetch starts with no connection open, so the next command's does too: the pool this one used
 * is closed and replaced by a new, empty one. Kept, a connection to an app that npm start restarted since on
 * the same port would fail the next command's first request, which no learner's command ever meets.
 */
async function closeConnections(): Promise<void> {
  const slots = globalThis as unknown as Record<symbol, Dispatcher | undefined>;
  const used = slots[GLOBAL_DISPATCHER];
  if (!used) return;
  slots[GLOBAL_DISPATCHER] = new (used.constructor as new () => Dispatcher)();
  await used.close();
}

/** Makes process.env hold exactly these variables, in place: modules that kept a reference to it see them too. */
function setEnvironment(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value;
}
