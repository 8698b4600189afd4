/**
 * A stand-in for a step, in this process: it answers what a URL alone can check of the contract, logs each
 * code it issues, and can be told to answer getcode wrongly or never answer at all. Enough to watch the
 * runner run, fail, skip and time out checks without starting a step.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";

export type Behaviour = "keeps-the-contract" | "answers-500" | "hangs";

export interface FakeApp {
  readonly baseUrl: string;
  /** What it logged: one line per code issued. */
  readonly logs: string[];
  /** How many connections are open to it now. */
  connections(): Promise<number>;
  close(): Promise<void>;
}

export async function startFakeApp(behaviour: Behaviour): Promise<FakeApp> {
  const logs: string[] = [];
  let issued = 0;
  const server: Server = createServer((request, response) => {
    if (behaviour === "hangs") return; // never answers
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      response.end(request.method === "HEAD" ? undefined : JSON.stringify(body));
    };
    if (request.url === "/") {
      response.writeHead(200, { "content-type": "text/html" }).end("<html><a href=/api/v1/getcode>code</a></html>");
    } else if (request.url === "/api/v1/getcode" && request.method !== "GET") {
      json(405, { error: "Method not allowed." }, { allow: "GET" });
    } else if (request.url === "/api/v1/getcode" && behaviour === "answers-500") {
      json(500, { error: "Something went wrong." });
    } else if (request.url === "/api/v1/getcode") {
      issued++;
      const code = `Abc-${(issued % 1000) + 1}-${String.fromCharCode(97 + (issued % 26))}yz`;
      logs.push(`issued a code ${code}`);
      json(200, { code, timestamp: new Date().toISOString() });
    } else if (request.url?.includes("%E0%A4%A")) {
      json(400, { error: "Bad request." });
    } else json(404, { error: "Not found." });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    logs,
    connections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
