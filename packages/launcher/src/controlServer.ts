/**
 * The control endpoint of the running `npm start`: a small local HTTP server,
 * so that the other commands (`npm run check`, `npm run reset`, ...) can drive
 * the sandbox it holds: reset its state, make the third party fail on purpose
 * for a checkpoint, restart a step. They reach it with the workshop's client
 * (packages/workshop, running/control.ts); its address and token are in
 * `.sandbox/endpoints.json`, readable by its owner only.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sandbox } from "@keyless/sandbox";
import { host, secretsEqual, sendError, type ErrorAnswer, type ServiceErrors } from "@keyless/sandbox/host";
import { stepFolders, type ControlEndpoint } from "@keyless/workshop";
import { z } from "zod";

/** A refusal the caller caused: answered 400 with its reason (a route throws it before it changes anything). */
export class BadControlRequest extends Error {}

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
  // Its token or not: a web page the learner opens may neither rebind a name to it nor call it from its own site.
  notLocal: (_request, what) =>
    what === "host"
      ? answer(421, "The control endpoint answers to localhost only.")
      : answer(403, "The control endpoint takes no request from a web page."),
};

/** What the control endpoint may read from the launcher: each step's output and its secrets. */
export interface LauncherView {
  logs(step: string): string;
  secrets(): readonly string[];
  /** Stops a step and starts it again, the sandbox keeping its state: its URL, or the line that says why it did not start. */
  restart(step: string): Promise<{ url?: string; error?: string }>;
  /** More routes, by "METHOD /path" (the learner's apps, the audit log: see learnerApps.ts). */
  routes?: Readonly<Record<string, ControlRoute>>;
}

/** One route of the control endpoint: the request's JSON body and query in, JSON out. */
export type ControlRoute = (body: unknown, query: URLSearchParams) => Promise<unknown> | unknown;

export async function startControlServer(
  sandbox: Sandbox,
  launcher: LauncherView,
): Promise<ControlEndpoint & { stop(): Promise<void> }> {
  const token = randomBytes(24).toString("base64url");
  // The steps of this checkout, found from their folders: a step added is served without a change here.
  const stepNumbers = stepFolders().map((folder) => folder.step);
  const routes: Record<string, ControlRoute> = {
    "GET /ping": () => ({ pid: process.pid }),
    "GET /third-party/keys": () => ({ keys: sandbox.thirdParty.keys() }),
    "PUT /third-party/keys": (body) => sandbox.thirdParty.setKeys(bodyOf(KEYS, body).keys),
    "PUT /third-party/fault": (body) => sandbox.thirdParty.setFault(bodyOf(FAULT, body).fault),
    "POST /third-party/stop": () => sandbox.thirdParty.stop(),
    "POST /third-party/start": () => sandbox.thirdParty.start(),
    "POST /reset": () => sandbox.reset(),
    "GET /queue/count": async () => ({
      count: await sandbox.queue.count(sandbox.world.queues[0] ?? "code-requests"),
    }),
    "GET /secrets": () => ({ secrets: launcher.secrets() }),
    ...Object.fromEntries(stepNumbers.map((step) => [`GET /logs/${step}`, () => ({ logs: launcher.logs(step) })])),
    ...Object.fromEntries(stepNumbers.map((step) => [`POST /steps/${step}/restart`, () => launcher.restart(step)])),
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
    { name: "the launcher's control endpoint", errors: controlErrors, localOnly: true },
  );
  return {
    url: `http://127.0.0.1:${control.port}`,
    token,
    stop: () => control.close(),
  };
}
