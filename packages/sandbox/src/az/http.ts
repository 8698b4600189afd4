/**
 * The `az` CLI's HTTP requests: the part of `fetch` it uses (a method, headers, a body; the status, the
 * headers and the text of the answer), on node:http and node:https. An `az` process makes a few requests
 * and exits: Node's `fetch` first loads undici, which costs it more CPU (about 90 ms) than node:https
 * (about 55 ms), and the Azure SDKs some commands load use node:https anyway. Like `fetch`, a request
 * that reaches no server fails with an error whose `cause` is the socket's (`ECONNREFUSED`).
 */

// Taken as CommonJS modules: an `import` of node:http builds its ES module facade, which reads every export,
// and three of them (WebSocket, CloseEvent, MessageEvent) load undici, what not using fetch saves.
const { request: httpRequest } = process.getBuiltinModule("node:http");
const { request: httpsRequest } = process.getBuiltinModule("node:https");

export interface HttpRequest {
  readonly method?: string;
  /** A header whose value is undefined is not sent. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | Uint8Array | URLSearchParams;
}

/** An answer's headers, read as `Headers.get` reads them (the global `Headers` is undici's: it would load it). */
export interface AnswerHeaders {
  /** The header's value, its values joined by ", " when it came more than once; null when it did not come. */
  get(name: string): string | null;
}

export interface HttpAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: AnswerHeaders;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export function send(url: string | URL, init: HttpRequest = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  const body = init.body instanceof URLSearchParams ? init.body.toString() : init.body;
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  // As fetch sends a body: its length named, not chunked.
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(init.headers ?? {})) if (value !== undefined) headers[name] = value;
  if (body !== undefined) headers["content-length"] = `${Buffer.byteLength(body)}`;
  return new Promise((resolve, reject) => {
    const outgoing = request(target, { method: init.method ?? "GET", headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("error", (error) => reject(new TypeError("fetch failed", { cause: error })));
      incoming.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const answered: AnswerHeaders = {
          get: (name) => {
            const value = incoming.headers[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
          },
        };
        const status = incoming.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 300,
          status,
          headers: answered,
          text: async () => text,
          json: async () => JSON.parse(text) as unknown,
        });
      });
    });
    outgoing.on("error", (error) => reject(new TypeError("fetch failed", { cause: error })));
    outgoing.end(body);
  });
}
