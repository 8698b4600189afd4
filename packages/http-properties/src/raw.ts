/**
 * A raw HTTP/1.1 client over net and tls: it sends exactly the bytes it is
 * given (methods, targets and headers that fetch and node:http refuse to send:
 * NUL and control characters, bad percent-encodings, invalid UTF-8, repeated
 * or enormous headers, bodies shorter than their Content-Length) and reads
 * whatever comes back, however the server ends the exchange.
 *
 * What counts as an outcome, for the "no request hangs" property:
 * - `answered`: a whole HTTP response (after any 1xx interim answers);
 * - `closed`: the server closed the connection without a whole response;
 * - `timedOut`: neither within the client's bound (`timeoutMs`).
 *
 * Every request asks for `Connection: close`, so the end of a response is also
 * the end of the connection. A request whose bytes are all sent is never
 * half-closed by the client (Node ends a half-closed connection before a slow
 * handler answers); a truncated request (`halfClose`) is: the client says it
 * has nothing more to send, and the server must then answer or close.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export interface Endpoint {
  readonly port: number;
  /** TLS, with the SNI name to send (the sandbox's certificate names localhost and *.vault.localhost). */
  readonly tls?: { readonly servername: string };
}

export type Bytes = string | Buffer;

export interface RawRequest {
  readonly method: Bytes;
  readonly target: Bytes;
  /** In order, repeated names allowed; strings are sent as UTF-8. */
  readonly headers: readonly (readonly [Bytes, Bytes])[];
  readonly body?: Buffer;
  /** Send the request line and headers as they are, without the blank line (and without a body): a request that never ends its headers. */
  readonly unterminatedHead?: boolean;
  /** After sending, half-close the connection: the request is truncated and the server must notice. */
  readonly halfClose?: boolean;
}

export interface Answer {
  readonly kind: "answered";
  readonly status: number;
  /** Lower-cased names, every value in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly head: string;
  readonly body: Buffer;
  readonly ms: number;
}

export type Outcome =
  | Answer
  | { readonly kind: "closed"; readonly ms: number; readonly received: Buffer; readonly error?: string }
  | { readonly kind: "timedOut"; readonly ms: number; readonly received: Buffer };

const CRLF = "\r\n";

/** The request's bytes on the wire. */
export function serialize(request: RawRequest): Buffer {
  const parts: Buffer[] = [];
  const add = (bytes: Bytes) => parts.push(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
  add(request.method);
  add(" ");
  add(request.target);
  add(` HTTP/1.1${CRLF}`);
  for (const [name, value] of request.headers) {
    add(name);
    add(": ");
    add(value);
    add(CRLF);
  }
  if (request.unterminatedHead) return Buffer.concat(parts);
  add(CRLF);
  if (request.body) parts.push(request.body);
  return Buffer.concat(parts);
}

/** Decodes a chunked body; undefined when it is not (yet) whole. */
function dechunk(data: Buffer): Buffer | undefined {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf(CRLF, at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isFinite(size)) return undefined;
    at = lineEnd + 2;
    if (size === 0) return Buffer.concat(chunks);
    if (data.length < at + size + 2) return undefined;
    chunks.push(data.subarray(at, at + size));
    at += size + 2;
  }
}

/** A whole response at the start of `data`, skipping 1xx interim answers; undefined when incomplete. */
export function parseResponse(data: Buffer, method: string, ended: boolean): Omit<Answer, "ms" | "kind"> | undefined {
  let rest = data;
  for (;;) {
    const headEnd = rest.indexOf(`${CRLF}${CRLF}`);
    if (headEnd < 0) return undefined;
    const head = rest.subarray(0, headEnd).toString("latin1");
    const [statusLine = "", ...lines] = head.split(CRLF);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!Number.isInteger(status)) return undefined;
    const headers: Record<string, string[]> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] = [...(headers[name] ?? []), line.slice(colon + 1).trim()];
    }
    const after = rest.subarray(headEnd + 4);
    if (status >= 100 && status < 200 && status !== 101) {
      rest = after;
      continue;
    }
    const noBody = method.toUpperCase() === "HEAD" || status === 204 || status === 304 || status === 101;
    if (noBody) return { status, headers, head, body: Buffer.alloc(0) };
    if (headers["transfer-encoding"]?.some((value) => /chunked/i.test(value))) {
      const body = dechunk(after);
      return body ? { status, headers, head, body } : undefined;
    }
    const length = headers["content-length"]?.[0];
    if (length !== undefined) {
      const size = Number(length);
      return after.length >= size ? { status, headers, head, body: after.subarray(0, size) } : undefined;
    }
    return ended ? { status, headers, head, body: after } : undefined;
  }
}

/** Sends one request on a new connection and waits for its outcome, at most `timeoutMs`. */
export function send(endpoint: Endpoint, request: RawRequest, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  const method = typeof request.method === "string" ? request.method : request.method.toString("latin1");
  return new Promise<Outcome>((resolve) => {
    const received: Buffer[] = [];
    let settled = false;
    let socket: Socket;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const elapsed = () => performance.now() - started;
    const tryParse = (ended: boolean, error?: string) => {
      const data = Buffer.concat(received);
      const parsed = parseResponse(data, method, ended);
      if (parsed) return finish({ kind: "answered", ...parsed, ms: elapsed() });
      if (ended) finish({ kind: "closed", ms: elapsed(), received: data, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(
      () => finish({ kind: "timedOut", ms: elapsed(), received: Buffer.concat(received) }),
      timeoutMs,
    );
    const onConnect = () => {
      // A server may answer and close before it has read everything: a write that fails then is not an outcome.
      socket.write(serialize(request), () => {
        if (request.halfClose && !settled) socket.end();
      });
    };
    socket = endpoint.tls
      ? tlsConnect(
          { host: "127.0.0.1", port: endpoint.port, servername: endpoint.tls.servername, rejectUnauthorized: false },
          onConnect,
        )
      : netConnect({ host: "127.0.0.1", port: endpoint.port }, onConnect);
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      tryParse(false);
    });
    socket.on("end", () => tryParse(true));
    socket.on("close", () => tryParse(true));
    socket.on("error", (error: NodeJS.ErrnoException) => tryParse(true, error.code ?? error.message));
  });
}

/** The answer's body as text (UTF-8, invalid bytes replaced). */
export const text = (answer: Answer): string => answer.body.toString("utf8");
export const header = (answer: Answer, name: string): string | undefined => answer.headers[name.toLowerCase()]?.[0];
