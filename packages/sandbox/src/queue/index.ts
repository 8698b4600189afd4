/**
 * Queue Storage in the sandbox: its data plane (dataPlane.ts) behind a gateway
 * that checks tokens and roles as Azure does (gateway.ts), its queues and
 * messages in the sandbox's state store (store.ts), where they outlive a
 * restart and a kill. `startQueueService` listens and creates the queues it is
 * given that are missing.
 */
import type { AuditSink } from "../audit/log.ts";
import type { Authorizer, TokenValidator } from "../contracts.ts";
import { host } from "../http/host.ts";
import type { StateStore } from "../state/store.ts";
import { createDataPlane } from "./dataPlane.ts";
import { queueErrors } from "./errors.ts";
import { createGatewayHandler, type QueueAvailability, type QueueDelay } from "./gateway.ts";
import { GroupCommit } from "./groupCommit.ts";
import { LIMITS } from "./model.ts";
import { QueueStore, type QueueSnapshot } from "./store.ts";

export { STORAGE_RESOURCE, storageAudiences, type QueueAvailability, type QueueDelay } from "./gateway.ts";
export type { QueueSnapshot } from "./store.ts";

export interface QueueServiceOptions {
  readonly certificates: { readonly certPem: string; readonly keyPem: string };
  readonly tokens: TokenValidator;
  readonly rbac: Authorizer;
  readonly accountScope: string;
  readonly account: string;
  /** Queues to create at start when missing, and what `reset` leaves unless told otherwise (asked each time, when a function). */
  readonly queues: readonly string[] | (() => readonly string[]);
  readonly authority: () => string;
  /** Where the queues and messages are kept (`<stateDir>/state.db`): the caller opens it, and closes it after `stop`. */
  readonly state: StateStore;
  readonly port?: number;
  readonly audit?: AuditSink;
  /** Now, in milliseconds: tests move it to expire messages. */
  readonly clock?: () => number;
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
  /** Settled once Queue Storage answers and its queues exist: at once, since it starts in-process. */
  readonly ready: Promise<void>;
  /** Whether it serves: running, stopped (503 ServerBusy, from the live view), or down (taken down by a fault test). */
  readonly state: QueueAvailability;
  queueUrl(name: string): string;
  /** Makes allowed requests wait before they run (a slow Storage); null ends it. */
  setDelay(delay: QueueDelay | null): void;
  /** Storage unavailable (false): the gateway answers every allowed request 503 ServerBusy, as Azure does, until true. */
  setAvailable(available: boolean): void;
  /** For fault tests: stops listening (callers get "connection refused"), every queue and message kept. */
  takeDown(): Promise<void>;
  /** Listens again, on the same port, after `takeDown`. */
  bringBack(): Promise<void>;
  /** Deletes every message of a queue, returning their texts in the order they were put (for tests and benchmarks). */
  drain(queue: string): Promise<string[]>;
  /** Every message of a queue, visible or not, without receiving it (for tests and graders). */
  peekAll(queue: string): Promise<string[]>;
  /** The first messages of a queue (at most 32), as Peek Messages shows them, without touching them: for the live view. */
  peek(queue: string, count?: number): Promise<PeekedMessage[]>;
  /** Deletes the messages whose text `matches`, leaving every other one as it was; returns the texts deleted (graders clean up after themselves). */
  removeWhere(queue: string, matches: (text: string) => boolean): Promise<string[]>;
  /** Azure's approximate message count. */
  count(queue: string): Promise<number>;
  clear(queue: string): Promise<void>;
  /** Everything Queue Storage holds, as stored: for checks that a refused request changed nothing. */
  snapshot(): QueueSnapshot;
  /** Back to a new account holding `queues` (by default those it started with), empty; every other queue, and the account's settings, gone. */
  reset(queues?: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startQueueService(options: QueueServiceOptions): Promise<QueueService> {
  const store = new QueueStore(options.state, options.clock);
  const given = () => (typeof options.queues === "function" ? options.queues() : options.queues);
  store.ensureQueues(given());
  const commits = new GroupCommit(options.state);
  let delay: QueueDelay | undefined;
  let state: QueueAvailability = "running";
  let accountUrl = "";

  const gateway = await host(
    createGatewayHandler({
      account: options.account,
      tokens: options.tokens,
      rbac: options.rbac,
      accountScope: options.accountScope,
      authority: options.authority,
      run: createDataPlane({
        store,
        commits,
        account: options.account,
        serviceEndpoint: () => `${accountUrl}/`,
        ...(options.clock ? { clock: options.clock } : {}),
      }),
      corsRules: () => store.serviceProperties().cors,
      availability: () => state,
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
  accountUrl = `https://127.0.0.1:${gateway.port}/${options.account}`;

  // The sandbox's own readers act on the store, as the platform: no token, no RBAC, and never a receive.
  const service: QueueService = {
    ready: Promise.resolve(),
    accountUrl,
    get state() {
      return state;
    },
    queueUrl: (name) => `${accountUrl}/${name}`,
    setDelay(next) {
      delay = next ?? undefined;
    },
    setAvailable(available) {
      if (state !== "down") state = available ? "running" : "stopped";
    },
    async takeDown() {
      state = "down";
      await gateway.close();
    },
    async bringBack() {
      await gateway.reopen();
      state = "running";
    },
    drain: async (queue) => store.removeMessages(queue, () => true).map((message) => message.text),
    peekAll: async (queue) => store.messages(queue).map((message) => message.text),
    removeWhere: async (queue, matches) => store.removeMessages(queue, matches).map((message) => message.text),
    async peek(queue, count = LIMITS.maxMessagesPerCall) {
      return store.visibleMessages(queue, Math.min(LIMITS.maxMessagesPerCall, Math.max(1, count))).map((message) => ({
        messageId: message.messageId,
        messageText: message.text,
        insertedOn: new Date(message.insertedOn).toISOString(),
        dequeueCount: message.dequeueCount,
      }));
    },
    count: async (queue) => store.queue(queue)?.messageCount ?? 0,
    async clear(queue) {
      store.clearMessages(queue);
    },
    snapshot: () => store.snapshot(),
    async reset(queues = given()) {
      delay = undefined;
      if (state === "stopped") state = "running";
      store.reset(queues);
    },
    async stop() {
      state = "down";
      await gateway.close();
      // What waits for its turn runs no more (Queue Storage is down): the group goes before the store can close.
      commits.flush();
    },
  };
  return service;
}
