/**
 * The live view's server: the page, its live regions over Server-Sent Events,
 * and the lessons' actions. It runs inside `npm start`, beside the sandbox it
 * shows, on loopback only; every form carries a token only the page holds,
 * and requests that name another host are refused (no other site, and no
 * DNS rebinding, can act through it).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDenial, type AuditEvent, type Sandbox } from "@keyless/sandbox";
import { host, secretsEqual, wholeRequestsOnly, type ServiceErrors } from "@keyless/sandbox/host";
import express, { type NextFunction, type Request, type Response } from "express";
import * as actions from "./actions.ts";
import { html, raw, type Html } from "./html.ts";
import { LiveRegions } from "./live.ts";
import { REGIONS, page, plainPage, type Region } from "./page.ts";
import { SandboxCallError } from "./sandboxCalls.ts";
import { buildTraces, type KnownOrigins } from "./traces.ts";
import * as views from "./views.ts";
import type { AppRun } from "./views.ts";

/** What the live view may ask of the launcher: the apps it runs, their logs, a restart. */
export interface DashboardLauncher {
  apps(): readonly AppRun[];
  /** Everything the app printed so far. */
  logs(app: string): string;
  /** Stops the app and starts it again, the sandbox keeping its state: its URL, or the line that says why it did not start. */
  restart(app: string): Promise<{ url?: string; error?: string }>;
}

export interface DashboardOptions {
  readonly sandbox: Sandbox;
  readonly launcher: DashboardLauncher;
  /** 3000 by default; 0 for any free port. */
  readonly port?: number;
}

export interface RunningDashboard {
  /** http://localhost:<port> */
  readonly url: string;
  readonly port: number;
  /** The launcher's apps changed (one started, stopped, or failed to start). */
  appsChanged(): void;
  stop(): Promise<void>;
}

/** What the live view answers to a request it cannot serve: a sentence, never a stack. */
const liveViewErrors: ServiceErrors = {
  notFound: (req) => ({
    status: 404,
    body: `Not found: ${req.method} ${(req.url ?? "").split("?")[0]?.slice(0, 200)}`,
  }),
  badRequest: () => ({ status: 400, body: "The request could not be read." }),
  internal: () => ({ status: 500, body: "The live view failed on this request; the rest of it goes on." }),
};

/** How many traces and audit events the page shows. */
const TRACES_SHOWN = 15;
const AUDIT_SHOWN = 30;
/** Log lines an app's log shows. */
const LOG_LINES = 80;

const vendor = createRequire(import.meta.url);
const STATIC: Readonly<Record<string, { file: string; type: string }>> = {
  "/vendor/htmx.min.js": {
    file: join(dirname(vendor.resolve("htmx.org/package.json")), "dist/htmx.min.js"),
    type: "text/javascript",
  },
  "/vendor/sse.min.js": {
    file: join(dirname(vendor.resolve("htmx-ext-sse/package.json")), "dist/sse.min.js"),
    type: "text/javascript",
  },
  "/static/page.css": { file: fileURLToPath(new URL("./static/page.css", import.meta.url)), type: "text/css" },
  "/static/page.js": { file: fileURLToPath(new URL("./static/page.js", import.meta.url)), type: "text/javascript" },
};

/** Where each sandbox service answers, to name the requests that went there. */
function originsOf(sandbox: Sandbox): KnownOrigins {
  const { endpoints } = sandbox;
  const named: [string | undefined, string][] = [
    [endpoints.thirdPartyApi, "Third-party API"],
    [endpoints.keyVaultUrl, "Key Vault"],
    [endpoints.identityEndpoint, "Managed identity endpoint"],
    [endpoints.authorityHost, "Microsoft Entra ID"],
    [endpoints.queueUrl, "Queue Storage"],
  ];
  return Object.fromEntries(named.flatMap(([url, name]) => (url ? [[new URL(url).origin, name]] : [])));
}

/** The regions an audit event may change. */
function regionsOf(event: AuditEvent): Region[] {
  const regions: Region[] = ["audit"];
  if (event.traceId) regions.push("traces");
  if (event.category === "AzureActivity" && event.operationName.startsWith("Microsoft.Authorization/"))
    regions.push("identities");
  if (event.category === "AzureActivity" && event.operationName.startsWith("Microsoft.ResourceHealth/"))
    regions.push("queue");
  if (event.category === "AuditEvent" && /^Secret(Set|Delete|Update|Recover|Restore|Purge)$/.test(event.operationName))
    regions.push("secrets");
  if (event.category === "StorageQueueLogs") regions.push("queue");
  return regions;
}

