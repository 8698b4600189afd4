/**
 * The scenario's third party: an HTTP API shaped like an Azure Function with
 * function-level authorization. Callers present a function key in the
 * `x-functions-key` header (or the `code` query parameter); Azure Functions
 * answers 401 with an empty body when the key is missing or wrong.
 *
 * It keeps a list of valid keys (primary and secondary) so that a lesson can
 * rotate keys the way Azure does: add the new key, move callers, drop the old.
 *
 * @module @keyless/third-party-api
 */
import { randomInt, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { setTimeout } from "node:timers/promises";
import express, { type ErrorRequestHandler, type Express } from "express";

/** The function's route, as `func new --name RandomNumber` would create it. */
export const RANDOM_NUMBER_PATH = "/api/RandomNumber";

/** How long a refused connection may stay open for the client to read the answer and close it. */
const REFUSED_SOCKET_GRACE_MS = 5_000;

/** A fault to inject, so tests and lessons can see how callers cope. */
export type ThirdPartyFault =
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "delay"; readonly ms: number }
  /** A 200 whose body is not the `{"value": n}` callers expect (garbage, the wrong shape, a number out of range). */
  | { readonly kind: "body"; readonly body: string };

export interface ThirdPartyApiOptions {
  /** Valid function keys. At least one. */
  readonly keys: readonly string[];
}

/** Runtime controls of the third party, used by the sandbox, the CLI and tests. */
export interface ThirdPartyApiControls {
  /** Replaces the valid keys (a rotation). */
  setKeys(keys: readonly string[]): void;
  /** The keys valid now. */
  keys(): readonly string[];
  /** Makes every authorized call fail or stall until cleared with `null`. */
  setFault(fault: ThirdPartyFault | null): void;
  /** The fault set now, or `null`. */
  fault(): ThirdPartyFault | null;
}

/** Whether a value is a fault the API can show (any JSON can arrive through the controls). */
function isFault(value: unknown): value is ThirdPartyFault {
  const fault = value as Record<string, unknown> | null;
  if (typeof fault !== "object" || fault === null) return false;
  if (fault["kind"] === "status")
    return (
      Number.isInteger(fault["status"]) && (fault["status"] as number) >= 100 && (fault["status"] as number) <= 599
    );
  if (fault["kind"] === "delay")
    return Number.isInteger(fault["ms"]) && (fault["ms"] as number) >= 0 && (fault["ms"] as number) <= 2 ** 31 - 1;
  return fault["kind"] === "body" && typeof fault["body"] === "string";
}

function keyMatches(candidate: string, keys: readonly string[]): boolean {
  const given = Buffer.from(candidate);
  // Compare in constant time so response timing does not leak a key.
  return keys.some((key) => {
    const valid = Buffer.from(key);
    return valid.length === given.length && timingSafeEqual(valid, given);
  });
}

/** Builds the Express app and its controls; does no I/O. */
export function createThirdPartyApi(options: ThirdPartyApiOptions): {
  app: Express;
  controls: ThirdPartyApiControls;
} {
  if (options.keys.length === 0) throw new Error("The third-party API needs at least one key.");
  let keys = [...options.keys];
  let fault: ThirdPartyFault | null = null;

  const app = express();
  app.disable("x-powered-by");

  app.all(RANDOM_NUMBER_PATH, async (req, res) => {
    const header = req.get("x-functions-key");
    const query = typeof req.query["code"] === "string" ? req.query["code"] : undefined;
    const presented = header ?? query;
    if (presented === undefined || !keyMatches(presented, keys)) {
      res.status(401).end();
      return;
    }
    const injected = fault;
    if (injected?.kind === "delay") await setTimeout(injected.ms);
    if (injected?.kind === "status") {
      res.status(injected.status).end();
      return;
    }
    if (injected?.kind === "body") {
      res.type("application/json").send(injected.body);
      return;
    }
    res.json({ value: randomInt(1, 1001) });
  });

  app.use((_req, res) => {
    res.status(404).end();
  });

  // Azure Functions answers a request it cannot serve with an empty body, never a stack trace.
  app.use(((error, _req, res, _next) => {
    const status = (error as { status?: unknown } | undefined)?.status;
    res.status(typeof status === "number" && status >= 400 && status < 500 ? 400 : 500).end();
  }) satisfies ErrorRequestHandler);

  const controls: ThirdPartyApiControls = {
    setKeys(next) {
      // Checked whole: the controls are driven over HTTP too (npm start's control endpoint), with any JSON.
      if (!Array.isArray(next) || next.length === 0) throw new Error("The third-party API needs at least one key.");
      if (!next.every((key: unknown) => typeof key === "string" && key !== ""))
        throw new Error("Each key of the third-party API is a non-empty string.");
      keys = [...next];
    },
    keys: () => [...keys],
    setFault(next) {
      if (next !== null && !isFault(next))
        throw new Error(
          'A fault is {"kind":"status","status":100-599}, {"kind":"delay","ms":0-2147483647} or {"kind":"body","body":"..."}, or null.',
        );
      fault = next;
    },
    fault: () => fault,
  };
  return { app, controls };
}

