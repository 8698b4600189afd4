/**
 * The load generator's thread (see load.ts): it answers each LoadRequest with
 * a LoadResult. Its clients live as long as it does, so connections and the
 * managed identity's token are reused from the warm-up on, as in a step.
 */
import { Agent, request } from "node:http";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { parentPort, workerData } from "node:worker_threads";
import { ManagedIdentityCredential } from "@azure/identity";
import { QueueClient, StorageSharedKeyCredential } from "@azure/storage-queue";
import { drive, type LoadRequest, type QueueTarget } from "./load.ts";

setDefaultCACertificates([...getCACertificates("default"), (workerData as { caPem: string }).caPem]);

/** One pool of kept-alive connections, as wide as the widest concurrency asked for. */
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

function getcode(url: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${url}/api/v1/getcode`, { agent }, (answer) => {
      let body = "";
      answer.setEncoding("utf8");
      answer.on("data", (chunk: string) => (body += chunk));
      answer.on("end", () => resolve(answer.statusCode === 200 && body.includes('"code"')));
      answer.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

/** The same client options as step 04's QueueClient. */
const RETRY = { retryOptions: { maxTries: 2, tryTimeoutInMs: 5000 } };
const clients = new Map<string, QueueClient>();
function queueClient(target: QueueTarget): QueueClient {
  const id = JSON.stringify(target);
  let client = clients.get(id);
  if (!client) {
    client =
      target.kind === "accountKey"
        ? new QueueClient(
            `${target.accountUrl}/${target.queue}`,
            new StorageSharedKeyCredential(target.account, target.key),
            RETRY,
          )
        : new QueueClient(target.queueUrl, new ManagedIdentityCredential(), RETRY);
    clients.set(id, client);
  }
  return client;
}

/** A message like step 04's: a code and when it was issued. */
const message = () =>
  JSON.stringify({ code: `Abc-${1 + Math.floor(Math.random() * 1000)}-xYz`, timestamp: new Date().toISOString() });

parentPort?.on("message", async ({ id, request: asked }: { id: number; request: LoadRequest }) => {
  try {
    const send =
      asked.kind === "getcode"
        ? () => getcode(asked.url)
        : (() => {
            const client = queueClient(asked.target);
            return async () => (await client.sendMessage(message()))._response.status === 201;
          })();
    parentPort?.postMessage({ id, result: await drive(asked.count, asked.concurrency, send) });
  } catch (error) {
    parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
