/**
 * A step's process: started in its own process group (so that a timeout or
 * Ctrl-C ends it and everything it started, and nothing else), its output read
 * line by line as it comes, stdout and stderr in the order they arrive, as a
 * runner streams a step's log.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export interface Spawned {
  readonly code: number;
  /** Why it ended early, if it did. */
  readonly stopped?: "timeout" | "cancelled";
  readonly stdout: string;
  readonly stderr: string;
}

/** How long a stopped step has between SIGTERM and SIGKILL. */
const GRACE_MS = 5000;

/** The full path of a program on a PATH, or undefined. */
export function which(program: string, path: string): string | undefined {
  if (isAbsolute(program)) return program;
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function run(
  file: string,
  args: readonly string[],
  options: {
    readonly cwd: string;
    readonly env: Readonly<Record<string, string>>;
    /** Each line of output, as it comes (omit to keep it silent). */
    readonly onLine?: (line: string) => void;
    readonly timeoutMs?: number;
    readonly signal?: AbortSignal;
  },
): Promise<Spawned> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let stopped: Spawned["stopped"];
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stop = (why: "timeout" | "cancelled") => {
      if (stopped || child.exitCode !== null || child.pid === undefined) return;
      stopped = why;
      const group = -child.pid;
      try {
        process.kill(group, "SIGTERM");
      } catch {
        return;
      }
      setTimeout(() => {
        try {
          process.kill(group, "SIGKILL");
        } catch {
          // already gone
        }
      }, GRACE_MS).unref();
    };
    const timer = options.timeoutMs ? setTimeout(() => stop("timeout"), options.timeoutMs) : undefined;
    const onAbort = () => stop("cancelled");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const lines = (append: (text: string) => void) => {
      let pending = "";
      return {
        data(chunk: Buffer) {
          const text = chunk.toString("utf8");
          append(text);
          pending += text;
          const parts = pending.split("\n");
          pending = parts.pop() ?? "";
          for (const line of parts) options.onLine?.(line.replace(/\r$/, ""));
        },
        end() {
          if (pending !== "") options.onLine?.(pending);
          pending = "";
        },
      };
    };
    const out = lines((text) => {
      stdout += text;
    });
    const err = lines((text) => {
      stderr += text;
    });
    child.stdout.on("data", out.data);
    child.stderr.on("data", err.data);
    child.on("error", (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({ code: 127, stdout, stderr: `${stderr}${error.message}\n` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      out.end();
      err.end();
      resolve({ code: code ?? (signal ? 128 + 15 : 1), ...(stopped ? { stopped } : {}), stdout, stderr });
    });
  });
}
