/**
 * Queue Storage in the sandbox: Azurite (the queues) behind a gateway (Azure's
 * token and role checks). `startQueueService` starts both and creates the
 * seed's queues.
 */
import { Agent } from "node:http";
import { QueueServiceClient, StorageSharedKeyCredential } from "@azure/storage-queue";
import type { AuditSink } from "../audit/log.ts";
import type { Authorizer, TokenValidator } from "../contracts.ts";
import { host } from "../http/host.ts";
import { Azurite, type AzuriteState } from "./azurite.ts";
import { queueErrors } from "./errors.ts";
import { createGatewayHandler, type QueueDelay } from "./gateway.ts";
import { sharedKeySigner } from "./sharedKey.ts";

export { STORAGE_RESOURCE, storageAudiences, type QueueDelay } from "./gateway.ts";

export interface QueueServiceOptions {
  readonly certificates: { readonly certPem: string; readonly keyPem: string };
  readonly tokens: TokenValidator;
  readonly rbac: Authorizer;
  readonly accountScope: string;
  readonly account: string;
  readonly queues: readonly string[];
  readonly authority: () => string;
  readonly port?: number;
  readonly compileCacheDir?: string;
  /** Told when Azurite goes down or comes back. */
  readonly onEvent?: (event: string) => void;
  readonly audit?: AuditSink;
}

/** A message as Peek Messages shows it. */
export interface PeekedMessage {
  readonly messageId: string;
  readonly messageText: string;
  readonly insertedOn: string;
  readonly dequeueCount: number;
}

export interface QueueService {
  /** `https://127.0.0.1:<port>/<account>` */
  readonly accountUrl: string;
  /** Settles when Azurite is up and the seed's queues exist; until then the gateway answers 503 ServerBusy. */
  readonly ready: Promise<void>;
  /** Azurite's state: running, or down (and being restarted), or stopped on purpose. */
  readonly backendState: AzuriteState;
  /** Azurite's process id, for fault tests (kill it, stop it) and the benchmark. */
  readonly backendPid: number | undefined;
  /** Azurite's own port (loopback), for tests that prove it refuses everyone but the gateway. */
  readonly backendPort: number;
  /**
   * This run's account key, which Azurite takes and the gateway signs with:
   * for in-process measurements (the benchmark's "Azurite alone"). Never
   * written anywhere, never served.
   */
  readonly backendKey: string;
  queueUrl(name: string): string;
  /** Makes allowed requests wait before they reach the queues (a slow Storage); null ends it. */
  setDelay(delay: QueueDelay | null): void;
  /** Stops Azurite only: the gateway stays up and answers 503, as Azure does when Storage is unavailable. */
  stopBackend(): Promise<void>;
  startBackend(): Promise<void>;
  /** Receives and deletes every message of a queue, returning their texts (for tests and benchmarks). */
  drain(queue: string): Promise<string[]>;
  /** Every message of a queue, without receiving it (for tests). */
  peekAll(queue: string): Promise<string[]>;
  /** The first messages of a queue (at most 32), as Peek Messages shows them, without touching them: for the live view. */
  peek(queue: string, count?: number): Promise<PeekedMessage[]>;
  /** Deletes the messages whose text `matches`, leaving every other one in the queue; returns the texts deleted (graders clean up after themselves). */
  removeWhere(queue: string, matches: (text: string) => boolean): Promise<string[]>;
  /** Azure's approximate message count. */
  count(queue: string): Promise<number>;
  clear(queue: string): Promise<void>;
  /** Empties the seed's queues and creates any that are missing. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startQueueService(options: QueueServiceOptions): Promise<QueueService> {
  const azurite = new Azurite({
    account: options.account,
    ...(options.compileCacheDir ? { compileCacheDir: options.compileCacheDir } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const azuriteStarting = azurite.start();
  // One pool of kept-alive connections to Azurite, on loopback.
  const agent = new Agent({ keepAlive: true });
  const sign = sharedKeySigner(options.account, azurite.key);
  const credential = new StorageSharedKeyCredential(options.account, azurite.key);
  let delay: QueueDelay | undefined;

  const gateway = await host(
    createGatewayHandler({
      account: options.account,
      tokens: options.tokens,
      rbac: options.rbac,
      accountScope: options.accountScope,
      authority: options.authority,
      backend: () => ({ port: azurite.port, available: azurite.available, sign }),
      agent,
      ...(options.audit ? { audit: options.audit } : {}),
      delay: () => delay,
    }),
    {
      name: "Queue Storage",
      errors: queueErrors,
      tls: { cert: options.certificates.certPem, key: options.certificates.keyPem },
      ...(options.port ? { port: options.port } : {}),
    },
  );
  const accountUrl = `https://127.0.0.1:${gateway.port}/${options.account}`;

  /** The sandbox's own calls go straight to Azurite with the account key, not through RBAC: they are the platform, not a user. */
  const queueClient = (name: string) =>
    new QueueServiceClient(`http://127.0.0.1:${azurite.port}/${options.account}`, credential, {
      retryOptions: { maxTries: 1 },
    }).getQueueClient(name);

