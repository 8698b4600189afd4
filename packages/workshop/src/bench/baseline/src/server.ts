/**
 * The bare baseline that `npm run bench` sets beside each step: `node:http`
 * and the step's getcode work, nothing else. No framework, no logging, no
 * configuration checks, and the third party's key handed over in the
 * environment instead of read from Key Vault.
 *
 * The work is the step's own: the same third-party call (THIRD_PARTY_API_ENDPOINT,
 * the key in `x-functions-key`, THIRD_PARTY_API_TIMEOUT_MS), a code built the
 * same way, and, when STORAGE_QUEUE_URL is set (beside step 04), the same queue
 * send: the real QueueClient with step 04's client options, signed in with the
 * same managed identity. It sits in a `src/server.ts` of its own folder, so that
 * the benchmark starts it exactly as it starts a step (startStep), with the
 * step's environment.
 */
import { randomInt } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const endpoint = process.env["THIRD_PARTY_API_ENDPOINT"] ?? "";
const key = process.env["BENCH_THIRD_PARTY_KEY"] ?? "";
const timeoutMs = Number(process.env["THIRD_PARTY_API_TIMEOUT_MS"] ?? 5000);
const queueUrl = process.env["STORAGE_QUEUE_URL"];

/** Beside step 04 only: the Storage and identity SDKs are not loaded otherwise. */
async function queueSender(url: string): Promise<(text: string) => Promise<unknown>> {
  const [{ ManagedIdentityCredential }, { QueueClient }] = await Promise.all([
    import("@azure/identity"),
    import("@azure/storage-queue"),
  ]);
  const queue = new QueueClient(url, new ManagedIdentityCredential(), {
    retryOptions: { maxTries: 2, tryTimeoutInMs: 5000 },
  });
  return (text) => queue.sendMessage(text);
}
const send = queueUrl ? await queueSender(queueUrl) : undefined;

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const letters = () => Array.from({ length: 3 }, () => LETTERS[randomInt(LETTERS.length)]).join("");

const server = createServer((request, response) => {
  if (request.method !== "GET" || request.url !== "/api/v1/getcode") {
    response.writeHead(404).end();
    return;
  }
  void (async () => {
    try {
      const answer = await fetch(endpoint, {
        headers: { "x-functions-key": key },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!answer.ok) throw new Error(`the third party answered ${answer.status}`);
      const { value } = (await answer.json()) as { value: number };
      const issued = JSON.stringify({
        code: `${letters()}-${value}-${letters()}`,
        timestamp: new Date().toISOString(),
      });
      await send?.(issued);
      response
        .writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(issued) })
        .end(issued);
    } catch {
      response.writeHead(502).end();
    }
  })();
});
server.listen(Number(process.env["PORT"] ?? 0), process.env["HOST"] ?? "127.0.0.1");
await once(server, "listening");
console.log(`listening on http://localhost:${(server.address() as AddressInfo).port}`);
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2000).unref();
});
