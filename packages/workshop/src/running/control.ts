/**
 * The running `npm start`, as the other commands reach it: through the
 * control endpoint its launcher serves (packages/launcher, controlServer.ts),
 * found in `.sandbox/endpoints.json`. Reset the sandbox, make the third party
 * fail on purpose for a checkpoint, restart a step, read a step's logs.
 */
import type { ThirdPartyControl } from "@keyless/contract-tests";
import type { ResetReport } from "@keyless/sandbox";
import { endpointsFile } from "../layout/repo.ts";
import { readEndpointsFile, removeIfUnchanged, type LauncherFields } from "./endpointsFile.ts";

export interface ControlEndpoint {
  readonly url: string;
  /** A random token: only someone who can read `.sandbox/endpoints.json` can use the endpoint. */
  readonly token: string;
}

/** What `npm start` wrote about itself. */
export interface RunningWorkshop {
  readonly endpoints: Readonly<Record<string, unknown>> &
    LauncherFields & { readonly steps: Readonly<Record<string, string>>; readonly control: ControlEndpoint };
  readonly thirdParty: ThirdPartyControl;
  /** Settles when the launcher answers; NotRunningError when it does not. */
  ping(): Promise<void>;
  /** The sandbox back to what infra/main.json provisions: what it discarded, by kind of change. */
  reset(): Promise<ResetReport>;
  secrets(): Promise<readonly string[]>;
  logs(step: string): Promise<string>;
  restart(step: string): Promise<{ url?: string; error?: string }>;
  /** How many messages wait in the seed's queue (Azure's approximate count). */
  queueCount(): Promise<number>;
  /** Any other route, e.g. the learner's apps' (see workspaceControl.ts). */
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** How long a launcher that runs takes to answer at most (it answers at once unless it is paused). */
const PING_TIMEOUT_MS = 5000;

/**
 * Connects to the `npm start` that is running, or explains how to start one. A file left by a launcher
 * that is gone (its pid is dead, or its control endpoint refuses) is removed and named.
 */
export function connectToRunningWorkshop(file = endpointsFile()): RunningWorkshop {
  const found = readEndpointsFile(file);
  if (found.state === "none") throw new NotRunningError("none");
  if (found.state === "stale") throw new NotRunningError("stale");
  const endpoints = found.endpoints as RunningWorkshop["endpoints"];
  if (typeof endpoints.control?.url !== "string") {
    // Not a launcher's file (a sandbox's own, from its tests): no control endpoint to use.
    throw new NotRunningError("none");
  }
  const send = (method: string, path: string, body?: unknown, timeoutMs?: number) =>
    fetch(`${endpoints.control.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${endpoints.control.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
    });
  const call = async (method: string, path: string, body?: unknown, timeoutMs?: number): Promise<unknown> => {
    const response = await send(method, path, body, timeoutMs)
      // A kept-alive connection the launcher closed just as this request went out fails before the launcher saw
      // the request: once more, on a new connection.
      .catch((error: unknown) => {
        if (isTimeout(error) || causeCode(error) === "ECONNREFUSED") throw error;
        return send(method, path, body, timeoutMs);
      })
      .catch((error: unknown) => {
        if (isTimeout(error)) throw new NotRunningError("unresponsive");
        const code = causeCode(error);
        if (code !== "ECONNREFUSED") throw new NotRunningError("unreachable", code);
        // Nothing listens where the file says: the launcher that wrote it is gone (its pid taken by another process since).
        removeIfUnchanged(file, found.text);
        throw new NotRunningError("stale");
      });
    if (!response.ok) throw new Error(`The running sandbox answered ${response.status} to ${method} ${path}.`);
    return response.json();
  };
  return {
    endpoints,
    thirdParty: {
      keys: async () => ((await call("GET", "/third-party/keys")) as { keys: string[] }).keys,
      setKeys: async (keys) => void (await call("PUT", "/third-party/keys", { keys })),
      setFault: async (fault) => void (await call("PUT", "/third-party/fault", { fault })),
      stop: async () => void (await call("POST", "/third-party/stop")),
      start: async () => void (await call("POST", "/third-party/start")),
    },
    ping: async () => void (await call("GET", "/ping", undefined, PING_TIMEOUT_MS)),
    reset: async () => (await call("POST", "/reset")) as ResetReport,
    secrets: async () => ((await call("GET", "/secrets")) as { secrets: string[] }).secrets,
    logs: async (step) => ((await call("GET", `/logs/${step}`)) as { logs: string }).logs,
    restart: async (step) => (await call("POST", `/steps/${step}/restart`)) as { url?: string; error?: string },
    queueCount: async () => ((await call("GET", "/queue/count")) as { count: number }).count,
    request: async <T>(method: string, path: string, body?: unknown) => (await call(method, path, body)) as T,
  };
}

/** Connects to the running `npm start` and makes sure it answers: what every command does first. */
export async function reachRunningWorkshop(file = endpointsFile()): Promise<RunningWorkshop> {
  const workshop = connectToRunningWorkshop(file);
  await workshop.ping();
  return workshop;
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && error.name === "TimeoutError";
}

/** What the network said (`ECONNRESET`, undici's `UND_ERR_SOCKET`), when fetch failed below HTTP. */
function causeCode(error: unknown): string | undefined {
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === "string" ? code : undefined;
}

/** Why there is no sandbox to talk to. */
export type NotRunningReason = "none" | "stale" | "unresponsive" | "unreachable";

const NOT_RUNNING: Record<NotRunningReason, string> = {
  none: "The sandbox is not running: start it in another terminal with npm start, then try again.",
  stale:
    "The sandbox is not running (an npm start that did not stop cleanly left its endpoints file behind; removed now): start it in another terminal with npm start, then try again.",
  unresponsive:
    "The sandbox does not answer: if npm start is paused (Ctrl-Z), resume it with fg; otherwise stop it (Ctrl-C) and start it again.",
  unreachable:
    "The connection to npm start's control endpoint failed twice: if npm start is still running, try again; if it keeps failing, stop it (Ctrl-C) and start it again.",
};

export class NotRunningError extends Error {
  override name = "NotRunningError";
  readonly reason: NotRunningReason;
  constructor(reason: NotRunningReason = "none", code?: string) {
    super(code ? NOT_RUNNING[reason].replace("failed twice", `failed twice (${code})`) : NOT_RUNNING[reason]);
    this.reason = reason;
  }
}