  /**
   * Goes through every message of a queue: each one received (invisible for a moment), deleted when `remove`
   * says so, and the others made visible again. Returns the texts removed and kept, in the queue's order.
   */
  async function sweep(
    queue: string,
    remove: (text: string) => boolean,
  ): Promise<{ removed: string[]; kept: string[] }> {
    const client = queueClient(queue);
    const removed: string[] = [];
    const kept: { messageId: string; popReceipt: string; messageText: string }[] = [];
    for (;;) {
      const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
      if (receivedMessageItems.length === 0) break;
      for (const message of receivedMessageItems) {
        if (remove(message.messageText)) {
          await client.deleteMessage(message.messageId, message.popReceipt);
          removed.push(message.messageText);
        } else kept.push(message);
      }
    }
    for (const message of kept) await client.updateMessage(message.messageId, message.popReceipt, undefined, 0);
    return { removed, kept: kept.map((message) => message.messageText) };
  }

  // Azurite comes up while the caller goes on (the steps start meanwhile); `ready` says when.
  const ready = azuriteStarting.then(() => service.reset());
  ready.catch(() => {}); // reported to whoever awaits `ready`, not as an unhandled rejection
  const service: QueueService = {
    ready,
    accountUrl,
    get backendState() {
      return azurite.state;
    },
    get backendPid() {
      return azurite.pid;
    },
    get backendPort() {
      return azurite.port;
    },
    backendKey: azurite.key,
    queueUrl: (name) => `${accountUrl}/${name}`,
    setDelay(next) {
      delay = next ?? undefined;
    },
    stopBackend: () => azurite.stop(),
    startBackend: () => azurite.start(),
    drain: async (queue) => (await sweep(queue, () => true)).removed,
    // Peek shows at most 32: a sweep that removes nothing shows them all.
    peekAll: async (queue) => (await sweep(queue, () => false)).kept,
    removeWhere: async (queue, matches) => (await sweep(queue, matches)).removed,
    async peek(queue, count = 32) {
      const { peekedMessageItems } = await queueClient(queue).peekMessages({
        numberOfMessages: Math.min(32, Math.max(1, count)),
      });
      return peekedMessageItems.map((message) => ({
        messageId: message.messageId,
        messageText: message.messageText,
        insertedOn: message.insertedOn.toISOString(),
        dequeueCount: message.dequeueCount,
      }));
    },
    async count(queue) {
      return (await queueClient(queue).getProperties()).approximateMessagesCount ?? 0;
    },
    async clear(queue) {
      await queueClient(queue).clearMessages();
    },
    async reset() {
      delay = undefined;
      for (const queue of options.queues) {
        const client = queueClient(queue);
        await client.createIfNotExists();
        await client.clearMessages();
      }
    },
    async stop() {
      await Promise.all([gateway.close(), azurite.dispose()]);
      agent.destroy();
    },
  };
  return service;
}
