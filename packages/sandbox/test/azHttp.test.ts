/**
 * The `az` CLI's requests (src/az/http.ts): what it sends and reads as `fetch` would, and a server that is not
 * there, which az answers as a sandbox an `npm start` left behind.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send } from "../src/az/http.ts";
import { az } from "./helpers.ts";

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ method: request.method ?? "", headers: request.headers, body: Buffer.concat(chunks).toString() });
      response.writeHead(request.url === "/missing" ? 404 : 201, {
        "content-type": "application/json",
        "x-ms-id": "1",
      });
      response.end(JSON.stringify({ answered: request.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A port nothing listens on: one the system gave, closed again. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("az's requests", () => {
  it("send the method, the headers and the body with its length; read the status, the headers and the text", async () => {
    const answer = await send(`${base}/created`, {
      method: "PUT",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: JSON.stringify({ name: "é" }),
    });
    expect(answer).toMatchObject({ ok: true, status: 201 });
    expect([answer.headers.get("X-Ms-Id"), answer.headers.get("azure-asyncoperation")]).toEqual(["1", null]);
    expect(await answer.json()).toEqual({ answered: "/created" });
    // In bytes: é is two.
    expect(received.at(-1)).toMatchObject({
      method: "PUT",
      headers: { authorization: "Bearer t", "content-length": "13" },
      body: '{"name":"é"}',
    });
    expect(received.at(-1)?.headers["transfer-encoding"]).toBeUndefined();

    const form = await send(`${base}/missing`, { method: "POST", body: new URLSearchParams({ a: "1 2", b: "&" }) });
    expect(form).toMatchObject({ ok: false, status: 404 });
    expect(await form.text()).toBe('{"answered":"/missing"}');
    expect(received.at(-1)).toMatchObject({ method: "POST", body: "a=1+2&b=%26" });
  });

  it("fail as fetch does when nothing listens: the socket's error as the cause", async () => {
    const failure = await send(`http://127.0.0.1:${await closedPort()}/`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as { cause?: { code?: string } }).cause?.code).toBe("ECONNREFUSED");
  });

  it("az: an endpoints file whose sandbox does not answer is stale, said and removed (exit 1)", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "keyless-az-refused-"));
    try {
      const caFile = join(stateDir, "ca.crt");
      writeFileSync(caFile, tls.getCACertificates("bundled")[0] ?? "");
      const admin = { url: `https://127.0.0.1:${await closedPort()}`, key: "k" };
      // The pid of a live process (this one): only the refused connection says the sandbox is gone.
      writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify({ admin, caFile, pid: process.pid }));
      const result = await az(stateDir, "account", "show");
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^ERROR: The sandbox is not running \(an npm start that did not stop cleanly/);
      expect(existsSync(join(stateDir, "endpoints.json"))).toBe(false);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
