import express, { type ErrorRequestHandler, type Express, type Request, type Response } from "express";
import { makeCode } from "./code.ts";
import { HttpError } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { CodeQueue } from "./queue.ts";
import type { ThirdPartyApi } from "./thirdPartyApi.ts";

/** Everything the app talks to, built by server.ts (or by a test). */
export interface AppDependencies {
  readonly thirdPartyApi: ThirdPartyApi;
  readonly codeQueue: CodeQueue;
  readonly log: Logger;
  /** The HTML page at `/`. */
  readonly homePage: string;
}

/** Wires the routes. No I/O happens here: the dependencies do it. */
export function createApp({ thirdPartyApi, codeQueue, log, homePage }: AppDependencies): Express {
  const app = express();
  app.disable("x-powered-by");

  app.get("/", (_req, res) => {
    res.type("html").send(homePage);
  });

  // Only GET issues a code. Express also runs a GET handler for HEAD requests,
  // unless a HEAD handler comes first: without this one, a HEAD request would
  // issue a code that its caller never receives.
  app.head("/api/v1/getcode", methodNotAllowed);

  app.get("/api/v1/getcode", async (_req, res) => {
    const value = await thirdPartyApi.getRandomNumber();
    const issued = { code: makeCode(value), timestamp: new Date().toISOString() };
    // Queue first, answer second: a code the back-end never hears of is never issued.
    await codeQueue.send(issued);
    log.info({ code: issued.code }, "issued a code");
    res.json(issued);
  });

  app.all("/api/v1/getcode", methodNotAllowed);

  app.use((req, res) => {
    res.status(404).json({ error: `Not found: ${req.method} ${req.path}`, hint: "Try GET /api/v1/getcode." });
  });

  app.use(errorHandler(log));
  return app;
}

/** Every method but GET: 405, naming the one method allowed. */
function methodNotAllowed(req: Request, res: Response): void {
  res
    .set("Allow", "GET")
    .status(405)
    .json({ error: `Method not allowed: ${req.method}.`, hint: "Use GET." });
}

/** Turns every failure into JSON: the caller gets a message, never a stack trace. */
function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (error instanceof HttpError) {
      log.warn({ status: error.status, path: req.path }, error.message);
      res.status(error.status).json(error.body);
      return;
    }
    // Express's own errors (a malformed URL, say) carry a 4xx status.
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ error: "Bad request." });
      return;
    }
    log.error({ error: String(error), path: req.path }, "unexpected failure");
    res.status(500).json({ error: "Something went wrong on our side.", hint: "Try again later." });
  };
}
