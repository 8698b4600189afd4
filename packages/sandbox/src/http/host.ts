/**
 * Every sandbox service listens through `host()`: the one place that makes sure
 * no input ends or hangs the process, and that every failure, even one the
 * service's own code never sees (a request line that does not parse, headers
 * too large, a handler that throws), is answered in that service's own Azure
 * shape: no stack trace, no file path, no bare 431.
 *
 * A request goes: Node's HTTP parser → the service's handler (authentication →
 * operation table → RBAC → operation) → for anything the handler did not
 * answer, the service's error factory (`ServiceErrors`).
 */
import { timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import { finished } from "node:stream";
import { STATUS_CODES } from "node:http";

/** An error answer, ready to write. */
export interface ErrorAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON bodies are given as objects, XML and text as strings. */
  readonly body: string | object;
}

/** How a service words the failures that reach the host: its one error factory. */
export interface ServiceErrors {
  /** No route matched. */
  notFound(req: IncomingMessage): ErrorAnswer;
  /** The request could not be read: a target or body that does not parse, headers too large, too slow. */
  badRequest(reason: BadRequestReason, req?: IncomingMessage): ErrorAnswer;
  /** Something failed inside the sandbox: the caller learns no more than that. */
  internal(req: IncomingMessage): ErrorAnswer;
  /**
   * For a service that answers to this machine only (`localOnly`): a request named for another host (421), or
   * sent by another site's page (403). A generic answer when the service has no words of its own.
   */
  notLocal?(req: IncomingMessage, what: "host" | "origin"): ErrorAnswer;
}

/**
 * Why a request could not be read. `header`: a header the service cannot honour (an Expect
 * other than 100-continue, no Host); `method`: a method no HTTP service here serves (CONNECT).
 */
export type BadRequestReason = "target" | "headersTooLarge" | "header" | "method" | "body" | "bodyTooLarge" | "timeout";

/** A Node handler, or an Express app (which takes a third argument: what to do with what it did not answer). */
export type Handler = (req: IncomingMessage, res: ServerResponse, done: (error?: unknown) => void) => unknown;

export interface HostOptions {
  readonly name: string;
  readonly errors: ServiceErrors;
  /** TLS, for every service but the ones Azure serves over plain HTTP on the app's own machine. */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly port?: number;
  /**
   * Answers only requests named for this machine (`Host: localhost:<port>`, `127.0.0.1:<port>`, `[::1]:<port>`)
   * and sent by no other site (an `Origin` header, which browsers add, naming one of those or absent), whatever
   * credentials they carry: a web page the learner opens can neither rebind its own name to this port nor
   * send it a request from its own origin. For the services only this machine's programs call (the launcher's
   * control endpoint, the telemetry collector).
   */
  readonly localOnly?: boolean;
}

export interface HostedService {
  readonly server: Server;
  readonly port: number;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
  /** Listens again, on the same port, after close(): the end of an outage. */
  reopen(): Promise<void>;
}

/** Azure's front ends take up to 16 KB per header line and 64 KB in all; a bigger request is answered 400. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** A client that has not sent its headers, or its whole request, by then is cut off with a 408. */
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 30_000;

function serialize(answer: ErrorAnswer): { headers: Record<string, string>; body: string } {
  const json = typeof answer.body !== "string";
  const body = json ? JSON.stringify(answer.body) : (answer.body as string);
  return {
    headers: {
      "content-type": json ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
      ...answer.headers,
    },
    body,
  };
}

/** Writes an error answer, unless an answer is already under way (then the connection is ended). */
export function sendError(res: ServerResponse, answer: ErrorAnswer): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { headers, body } = serialize(answer);
  // Set one by one, so that whoever logs the answer can read them back (res.getHeader).
  for (const [name, value] of Object.entries({ ...headers, "content-length": String(Buffer.byteLength(body)) }))
    res.setHeader(name, value);
  res.writeHead(answer.status);
  res.end(body);
}

