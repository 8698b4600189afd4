/**
 * A small local endpoint of the running `npm start`, so that other commands
 * (`npm run check`, `npm run reset`) can drive the sandbox it holds: reset
 * its state, and make the third party fail on purpose for a checkpoint.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ThirdPartyControl } from "@keyless/contract-tests";
import type { Sandbox } from "@keyless/sandbox";
import { host, secretsEqual, sendError, type ErrorAnswer, type ServiceErrors } from "@keyless/sandbox/host";
import { z } from "zod";
import { readEndpointsFile, removeIfUnchanged, type LauncherFields } from "./endpointsFile.ts";
import { ENDPOINTS_FILE } from "../layout/repo.ts";

export interface ControlEndpoint {
  readonly url: string;
  /** A random token: only someone who can read `.sandbox/endpoints.json` can use the endpoint. */
  readonly token: string;
}

/** A refusal the caller caused: answered 400 with its reason. */
class BadControlRequest extends Error {}

/** The body as JSON (at most 1 MB), or a BadControlRequest. */
async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = "";
  try {
    for await (const chunk of request) {
      text += String(chunk);
      if (text.length > 1_000_000) throw new BadControlRequest("The body is larger than 1 MB.");
    }
  } catch (error) {
    // A client that went away mid-body, or sent too much: its mistake, not the launcher's.
    throw error instanceof BadControlRequest ? error : new BadControlRequest("The body did not arrive whole.");
  }
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    throw new BadControlRequest("The body is not JSON.");
  }
}

/** The body a route takes, checked before anything changes: a refused request changes nothing. */
function bodyOf<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new BadControlRequest(
      `The body is not what this route takes: ${parsed.error.issues[0]?.message ?? "not valid"}.`,
    );
  return parsed.data;
}

const KEYS = z.object({ keys: z.array(z.string().min(1).max(1000)).min(1).max(10) });
const FAULT = z.object({
  fault: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("status"), status: z.number().int().min(400).max(599) }),
      z.object({ kind: z.literal("delay"), ms: z.number().int().min(0).max(120_000) }),
      z.object({ kind: z.literal("body"), body: z.string().max(100_000) }),
    ])
    .nullable(),
});

/** The control endpoint's answers: JSON `{"error"}`, never a stack. */
const answer = (status: number, error: string): ErrorAnswer => ({ status, body: { error } });
const controlErrors: ServiceErrors = {
  notFound: () => answer(404, "No such route."),
  badRequest: () => answer(400, "The request could not be read."),
  internal: () => answer(500, "The launcher failed on this request; it goes on."),
};

/** What the control endpoint may read from the launcher: each step's output and its secrets. */
export interface LauncherView {
  logs(step: string): string;
  secrets(): readonly string[];
  /** Stops a step and starts it again, the sandbox keeping its state: its URL, or the line that says why it did not start. */
  restart(step: string): Promise<{ url?: string; error?: string }>;
  /** More routes, by "METHOD /path" (the learner's apps, the audit log: see workspaceApps.ts). */
  routes?: Readonly<Record<string, ControlRoute>>;
}

/** One route of the control endpoint: the request's JSON body and query in, JSON out. */
export type ControlRoute = (body: unknown, query: URLSearchParams) => Promise<unknown> | unknown;