export interface RunningThirdPartyApi extends ThirdPartyApiControls {
  /** The full URL callers use, ending in `/api/RandomNumber`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops listening (callers then get "connection refused"), keeping state. */
  stop(): Promise<void>;
  /** Listens again on the same port after `stop()`. */
  start(): Promise<void>;
}

export interface StartThirdPartyApiOptions extends ThirdPartyApiOptions {
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** HTTPS, as a function app is served on Azure: its certificate and key (PEM). Plain HTTP without. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The host name its endpoint names (`localhost` by default): the function app's, such as `<app>.azurewebsites.localhost`. */
  readonly hostName?: string;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the third party: on HTTPS when given a certificate (as Azure serves it), else on plain HTTP (as `func start` does). */
export async function startThirdPartyApi(options: StartThirdPartyApiOptions): Promise<RunningThirdPartyApi> {
  const { app, controls } = createThirdPartyApi(options);
  const host = options.host ?? "127.0.0.1";
  // What Node cannot even parse (a bad request line, headers too large) gets an empty 400, as from Azure's front end;
  // so does CONNECT, which Node would otherwise answer by closing the connection.
  //
  // Node reports a request it could not parse once more for every chunk of it that arrives after: the first answer
  // stands. Destroying the socket then would reset it while the client is still sending, and the client would lose
  // the answer; ended, it closes when the client does, or after a grace period for one that never does.
  const refused = new WeakSet<Duplex>();
  const refuse = (socket: Duplex) => {
    if (refused.has(socket)) return;
    refused.add(socket);
    if (!socket.writable) return socket.destroy();
    socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    globalThis.setTimeout(() => socket.destroy(), REFUSED_SOCKET_GRACE_MS).unref();
  };
  const settings = { maxHeaderSize: 64 * 1024, headersTimeout: 20_000, requestTimeout: 30_000 };
  const serve = () =>
    (options.tls ? createHttpsServer({ ...settings, ...options.tls }, app) : createServer(settings, app))
      .on("clientError", (_error, socket) => refuse(socket))
      .on("connect", (_request, socket) => refuse(socket))
      // A client that does not trust the certificate, or speaks plain HTTP to it, is its own problem.
      .on("tlsClientError", (_error: Error, socket: Duplex) => socket.destroy());
  // Every socket accepted and still open, from its first byte: a stop ends them all, whatever state a client
  // left one in (a TLS handshake never finished holds `server.close()` for 120 s; closeAllConnections knows it not).
  const sockets = new Set<Duplex>();
  const tracked = (created: Server) =>
    created.on("connection", (socket: Duplex) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
  let server = tracked(serve());
  const port = await listen(server, options.port ?? 0, host);
  let listening = true;

  return {
    ...controls,
    endpoint: `${options.tls ? "https" : "http"}://${options.hostName ?? "localhost"}:${port}${RANDOM_NUMBER_PATH}`,
    port,
    async stop() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async start() {
      if (listening) return;
      server = tracked(serve());
      await listen(server, port, host);
      listening = true;
    },
  };
}
