import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import type { ErrorBody } from "./errors.ts";

/**
 * The app's HTTP server. Some requests never reach Express: a request line or
 * a header that does not parse, headers too large, no Host, CONNECT, an
 * `Expect` the app cannot meet. Node answers those itself, with a bare status
 * and no body. A public API answers every caller in one shape, so these get
 * the same JSON as any other error.
 */
export function createApiServer(app: RequestListener): Server {
  // A request may be followed, on the same connection, by bytes that do not parse:
  // the request that came first gets its answer first.
  const answering = new WeakMap<Socket, ServerResponse>();
  // Node reports such bytes again for each chunk that follows them: they are answered once.
  const refused = new WeakSet<Socket>();

  const server = createServer({ requireHostHeader: false }, (req, res) => {
    answering.set(req.socket, res);
    res.once("close", () => answering.delete(req.socket));
    // HTTP/1.1 requires a Host header; Node would answer its absence with a bare 400.
    if (req.httpVersion === "1.1" && !req.headers.host)
      return reply(res, 400, {
        error: "The request has no Host header.",
        hint: "Send one, as every HTTP/1.1 client does.",
      });
    app(req, res);
  });

  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (refused.has(socket)) return;
    refused.add(socket);
    if (error.code === "ECONNRESET" || !socket.writable) return socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const answer = () =>
      socket.end(
        raw(status, {
          error: "The request could not be read.",
          hint: "Send a well-formed HTTP request: GET /api/v1/getcode.",
        }),
      );
    const pending = answering.get(socket);
    if (pending?.req.complete && !pending.writableFinished) pending.once("close", answer);
    else answer();
  });

  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) =>
    reply(res, 417, { error: "The Expect header cannot be met.", hint: "Send the request without it." }),
  );
  server.on("connect", (_req: IncomingMessage, socket: Socket) =>
    socket.end(raw(405, { error: "Method not allowed.", hint: "Use GET." }, { Allow: "GET" })),
  );
  return server;
}

function reply(res: ServerResponse, status: number, body: ErrorBody): void {
  res
    .writeHead(status, { "content-type": "application/json; charset=utf-8", connection: "close" })
    .end(JSON.stringify(body));
}

/** A whole HTTP answer, written straight to a connection that Node will not answer itself. */
function raw(status: number, body: ErrorBody, headers: Record<string, string> = {}): string {
  const json = JSON.stringify(body);
  const lines = Object.entries({
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(json)),
    connection: "close",
    ...headers,
  });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n${lines.map(([name, value]) => `${name}: ${value}`).join("\r\n")}\r\n\r\n${json}`;
}