export async function startControlServer(
  sandbox: Sandbox,
  launcher: LauncherView,
): Promise<ControlEndpoint & { stop(): Promise<void> }> {
  const token = randomBytes(24).toString("base64url");
  const routes: Record<string, ControlRoute> = {
    "GET /ping": () => ({ pid: process.pid }),
    "GET /third-party/keys": () => ({ keys: sandbox.thirdParty.keys() }),
    "PUT /third-party/keys": (body) => sandbox.thirdParty.setKeys(bodyOf(KEYS, body).keys),
    "PUT /third-party/fault": (body) => sandbox.thirdParty.setFault(bodyOf(FAULT, body).fault),
    "POST /third-party/stop": () => sandbox.thirdParty.stop(),
    "POST /third-party/start": () => sandbox.thirdParty.start(),
    "POST /reset": () => sandbox.reset(),
    "GET /queue/count": async () => ({
      count: await sandbox.queue.count(sandbox.seed.storage.queues[0] ?? "code-requests"),
    }),
    "GET /secrets": () => ({ secrets: launcher.secrets() }),
    ...Object.fromEntries(
      ["01", "02", "03", "04"].map((step) => [`GET /logs/${step}`, () => ({ logs: launcher.logs(step) })]),
    ),
    ...Object.fromEntries(
      ["01", "02", "03", "04"].map((step) => [`POST /steps/${step}/restart`, () => launcher.restart(step)]),
    ),
    ...launcher.routes,
  };
  // Through the sandbox's host: whatever a request holds, it is answered in this endpoint's shape, and the launcher goes on.
  const control = await host(
    async (request: IncomingMessage, response: ServerResponse) => {
      if (!secretsEqual(request.headers.authorization, `Bearer ${token}`))
        return sendError(response, answer(401, "Missing or wrong control token."));
      const url = URL.parse(request.url ?? "/", "http://control");
      const route = url ? routes[`${request.method} ${url.pathname}`] : undefined;
      if (!url || !route) return sendError(response, controlErrors.notFound(request));
      try {
        const result = await route(await readJson(request), url.searchParams);
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result ?? {}));
      } catch (error) {
        if (error instanceof BadControlRequest) return sendError(response, answer(400, error.message));
        throw error;
      }
    },
    { name: "the launcher's control endpoint", errors: controlErrors },
  );
  return {
    url: `http://127.0.0.1:${control.port}`,
    token,
    stop: () => control.close(),
  };
}

/** What `npm start` wrote about itself. */
export interface RunningWorkshop {
  readonly endpoints: Readonly<Record<string, unknown>> &
    LauncherFields & { readonly steps: Readonly<Record<string, string>>; readonly control: ControlEndpoint };
  readonly thirdParty: ThirdPartyControl;
  /** Settles when the launcher answers; NotRunningError when it does not. */
  ping(): Promise<void>;
  reset(): Promise<void>;
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
export function connectToRunningWorkshop(file = ENDPOINTS_FILE): RunningWorkshop {
  const found = readEndpointsFile(file);
  if (found.state === "none") throw new NotRunningError("none");
  if (found.state === "stale") throw new NotRunningError("stale");
  const endpoints = found.endpoints as RunningWorkshop["endpoints"];
  if (typeof endpoints.control?.url !== "string") {
    // Not a launcher's file (a sandbox's own, from its tests): no control endpoint to use.
    throw new NotRunningError("none");
  }
  const call = async (method: string, path: string, body?: unknown, timeoutMs?: number): Promise<unknown> => {
    const response = await fetch(`${endpoints.control.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${endpoints.control.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
    }).catch((error: unknown) => {
      if (error instanceof DOMException && error.name === "TimeoutError") throw new NotRunningError("unresponsive");
      if ((error as { cause?: { code?: string } }).cause?.code !== "ECONNREFUSED") throw new NotRunningError("none");
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
    reset: async () => void (await call("POST", "/reset")),
    secrets: async () => ((await call("GET", "/secrets")) as { secrets: string[] }).secrets,
    logs: async (step) => ((await call("GET", `/logs/${step}`)) as { logs: string }).logs,
    restart: async (step) => (await call("POST", `/steps/${step}/restart`)) as { url?: string; error?: string },
    queueCount: async () => ((await call("GET", "/queue/count")) as { count: number }).count,
    request: async <T>(method: string, path: string, body?: unknown) => (await call(method, path, body)) as T,
  };
}

/** Connects to the running `npm start` and makes sure it answers: what every command does first. */
export async function reachRunningWorkshop(file = ENDPOINTS_FILE): Promise<RunningWorkshop> {
  const workshop = connectToRunningWorkshop(file);
  await workshop.ping();
  return workshop;
}

/** Why there is no sandbox to talk to. */
export type NotRunningReason = "none" | "stale" | "unresponsive";

const NOT_RUNNING: Record<NotRunningReason, string> = {
  none: "The sandbox is not running: start it in another terminal with npm start, then try again.",
  stale:
    "The sandbox is not running (an npm start that did not stop cleanly left its endpoints file behind; removed now): start it in another terminal with npm start, then try again.",
  unresponsive:
    "The sandbox does not answer: if npm start is paused (Ctrl-Z), resume it with fg; otherwise stop it (Ctrl-C) and start it again.",
};

export class NotRunningError extends Error {
  override name = "NotRunningError";
  readonly reason: NotRunningReason;
  constructor(reason: NotRunningReason = "none") {
    super(NOT_RUNNING[reason]);
    this.reason = reason;
  }
}
