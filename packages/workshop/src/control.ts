/**
 * A small local endpoint of the running `npm start`, so that other commands
 * (`npm run check`, `npm run reset`) can drive the sandbox it holds: reset
 * its state, and make the third party fail on purpose for a checkpoint.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { ThirdPartyControl } from "@keyless/contract-tests";
import type { Sandbox } from "@keyless/sandbox";
import type { ThirdPartyFault } from "@keyless/third-party-api";
import { ENDPOINTS_FILE } from "./repo.ts";

export interface ControlEndpoint {
  readonly url: string;
  /** A random token: only someone who can read `.sandbox/endpoints.json` can use the endpoint. */
  readonly token: string;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request) text += String(chunk);
  return text ? JSON.parse(text) : undefined;
}

/** What the control endpoint may read from the launcher: each step's output and its secrets. */
export interface LauncherView {
  logs(step: string): string;
  secrets(): readonly string[];
  /** Stops a step and starts it again, the sandbox keeping its state: its URL, or the line that says why it did not start. */
  restart(step: string): Promise<{ url?: string; error?: string }>;
}

export async function startControlServer(sandbox: Sandbox, launcher: LauncherView): Promise<ControlEndpoint & { stop(): Promise<void> }> {
  const token = randomBytes(24).toString("base64url");
  const expected = Buffer.from(`Bearer ${token}`);
  const routes: Record<string, (body: unknown) => Promise<unknown> | unknown> = {
    "GET /third-party/keys": () => ({ keys: sandbox.thirdParty.keys() }),
    "PUT /third-party/keys": (body) => sandbox.thirdParty.setKeys((body as { keys: string[] }).keys),
    "PUT /third-party/fault": (body) => sandbox.thirdParty.setFault((body as { fault: ThirdPartyFault | null }).fault),
    "POST /third-party/stop": () => sandbox.thirdParty.stop(),
    "POST /third-party/start": () => sandbox.thirdParty.start(),
    "POST /reset": () => sandbox.reset(),
    "GET /queue/count": async () => ({ count: await sandbox.queue.count(sandbox.seed.storage.queues[0] ?? "code-requests") }),
    "GET /secrets": () => ({ secrets: launcher.secrets() }),
    ...Object.fromEntries(["01", "02", "03", "04"].map((step) => [`GET /logs/${step}`, () => ({ logs: launcher.logs(step) })])),
    ...Object.fromEntries(["01", "02", "03", "04"].map((step) => [`POST /steps/${step}/restart`, () => launcher.restart(step)])),
  };
  const server = createServer(async (request, response) => {
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      response.writeHead(401).end();
      return;
    }
    const route = routes[`${request.method} ${request.url}`];
    if (!route) {
      response.writeHead(404).end();
      return;
    }
    try {
      const result = await route(await readJson(request));
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result ?? {}));
    } catch (error) {
      response.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What `npm start` wrote about itself. */
export interface RunningWorkshop {
  readonly endpoints: Readonly<Record<string, unknown>> & { readonly steps: Readonly<Record<string, string>>; readonly control: ControlEndpoint };
  readonly thirdParty: ThirdPartyControl;
  reset(): Promise<void>;
  secrets(): Promise<readonly string[]>;
  logs(step: string): Promise<string>;
  restart(step: string): Promise<{ url?: string; error?: string }>;
  /** How many messages wait in the seed's queue (Azure's approximate count). */
  queueCount(): Promise<number>;
}

/** Connects to the `npm start` that is running, or explains how to start one. */
export function connectToRunningWorkshop(file = ENDPOINTS_FILE): RunningWorkshop {
  let endpoints: RunningWorkshop["endpoints"];
  try {
    endpoints = JSON.parse(readFileSync(file, "utf8")) as RunningWorkshop["endpoints"];
  } catch {
    throw new NotRunningError();
  }
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${endpoints.control.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${endpoints.control.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch(() => {
      throw new NotRunningError();
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
    reset: async () => void (await call("POST", "/reset")),
    secrets: async () => ((await call("GET", "/secrets")) as { secrets: string[] }).secrets,
    logs: async (step) => ((await call("GET", `/logs/${step}`)) as { logs: string }).logs,
    restart: async (step) => (await call("POST", `/steps/${step}/restart`)) as { url?: string; error?: string },
    queueCount: async () => ((await call("GET", "/queue/count")) as { count: number }).count,
  };
}

export class NotRunningError extends Error {
  override name = "NotRunningError";
  constructor() {
    super("The sandbox is not running: start it in another terminal with npm start, then try again.");
  }
}