export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { sandbox, launcher } = options;
  const csrf = randomBytes(24).toString("base64url");
  const origins = originsOf(sandbox);
  const queueName = sandbox.world.queues[0] ?? "code-requests";
  const context = (): views.ViewContext => ({ sandbox, now: Date.now(), csrf });

  async function queueView(): Promise<views.QueueView> {
    let state: string;
    try {
      state = sandbox.queue.state;
    } catch {
      return { name: queueName, state: "not started" };
    }
    if (state !== "running") return { name: queueName, state };
    try {
      const [messages, count] = await Promise.all([sandbox.queue.peek(queueName, 32), sandbox.queue.count(queueName)]);
      return { name: queueName, state, messages, count };
    } catch {
      return { name: queueName, state };
    }
  }

  async function render(region: Region): Promise<string> {
    const now = context();
    switch (region) {
      case "apps":
        return views.appsRegion(launcher.apps(), now).toString();
      case "traces":
        return views
          .tracesRegion(
            buildTraces(sandbox.telemetry.list(), sandbox.audit.list({ last: 3000 }), origins).slice(0, TRACES_SHOWN),
            now,
          )
          .toString();
      case "identities":
        return views.identitiesRegion(now).toString();
      case "secrets":
        return views.secretsRegion(now).toString();
      case "queue":
        return views.queueRegion(await queueView(), now).toString();
      case "audit":
        return views.auditRegion(sandbox.audit.list({ last: AUDIT_SHOWN }).reverse(), now).toString();
    }
  }
  const live = new LiveRegions(
    REGIONS.map(({ region }) => region),
    render,
  );

  const unsubscribe = [
    sandbox.audit.subscribe((event) => {
      live.mark(...regionsOf(event));
      if (isDenial(event))
        live.announce(
          `Denied: ${event.caller?.displayName ?? event.tokenClaims?.oid ?? "a caller"}, ${event.operationName} ${event.statusCode} ${event.errorCode ?? ""}. The explanation is in the trace and the audit log.`,
        );
    }),
    sandbox.telemetry.subscribe(() => live.mark("traces")),
  ];
  // A role assignment taking effect changes nothing else: look each second while one propagates, and now and then anyway.
  const ticks = [
    setInterval(() => {
      if (sandbox.rbac.list().some((assignment) => assignment.effectiveFrom > Date.now() - 1500))
        live.mark("identities", "traces", "audit");
    }, 1000),
    setInterval(() => live.mark(...REGIONS.map(({ region }) => region)), 5000),
  ];
  for (const tick of ticks) tick.unref();

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  let port = options.port ?? 3000;
  const allowedHosts = () => [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];

  // Loopback names only (no DNS rebinding), and no framing, no inline script, no other origin.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!allowedHosts().includes((req.headers.host ?? "").toLowerCase())) {
      res.status(421).type("text/plain").send("The live view answers to localhost only.");
      return;
    }
    res.set({
      "content-security-policy":
        "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    });
    next();
  });
  app.use(express.urlencoded({ extended: false, limit: "16kb" }));
  app.use(wholeRequestsOnly(liveViewErrors));
  // Actions only from the page itself: its token, and no other site's request.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "POST") return next();
    const site = req.headers["sec-fetch-site"];
    const token = req.get("x-keyless-csrf") ?? (req.body as Record<string, unknown> | undefined)?.["_csrf"];
    if ((site !== undefined && site !== "same-origin" && site !== "none") || !secretsEqual(token, csrf)) {
      res.status(403).type("text/plain").send("Refused: actions come from the live view's own page. Reload it.");
      return;
    }
    next();
  });

  for (const [path, { file, type }] of Object.entries(STATIC)) {
    const body = readFileSync(file);
    app.get(path, (_req, res) => {
      res.set("cache-control", "max-age=3600").type(type).send(body);
    });
  }

  app.get("/", async (req, res) => {
    const regions = Object.fromEntries(
      await Promise.all(REGIONS.map(async ({ region }) => [region, raw(await live.snapshot(region))])),
    ) as Record<Region, Html>;
    const result = typeof req.query["result"] === "string" ? req.query["result"].slice(0, 500) : undefined;
    res.type("html").send(page({ regions, csrf, since: live.version, ...(result ? { result } : {}) }).toString());
  });

  app.get("/events", (req, res) => {
    live.connect(res, Number(req.query["since"] ?? 0) || 0);
  });

  app.get("/apps/:app/logs", (req, res) => {
    const lines = launcher.logs(req.params.app).trimEnd().split("\n").slice(-LOG_LINES).join("\n");
    res.type("html").send(html`${lines || "(nothing printed yet)"}`.toString());
  });

  /** An action's answer: a line for the status (htmx), or the page again with it (a form without script). */
  const answer = (req: Request, res: Response, result: actions.ActionResult) => {
    live.announce(result.message);
    if (req.get("hx-request") === "true")
      res.type("html").send(html`<span class="${result.ok ? "ok" : "error"}">${result.message}</span>`.toString());
    else res.redirect(303, `/?result=${encodeURIComponent(result.message)}`);
  };
  const act =
    (work: (req: Request) => Promise<actions.ActionResult>, ...regions: Region[]) =>
    async (req: Request, res: Response) => {
      let result: actions.ActionResult;
      try {
        result = await work(req);
      } catch (error) {
        result = {
          ok: false,
          message:
            error instanceof SandboxCallError
              ? `Refused: ${error.code ? `(${error.code}) ` : ""}${error.message}`
              : `Failed: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
      live.mark(...regions);
      answer(req, res, result);
    };
  const form = (req: Request) => (req.body ?? {}) as Record<string, string | undefined>;

  app.post(
    "/actions/grant",
    act((req) => actions.grant(sandbox, form(req)), "identities"),
  );
  app.post(
    "/actions/revoke",
    act((req) => actions.revoke(sandbox, form(req)), "identities"),
  );
  app.post(
    "/actions/rotate-key",
    act(() => actions.rotateKey(sandbox), "secrets"),
  );
  app.post(
    "/actions/queue/stop",
    act(() => actions.stopQueue(sandbox), "queue"),
  );
  app.post(
    "/actions/queue/start",
    act(() => actions.startQueue(sandbox), "queue"),
  );
  app.post(
    "/actions/apps/:app/restart",
    act(
      async (req) => {
        const name = String(req.params["app"]);
        const result = await launcher.restart(name);
        return result.url
          ? { ok: true, message: `${name} restarted: ${result.url}` }
          : { ok: false, message: `${name} did not start: ${result.error ?? "no reason given"}` };
      },
      "apps",
      "traces",
    ),
  );
  app.post(
    "/actions/apps/:app/call",
    act(async (req) => {
      const name = String(req.params["app"]);
      const url = launcher.apps().find((candidate) => candidate.app === name)?.url;
      if (!url) return { ok: false, message: `${name} is not running.` };
      const response = await fetch(`${url}/api/v1/getcode`, { signal: AbortSignal.timeout(20_000) });
      const body = (await response.text()).slice(0, 400);
      return { ok: response.ok, message: `${name} answered ${response.status}: ${body}` };
    }, "traces"),
  );

  const secretName = (req: Request) => String(req.params["name"]);
  const known = (name: string) => sandbox.secrets.list().some((secret) => secret.name === name);
  const fragmentOrPage = (req: Request, res: Response, title: string, fragment: Html) => {
    res.type("html").send((req.get("hx-request") === "true" ? fragment : plainPage(title, fragment)).toString());
  };
  app.get("/secrets/:name/reveal", (req, res) => {
    const name = secretName(req);
    if (!known(name)) return void res.status(404).type("text/plain").send("No such secret.");
    fragmentOrPage(req, res, `Reveal ${name}`, views.revealConfirmation(context(), name));
  });
  app.get("/secrets/:name/hidden", (req, res) => {
    fragmentOrPage(req, res, "Hidden", views.hiddenValue(secretName(req)));
  });
  app.post("/secrets/:name/reveal", async (req, res) => {
    const name = secretName(req);
    try {
      const value = await actions.reveal(sandbox, name);
      fragmentOrPage(req, res, name, views.revealedValue(name, value));
    } catch (error) {
      fragmentOrPage(
        req,
        res,
        name,
        html`<span class="error">Could not read it: ${error instanceof Error ? error.message : String(error)}</span>`,
      );
    }
  });

  app.use((req: Request, res: Response) => {
    res.status(404).type("text/plain").send(`Not found: ${req.method} ${req.path}`);
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A form that did not arrive whole, or too large, or in a charset it cannot read: the caller's, answered 4xx.
    const { status } = (error ?? {}) as { status?: unknown };
    if (typeof status === "number" && status >= 400 && status < 500) {
      if (!res.headersSent) res.status(status).type("text/plain").send("The request could not be read.");
      return;
    }
    console.error(
      `live view: ${req.method} ${req.path} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    if (!res.headersSent)
      res.status(500).type("text/plain").send("The live view failed on this request; the rest of it goes on.");
  });

  // Through the sandbox's host, as every service of the sandbox: whatever a request holds, it is answered, and npm start goes on.
  const server = await host(app, { name: "the live view", errors: liveViewErrors, port });
  port = server.port;
  return {
    url: `http://localhost:${port}`,
    port,
    appsChanged: () => live.mark("apps"),
    async stop() {
      for (const stop of unsubscribe) stop();
      for (const tick of ticks) clearInterval(tick);
      live.close();
      await server.close();
    },
  };
}