/** Node reports a request it could not parse on the socket, before any handler runs: answer it there. */
function answerOnSocket(socket: Socket, answer: ErrorAnswer): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { headers, body } = serialize(answer);
  const lines = [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}`,
    ...Object.entries({ ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" }).map(
      ([name, value]) => `${name}: ${value}`,
    ),
  ];
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

/** Node's parse errors that are about a header: a name that is no token, a Content-Length or Transfer-Encoding that does not parse or conflicts. */
const HEADER_ERRORS = new Set([
  "HPE_INVALID_HEADER_TOKEN",
  "HPE_INVALID_CONTENT_LENGTH",
  "HPE_UNEXPECTED_CONTENT_LENGTH",
  "HPE_INVALID_TRANSFER_ENCODING",
]);

/** What a request that did not parse got wrong, by Node's (llhttp's) code: the service then says so in its own words. */
const reasonOf = (code: string | undefined): BadRequestReason =>
  code === "HPE_HEADER_OVERFLOW"
    ? "headersTooLarge"
    : code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? "timeout"
      : code === "HPE_INVALID_METHOD"
        ? "method"
        : code !== undefined && HEADER_ERRORS.has(code)
          ? "header"
          : "target";

/** Express's own errors (body-parser, a URL that does not decode) carry a 4xx status. */
function expressReason(error: unknown): BadRequestReason | undefined {
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status !== "number" || status < 400 || status >= 500) return undefined;
  if (status === 413 || type === "entity.too.large") return "bodyTooLarge";
  return type === undefined ? "target" : "body";
}

/**
 * Whether a presented key, header or token is the expected one, compared in
 * constant time (the answer's timing tells nothing of how much matched).
 */
export function secretsEqual(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Middleware for a service that reads bodies: only a request that arrived whole goes on. Express's body
 * parsers skip a body whose connection the client has already half-closed (the request is "finished"),
 * and the route would then run on a request cut short, while the host answers it 400: a refusal that
 * changed state. Place it after the body parser.
 */
export function wholeRequestsOnly(
  errors: ServiceErrors,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    if (req.complete) return next();
    // Not yet known (a request without a body is parsed to its end just after the route starts): read to its end.
    req.resume();
    finished(req, (error) => (error || !req.complete ? sendError(res, errors.badRequest("body", req)) : next()));
  };
}

/** What a local-only service answers a foreign request when it has no words of its own. */
const NOT_LOCAL: Record<"host" | "origin", ErrorAnswer> = {
  host: { status: 421, body: "This service answers to localhost only." },
  origin: { status: 403, body: "This service takes no request from a web page of another site." },
};

/** The names this machine's programs call a loopback service by, with its port. */
function localNames(server: Server): string[] {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];
}

/** Why a request is not this machine's own: a Host naming another (DNS rebinding), or another site's Origin. */
function notLocal(req: IncomingMessage, server: Server): "host" | "origin" | undefined {
  const names = localNames(server);
  if (!names.includes((req.headers.host ?? "").toLowerCase())) return "host";
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const parsed = URL.parse(origin);
  return parsed && /^https?:$/.test(parsed.protocol) && names.includes(parsed.host.toLowerCase())
    ? undefined
    : "origin";
}

/** Starts a service on loopback. Nothing a client sends can end the process or leave a request unanswered. */
export async function host(handler: Handler, options: HostOptions): Promise<HostedService> {
  const { errors, name } = options;
  const failed = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    const reason = expressReason(error);
    if (reason) return sendError(res, errors.badRequest(reason, req));
    // One line for whoever runs the sandbox: what failed, never a stack or the request's secrets.
    console.error(
      `sandbox: ${name} failed on ${req.method} ${(req.url ?? "").split("?")[0]}: ${error instanceof Error ? error.message : String(error)}`,
    );
    sendError(res, errors.internal(req));
  };
  // The answer under way on each connection: bytes after a request that do not parse (a body sent without its length)
  // must not be answered before it, or the caller would read the 400 as the answer to a request that went through.
  const underWay = new WeakMap<Socket, ServerResponse>();
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    underWay.set(req.socket, res);
    res.once("close", () => underWay.get(req.socket) === res && underWay.delete(req.socket));
    // Node would answer a request without Host with a bare 400 (requireHostHeader): answered here, in the service's words,
    // and an empty Host too (Express then has no host name for the services that read it).
    if (!req.headers.host) return sendError(res, errors.badRequest("header", req));
    // A Transfer-Encoding that does not end in chunked leaves the body's length unknown: Node reads the body until the
    // client closes, and a client waiting for its answer never does (RFC 9112, 6.3: answer 400 and close).
    const encoding = req.headers["transfer-encoding"];
    if (encoding !== undefined && !/(^|,)\s*chunked\s*$/i.test(encoding)) {
      res.setHeader("connection", "close");
      return sendError(res, errors.badRequest("header", req));
    }
    if (options.localOnly) {
      const refusal = notLocal(req, server);
      if (refusal) return sendError(res, errors.notLocal?.(req, refusal) ?? NOT_LOCAL[refusal]);
    }
    const done = (error?: unknown) =>
      error === undefined ? sendError(res, errors.notFound(req)) : failed(req, res, error);
    try {
      const result = handler(req, res, done);
      if (result instanceof Promise) result.catch((error: unknown) => failed(req, res, error));
    } catch (error) {
      failed(req, res, error);
    }
  };
  const serverOptions = {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    requireHostHeader: false,
  };
  const server = options.tls
    ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(serverOptions, listener);
  // Node reports a request that does not parse once for every chunk that arrives after it: answer the first only.
  const refused = new WeakSet<Socket>();
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ECONNRESET" || error.code === "EPIPE") return socket.destroy();
    if (refused.has(socket)) return;
    refused.add(socket);
    const answer = errors.badRequest(reasonOf(error.code));
    // Bytes after a whole request wait for that request's answer. But when the request itself is what did not end
    // (a body cut short, then the client's end), its handler waits for the rest forever: answer now.
    const pending = underWay.get(socket);
    if (pending && !pending.writableFinished && pending.req.complete)
      pending.once("close", () => answerOnSocket(socket, answer));
    else answerOnSocket(socket, answer);
  });
  // What Node answers by itself otherwise, bare or not at all: an Expect it cannot meet (a bodiless 417), CONNECT (the connection closed).
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) =>
    sendError(res, errors.badRequest("header", req)),
  );
  server.on("connect", (req: IncomingMessage, socket: Socket) =>
    answerOnSocket(socket, errors.badRequest("method", req)),
  );
  // A TLS handshake that fails (a client that does not trust the CA, plain HTTP on an HTTPS port) is the client's problem.
  server.on("tlsClientError", (_error: Error, socket: Socket) => socket.destroy());
  const sockets = trackSockets(server);
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => closeEveryConnection(server, sockets),
    reopen: async () => {
      if (server.listening) return;
      server.listen(port, "127.0.0.1");
      await once(server, "listening");
    },
  };
}

/**
 * Every socket a server accepted and that is still open, from its first byte: the raw TCP socket, which
 * `closeAllConnections` does not know while it is not an HTTP connection (yet, or any more): a TLS handshake
 * never finished (Node waits 120 s for it), a CONNECT answered on the socket, a request Node could not parse.
 */
export function trackSockets(server: NetServer): ReadonlySet<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * Stops listening and ends every connection at once, whatever state a client left it in: a stop never waits
 * for a client (a half-open socket would hold it until the server's own timeouts, minutes for some).
 */
export function closeEveryConnection(server: Server, sockets: ReadonlySet<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  for (const socket of sockets) socket.destroy();
  return closed;
}

/** A service a fault test can take down and bring back, its state and port kept. */
export interface Interruptible {
  /** Stops answering: callers get "connection refused", as from a service that is down. */
  takeDown(): Promise<void>;
  /** Answers again, on the same port. */
  bringBack(): Promise<void>;
}

/** A hosted service's outage switch. */
export const interruptible = (service: HostedService): Interruptible => ({
  takeDown: () => service.close(),
  bringBack: () => service.reopen(),
});

/** Closes every service given, for a provider's `stop`. */
export const closing =
  (...services: HostedService[]) =>
  async (): Promise<void> =>
    void (await Promise.all(services.map((service) => service.close())));
