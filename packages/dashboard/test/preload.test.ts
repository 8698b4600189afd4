/**
 * The telemetry preload, loaded into an app through NODE_OPTIONS alone: it never breaks the app
 * (no collector: the app runs and prints what it always prints), never sends a secret, and loses
 * nothing when the app exits at once (a step refused by Key Vault at start-up).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spansOf } from "@keyless/sandbox";
import { telemetryEnvironment } from "../src/telemetry/environment.ts";

const APP = fileURLToPath(new URL("./fixtures/app.ts", import.meta.url));
const SECRET = "kls~Q8xV2mT7pR4wN9zB6cF1hJ3kL5sD0gA-test";

/** An upstream for the app, and a collector that keeps each batch exactly as it arrived: two servers, as they would be. */
let upstream: Server;
let collector: Server;
let base: string;
let collectorUrl: string;
const batches: string[] = [];

async function listen(
  handler: (url: string | undefined, body: string) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      handler(req.url, body);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  ({ server: upstream, url: base } = await listen(() => {}));
  const started = await listen((url, body) => url === "/v1/traces" && batches.push(body));
  collector = started.server;
  collectorUrl = `${started.url}/v1/traces`;
});
/** Every app started, so that none outlives a failed test. */
const started: ChildProcess[] = [];
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const server of [upstream, collector]) await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Run {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  output(): string;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [APP], {
    env: { PATH: process.env["PATH"] ?? "", UPSTREAM: base, AZURE_CLIENT_SECRET: SECRET, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", () => {
      const found = /listening on (\S+)/.exec(text)?.[1];
      if (found) resolve(found);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${text}`)));
  });
  url.catch(() => {});
  return { child, url, output: () => text };
}

async function stop({ child }: Run): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

const traced = (tracesUrl: string) => telemetryEnvironment({ app: "keyless-test-app", tracesUrl });

describe("the telemetry preload", () => {
  it("with no collector listening, the app starts, serves and prints exactly what it does untraced", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const nowhere = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1/traces`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const plain = run({});
    const withPreload = run(traced(nowhere));
    try {
      for (const app of [plain, withPreload]) {
        const answer = await fetch(`${await app.url}/`);
        expect(await answer.text()).toBe("upstream 200");
      }
      // Long enough for the batch to be sent, refused, and dropped.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const lines = (app: Run) => app.output().replace(/\d+/g, "N");
      expect(lines(withPreload)).toBe(lines(plain));
    } finally {
      await Promise.all([stop(plain), stop(withPreload)]);
    }
  });

  it("sends the request's spans, joined by trace context, with no secret in them", async () => {
    batches.length = 0;
    const app = run(traced(collectorUrl));
    try {
      await fetch(`${await app.url}/`);
      await expect
        .poll(() => batches.flatMap((batch) => spansOf(JSON.parse(batch))).length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(2);
    } finally {
      await stop(app);
    }
    const spans = batches.flatMap((batch) => spansOf(JSON.parse(batch)));
    const server = spans.find((span) => span.kind === "server");
    const call = spans.find((span) => span.kind === "client");
    expect(server).toMatchObject({ service: "keyless-test-app", scope: "@opentelemetry/instrumentation-http" });
    expect(call).toMatchObject({
      traceId: server?.traceId,
      parentSpanId: server?.spanId,
      scope: "@opentelemetry/instrumentation-undici",
    });
    expect(call?.attributes["url.full"]).toBe(`${base}/work?code=[redacted]&api-version=1`);
    // Not in any form: as sent, URL-encoded, or in a header.
    for (const batch of batches) {
      expect(batch).not.toContain(SECRET);
      expect(batch).not.toContain(encodeURIComponent(SECRET));
    }
  });

  it("an app that exits at once (a refused start-up) still delivers its spans", async () => {
    batches.length = 0;
    const app = run({ ...traced(collectorUrl), EXIT_AFTER_CALL: "1" });
    const [code] = (await once(app.child, "exit")) as [number];
    expect(code).toBe(3);
    const spans = batches.flatMap((batch) => spansOf(JSON.parse(batch)));
    expect(spans.map((span) => span.scope)).toContain("@opentelemetry/instrumentation-undici");
    expect(app.output()).toBe("");
  });
});
