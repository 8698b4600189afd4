/**
 * A second workshop for a test file: `npm start`'s launcher (packages/launcher)
 * on free ports, with the test's environment (its own KEYLESS_SANDBOX_DIR, so
 * that it never meets a learner's own workshop).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { LAUNCHER, WITH_COMPILE_CACHE } from "../src/layout/repo.ts";

export const WORKSHOP = fileURLToPath(new URL("..", import.meta.url));

export interface LaunchedWorkshop {
  readonly child: ChildProcess;
  /** Everything the launcher printed so far. */
  output(): string;
  /** Stops it with SIGTERM, as a closing terminal would, and waits until it has. */
  stop(): Promise<void>;
}

/** Starts the launcher as `npm start -- --free-ports <args>` does, and resolves once its ready table is printed. */
export async function launchWorkshop(args: readonly string[], env: NodeJS.ProcessEnv): Promise<LaunchedWorkshop> {
  const child = spawn(process.execPath, [...WITH_COMPILE_CACHE, LAUNCHER, "--free-ports", ...args], {
    cwd: WORKSHOP,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ctrl-C stops everything")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, output: () => output, stop };
}
