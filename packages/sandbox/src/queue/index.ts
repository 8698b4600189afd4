/**
 * Queue Storage in the sandbox: Azurite (the queues) behind a gateway (Azure's
 * token and role checks). `startQueueService` starts both and creates the
 * seed's queues.
 */
import { once } from "node:events";
import { Agent, request as httpsRequest, createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Authorizer, TokenValidator } from "../contracts.ts";
import type { TokenIssuer } from "../identity/tokens.ts";
import { Azurite } from "./azurite.ts";
import { STORAGE_RESOURCE, createGatewayHandler } from "./gateway.ts";

export { STORAGE_RESOURCE } from "./gateway.ts";

export interface QueueServiceOptions {
  readonly certificates: { readonly certPem: string; readonly keyPem: string; readonly caPem: string };
  readonly tokens: TokenValidator;
  /** Issues the sandbox's own token for its internal housekeeping calls to Azurite. */
  readonly issuer: TokenIssuer;
  readonly rbac: Authorizer;
  readonly accountScope: string;
  readonly account: string;
  readonly queues: readonly string[];
  readonly authority: () => string;
  readonly port?: number;
  readonly compileCacheDir?: string;
}

export interface QueueService {
  /** `https://127.0.0.1:<port>/<account>` */
  readonly accountUrl: string;
  /** Settles when Azurite is up and the seed's queues exist; until then the gateway answers 503 ServerBusy. */
  readonly ready: Promise<void>;
  queueUrl(name: string): string;
  /** Stops Azurite only: the gateway stays up and answers 503, as Azure does when Storage is unavailable. */
  stopBackend(): Promise<void>;
  startBackend(): Promise<void>;
  /** Receives and deletes every message of a queue, returning their texts (for tests and benchmarks). */
  drain(queue: string): Promise<string[]>;
  /** Azure's approximate message count. */
  count(queue: string): Promise<number>;
  clear(queue: string): Promise<void>;
  /** Empties the seed's queues and creates any that are missing. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startQueueService(options: QueueServiceOptions): Promise<QueueService> {
  const azurite = new Azurite({
    certPem: options.certificates.certPem,
    keyPem: options.certificates.keyPem,
    ...(options.compileCacheDir ? { compileCacheDir: options.compileCacheDir } : {}),
  });
  const azuriteStarting = azurite.start();
  // One pool of kept-alive connections to Azurite, trusting the sandbox CA.
  const agent = new Agent({ keepAlive: true, ca: options.certificates.caPem });

  const server = createServer(
    { cert: options.certificates.certPem, key: options.certificates.keyPem },
    createGatewayHandler({
      account: options.account,
      tokens: options.tokens,
      rbac: options.rbac,
      accountScope: options.accountScope,
      authority: options.authority,
      backend: () => ({ port: azurite.port, running: azurite.running }),
      agent,
    }),
  );
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const accountUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/${options.account}`;

  /** The sandbox's own calls go straight to Azurite, not through RBAC: they are the platform, not a user. */
  async function azuriteCall(method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    const token = await options.issuer.issue({ audience: STORAGE_RESOURCE, objectId: "00000000-0000-0000-0000-000000000000" });
    return new Promise((resolve, reject) => {
      const call = httpsRequest(
        {
          host: "127.0.0.1",
          port: azurite.port,
          method,
          path: `/${options.account}${path}`,
          agent,
          headers: { authorization: `Bearer ${token}`, "x-ms-version": "2025-11-05", "content-length": "0" },
        },
        (answer) => {
          let body = "";
          answer.on("data", (chunk: Buffer) => (body += chunk.toString()));
          answer.on("end", () => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body }));
        },
      );
      call.once("error", reject);
      call.end();
    });
  }

  const decode = (xml: string) =>
    [...xml.matchAll(/<MessageText>([\s\S]*?)<\/MessageText>/g)].map((match) =>
      (match[1] ?? "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&"),
    );

  // Azurite comes up while the caller goes on (the steps start meanwhile); `ready` says when.
  const ready = azuriteStarting.then(() => service.reset());
  ready.catch(() => {}); // reported to whoever awaits `ready`, not as an unhandled rejection
  const service: QueueService = {
    ready,
    accountUrl,
    queueUrl: (name) => `${accountUrl}/${name}`,
    stopBackend: () => azurite.stop(),
    startBackend: () => azurite.start(),
    async drain(queue) {
      const texts: string[] = [];
      for (;;) {
        const answer = await azuriteCall("GET", `/${queue}/messages?numofmessages=32&visibilitytimeout=60`);
        const batch = decode(answer.body);
        if (batch.length === 0) return texts;
        texts.push(...batch);
        const receipts = [...answer.body.matchAll(/<MessageId>([^<]+)<\/MessageId>[\s\S]*?<PopReceipt>([^<]+)<\/PopReceipt>/g)];
        for (const [, id, receipt] of receipts) {
          await azuriteCall("DELETE", `/${queue}/messages/${id}?popreceipt=${encodeURIComponent(receipt ?? "")}`);
        }
      }
    },
    async count(queue) {
      const answer = await azuriteCall("GET", `/${queue}?comp=metadata`);
      return Number(answer.headers["x-ms-approximate-messages-count"] ?? 0);
    },
    async clear(queue) {
      await azuriteCall("DELETE", `/${queue}/messages`);
    },
    async reset() {
      for (const queue of options.queues) {
        await azuriteCall("PUT", `/${queue}`);
        await azuriteCall("DELETE", `/${queue}/messages`);
      }
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, azurite.dispose()]);
      agent.destroy();
    },
  };
  return service;
}
