/**
 * Starts an app (a step, a learner's app, a benchmark's baseline) as its own
 * process, the way App Service runs one: `node src/server.ts` in its folder,
 * with the environment it is given and little else, ready once it prints
 * "listening on <url>". It never outlives whoever started it (stepLifeline.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { askToStop, baseEnvironment } from "./platform.ts";

/** The environment variables whose values are secrets: they must never show up in a response or a log. */
export const SECRET_VARIABLES: readonly string[] = ["AZURE_CLIENT_SECRET", "IDENTITY_HEADER"];

export interface RunningStep {
  /** The step's base URL, e.g. http://localhost:41234 */
  readonly url: string;
  /** Its process's id (for what the system says of it: memory, CPU time). */
  readonly pid: number | undefined;
  /** Everything the step printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartStepOptions {
  /** The step's folder (holding src/server.ts). */
  readonly dir: string | URL;
  /** The environment the step gets, on top of what Node needs to run (PATH and HOME; see baseEnvironment). */
  readonly env: Readonly<Record<string, string>>;
  /** How long to wait for "listening on". */
  readonly timeoutMs?: number;
  /** Called with each line the step prints, as it prints it. */
  readonly onLine?: (line: string) => void;
}

/** The outcome of a step that was expected to fail at start-up. */
export interface FailedStart {
  readonly exitCode: number | null;
  readonly output: string;
  readonly elapsedMs: number;
}

const LISTENING = /listening on (http:\/\/[^\s"]+)/;

/** The preload that ends a step when its starter is gone (see the file); `.js` once compiled. */
const LIFELINE = new URL(import.meta.url.endsWith(".ts") ? "./stepLifeline.ts" : "./stepLifeline.js", import.meta.url)
  .href;

/** The step's NODE_OPTIONS: the caller's (steps 02-04 get a preload from the sandbox), and the lifeline. */
function withLifeline(nodeOptions: string | undefined): string {
  return [nodeOptions, `--import ${LIFELINE}`].filter(Boolean).join(" ");
}

function compileCache(): Record<string, string> {
  const dir = process.env["NODE_COMPILE_CACHE"];
  return dir ? { NODE_COMPILE_CACHE: dir } : {};
}

function spawnStep(
  dir: string | URL,
  env: Readonly<Record<string, string>>,
  onLine?: (line: string) => void,
): { child: ChildProcess; output: () => string } {
  const cwd = typeof dir === "string" ? dir : fileURLToPath(dir);
  // A clean environment, like a fresh App Service: only what the caller gives. HOST: on loopback only,
  // a workshop's apps are not for the network.
  const child = spawn(process.execPath, ["src/server.ts"], {
    cwd,
    env: {
      ...baseEnvironment(),
      PORT: "0",
      HOST: "127.0.0.1",
      // Node's compile cache is the starter's, unless the caller names one: not the app's configuration, but
      // whether Node compiles the SDKs again at every start.
      ...compileCache(),
      ...env,
      NODE_OPTIONS: withLifeline(env["NODE_OPTIONS"]),
      KEYLESS_STEP_PARENT: String(process.pid),
    },
    // stdin: the lifeline, a pipe nobody writes to; it closes when this process ends, however it ends.
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.on("error", () => {});
  // The step must not outlive whoever started it (a test run, npm start), whatever ends it: at a normal
  // exit it is killed here; when this process is killed, the lifeline ends it.
  const killStep = () => child.kill("SIGKILL");
  process.once("exit", killStep);
  child.once("exit", () => process.off("exit", killStep));
  let text = "";
  let pending = "";
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
    if (!onLine) return;
    const lines = (pending + chunk.toString()).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { child, output: () => text };
}

/** Starts a step as its own process, the way `npm start` and App Service do, on a free port. */
export async function startStep({ dir, env, timeoutMs = 30_000, onLine }: StartStepOptions): Promise<RunningStep> {
  const { child, output } = spawnStep(dir, env, onLine);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The step did not start within ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    const check = () => {
      const match = LISTENING.exec(output());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The step exited with ${code} before listening:\n${output()}`));
    });
  });
  return {
    url,
    pid: child.pid,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      askToStop(child);
      await exited;
    },
  };
}

/** Starts a step that should fail at start-up, and reports how. */
export async function startStepExpectingFailure({
  dir,
  env,
  timeoutMs = 20_000,
}: StartStepOptions): Promise<FailedStart> {
  const started = Date.now();
  const { child, output } = spawnStep(dir, env);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [exitCode] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { exitCode, output: output(), elapsedMs: Date.now() - started };
}
