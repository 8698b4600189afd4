/**
 * Queue Storage's data, in the sandbox's state store: one row per queue, one
 * row per message. Every change is one transaction, committed before the
 * caller is answered, so a message acknowledged with 201 survives a kill at
 * any moment, and a restart finds every queue as it was.
 *
 * Every operation costs the same however deep the queue is:
 * - Get and Peek Messages read the first visible messages from an index
 *   ordered by (queue, when visible, insertion order);
 * - expired messages are found through an index on (queue, expiry), and go
 *   when the queue's messages are next read or changed (Azure's count may
 *   include them until then: it is "approximate");
 * - the message count is kept on the queue's row, changed with every insert
 *   and delete, never counted.
 *
 * The readers for the sandbox itself (`messages`, `removeMessages`,
 * `snapshot`) never receive a message: its dequeue count, pop receipt and
 * visibility stay as its callers left them.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { StateStore } from "../state/store.ts";
import {
  DEFAULT_SERVICE_PROPERTIES,
  NEVER_EXPIRES,
  type Message,
  type Metadata,
  type Queue,
  type ServiceProperties,
  type SignedIdentifier,
} from "./model.ts";

const QUEUES = "queue_queues";
const MESSAGES = "queue_messages";

interface QueueRow {
  id: number;
  name: string;
  metadata: string;
  acl: string;
  message_count: number;
}

interface MessageRow {
  seq: number;
  message_id: string;
  text: string;
  inserted_at: number;
  expires_at: number;
  visible_at: number;
  pop_receipt: string;
  dequeue_count: number;
}

const queueOf = (row: QueueRow): Queue => ({
  name: row.name,
  metadata: JSON.parse(row.metadata) as Metadata,
  acl: JSON.parse(row.acl) as SignedIdentifier[],
  messageCount: row.message_count,
});

const messageOf = (row: MessageRow): Message => ({
  messageId: row.message_id,
  text: row.text,
  insertedOn: row.inserted_at,
  expiresOn: row.expires_at,
  visibleOn: row.visible_at,
  popReceipt: row.pop_receipt,
  dequeueCount: row.dequeue_count,
});

/** Opaque, as Azure's: a new one each time a message is received or updated. */
const newPopReceipt = () => randomBytes(16).toString("base64");

/** Metadata names compare without case; values exactly. */
function sameMetadata(a: Metadata, b: Metadata): boolean {
  const byName = (metadata: Metadata) => new Map(metadata.map(([name, value]) => [name.toLowerCase(), value]));
  const [left, right] = [byName(a), byName(b)];
  return left.size === right.size && [...left].every(([name, value]) => right.get(name) === value);
}

export type CreateQueueResult = "created" | "exists" | "conflict";
export type MessageChange<T> = T | "no queue" | "no message" | "pop receipt mismatch";

/** Everything Queue Storage holds, for the sandbox's own checks (no refused request may change it). */
export interface QueueSnapshot {
  readonly serviceProperties: ServiceProperties;
  readonly queues: readonly (Queue & { readonly messages: readonly Message[] })[];
}

export class QueueStore {
  readonly #state: StateStore;
  readonly #clock: () => number;
  readonly #properties;
  readonly #sql;

  /** `clock`: now, in milliseconds (tests move it to expire messages). */
  constructor(state: StateStore, clock: () => number = Date.now) {
    this.#state = state;
    this.#clock = clock;
    state.defineTables(
      {
        [QUEUES]:
          "id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, metadata TEXT NOT NULL, acl TEXT NOT NULL, message_count INTEGER NOT NULL DEFAULT 0",
        // seq: the insertion order, which Get Messages keeps among messages visible at the same moment.
        [MESSAGES]: `seq INTEGER PRIMARY KEY, queue_id INTEGER NOT NULL REFERENCES ${QUEUES} (id) ON DELETE CASCADE, message_id TEXT NOT NULL, text TEXT NOT NULL, inserted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, visible_at INTEGER NOT NULL, pop_receipt TEXT NOT NULL, dequeue_count INTEGER NOT NULL DEFAULT 0`,
      },
      [
        `CREATE UNIQUE INDEX ${MESSAGES}_by_id ON ${MESSAGES} (queue_id, message_id)`,
        `CREATE INDEX ${MESSAGES}_by_visibility ON ${MESSAGES} (queue_id, visible_at, seq)`,
        `CREATE INDEX ${MESSAGES}_by_expiry ON ${MESSAGES} (queue_id, expires_at)`,
      ],
    );
    this.#properties = state.collection<ServiceProperties>("queueServiceProperties");
    const { db } = state;
    this.#sql = {
      queue: db.prepare(`SELECT * FROM ${QUEUES} WHERE name = ?`),
      queues: db.prepare(`SELECT * FROM ${QUEUES} ORDER BY name`),
      page: db.prepare(
        `SELECT * FROM ${QUEUES} WHERE name >= max(?, ?) AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?`,
      ),
      createQueue: db.prepare(`INSERT INTO ${QUEUES} (name, metadata, acl) VALUES (?, ?, '[]')`),
      deleteQueue: db.prepare(`DELETE FROM ${QUEUES} WHERE id = ?`),
      setMetadata: db.prepare(`UPDATE ${QUEUES} SET metadata = ? WHERE id = ?`),
      setAcl: db.prepare(`UPDATE ${QUEUES} SET acl = ? WHERE id = ?`),
      count: db.prepare(`UPDATE ${QUEUES} SET message_count = message_count + ? WHERE id = ?`),
      resetCount: db.prepare(`UPDATE ${QUEUES} SET message_count = 0 WHERE id = ?`),
      insert: db.prepare(
        `INSERT INTO ${MESSAGES} (queue_id, message_id, text, inserted_at, expires_at, visible_at, pop_receipt) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      visible: db.prepare(
        `SELECT * FROM ${MESSAGES} WHERE queue_id = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?`,
      ),
      receive: db.prepare(
        `UPDATE ${MESSAGES} SET visible_at = ?, pop_receipt = ?, dequeue_count = dequeue_count + 1 WHERE seq = ?`,
      ),
      message: db.prepare(`SELECT * FROM ${MESSAGES} WHERE queue_id = ? AND message_id = ?`),
      update: db.prepare(
        `UPDATE ${MESSAGES} SET visible_at = ?, pop_receipt = ?, text = coalesce(?, text) WHERE seq = ?`,
      ),
      deleteMessage: db.prepare(`DELETE FROM ${MESSAGES} WHERE seq = ?`),
      expire: db.prepare(`DELETE FROM ${MESSAGES} WHERE queue_id = ? AND expires_at <= ?`),
      clear: db.prepare(`DELETE FROM ${MESSAGES} WHERE queue_id = ?`),
      all: db.prepare(`SELECT * FROM ${MESSAGES} WHERE queue_id = ? ORDER BY seq`),
      unexpired: db.prepare(`SELECT * FROM ${MESSAGES} WHERE queue_id = ? AND expires_at > ? ORDER BY seq`),
      firstVisible: db.prepare(
        `SELECT * FROM ${MESSAGES} WHERE queue_id = ? AND visible_at <= ? AND expires_at > ? ORDER BY visible_at, seq LIMIT ?`,
      ),
    };
  }

  #row(name: string): QueueRow | undefined {
    return this.#sql.queue.get(name) as QueueRow | undefined;
  }

  /** Deletes the queue's expired messages; they no longer count. */
  #expire(queue: QueueRow, now: number): void {
    const { changes } = this.#sql.expire.run(queue.id, now);
    if (Number(changes) > 0) this.#sql.count.run(-Number(changes), queue.id);
  }

  /** Runs `change` on a queue's row, in one transaction, after its expired messages went: "no queue" when there is none. */
  #onQueue<T>(name: string, change: (queue: QueueRow, now: number) => T): T | "no queue" {
    return this.#state.transaction(() => {
      const queue = this.#row(name);
      if (!queue) return "no queue" as const;
      const now = this.#clock();
      this.#expire(queue, now);
      return change(queue, now);
    });
  }

  // ——— Queues ———

  /** Create Queue: a queue that exists already with the same metadata is no conflict (Azure answers 204). */
  createQueue(name: string, metadata: Metadata): CreateQueueResult {
    return this.#state.transaction(() => {
      const existing = this.#row(name);
      if (existing) return sameMetadata(queueOf(existing).metadata, metadata) ? "exists" : "conflict";
      this.#sql.createQueue.run(name, JSON.stringify(metadata));
      return "created";
    });
  }

  /** Delete Queue, with its messages; false when there was none. */
  deleteQueue(name: string): boolean {
    return this.#state.transaction(() => {
      const queue = this.#row(name);
      if (queue) this.#sql.deleteQueue.run(queue.id);
      return queue !== undefined;
    });
  }

  queue(name: string): Queue | undefined {
    const row = this.#row(name);
    return row ? queueOf(row) : undefined;
  }

  setMetadata(name: string, metadata: Metadata): boolean {
    return this.#onQueue(name, (queue) => this.#sql.setMetadata.run(JSON.stringify(metadata), queue.id)) !== "no queue";
  }

  setAcl(name: string, acl: readonly SignedIdentifier[]): boolean {
    return this.#onQueue(name, (queue) => this.#sql.setAcl.run(JSON.stringify(acl), queue.id)) !== "no queue";
  }

  /**
   * List Queues: by name, from `from` on (a continuation), those that start with `prefix`, at most `limit`. `next` is
   * the name the next page starts at, when there is one.
   */
  listQueues(options: { prefix: string; from: string; limit: number }): { queues: Queue[]; next?: string } {
    // From the continuation, or from the prefix, whichever comes later.
    const { prefix, from, limit } = options;
    const rows = this.#sql.page.all(from, prefix, prefix.length, prefix, limit + 1) as unknown as QueueRow[];
    const next = rows.length > limit ? rows[limit]?.name : undefined;
    return { queues: rows.slice(0, limit).map(queueOf), ...(next !== undefined ? { next } : {}) };
  }

  serviceProperties(): ServiceProperties {
    return this.#properties.get("default") ?? DEFAULT_SERVICE_PROPERTIES;
  }

  /** Set Queue Service Properties: what `changes` names replaces what was there; the rest stays. */
  setServiceProperties(changes: Partial<ServiceProperties>): void {
    this.#properties.put("default", { ...this.serviceProperties(), ...changes });
  }

  // ——— Messages ———

  /** Put Message. `ttlSeconds` -1: it never expires. */
  putMessage(
    name: string,
    options: { text: string; visibilityTimeoutSeconds: number; ttlSeconds: number },
  ): Message | "no queue" {
    return this.#onQueue(name, (queue, now) => {
      const message: Message = {
        messageId: randomUUID(),
        text: options.text,
        insertedOn: now,
        expiresOn: options.ttlSeconds === -1 ? NEVER_EXPIRES : Math.min(NEVER_EXPIRES, now + options.ttlSeconds * 1000),
        visibleOn: now + options.visibilityTimeoutSeconds * 1000,
        popReceipt: newPopReceipt(),
        dequeueCount: 0,
      };
      this.#sql.insert.run(
        queue.id,
        message.messageId,
        message.text,
        message.insertedOn,
        message.expiresOn,
        message.visibleOn,
        message.popReceipt,
      );
      this.#sql.count.run(1, queue.id);
      return message;
    });
  }

  /** Get Messages: the first `count` visible messages, each hidden for the timeout, its dequeue count one more and a new pop receipt. */
  getMessages(name: string, options: { count: number; visibilityTimeoutSeconds: number }): Message[] | "no queue" {
    return this.#onQueue(name, (queue, now) =>
      (this.#sql.visible.all(queue.id, now, options.count) as unknown as MessageRow[]).map((row) => {
        const received: Message = {
          ...messageOf(row),
          visibleOn: now + options.visibilityTimeoutSeconds * 1000,
          popReceipt: newPopReceipt(),
          dequeueCount: row.dequeue_count + 1,
        };
        this.#sql.receive.run(received.visibleOn, received.popReceipt, row.seq);
        return received;
      }),
    );
  }

  /** Peek Messages: the first `count` visible messages, untouched. */
  peekMessages(name: string, count: number): Message[] | "no queue" {
    return this.#onQueue(name, (queue, now) =>
      (this.#sql.visible.all(queue.id, now, count) as unknown as MessageRow[]).map(messageOf),
    );
  }

  #presented(
    queue: QueueRow,
    messageId: string,
    popReceipt: string,
  ): MessageRow | "no message" | "pop receipt mismatch" {
    const row = this.#sql.message.get(queue.id, messageId) as MessageRow | undefined;
    if (!row) return "no message";
    return row.pop_receipt === popReceipt ? row : "pop receipt mismatch";
  }

  deleteMessage(name: string, messageId: string, popReceipt: string): MessageChange<"deleted"> {
    return this.#onQueue(name, (queue) => {
      const row = this.#presented(queue, messageId, popReceipt);
      if (typeof row === "string") return row;
      this.#sql.deleteMessage.run(row.seq);
      this.#sql.count.run(-1, queue.id);
      return "deleted" as const;
    });
  }

  /** Update Message: hidden for the timeout (0: visible now), a new pop receipt, and a new text when one is given. */
  updateMessage(
    name: string,
    messageId: string,
    popReceipt: string,
    options: { visibilityTimeoutSeconds: number; text: string | undefined },
  ): MessageChange<Message> {
    return this.#onQueue(name, (queue, now) => {
      const row = this.#presented(queue, messageId, popReceipt);
      if (typeof row === "string") return row;
      const updated: Message = {
        ...messageOf(row),
        visibleOn: now + options.visibilityTimeoutSeconds * 1000,
        popReceipt: newPopReceipt(),
        ...(options.text !== undefined ? { text: options.text } : {}),
      };
      this.#sql.update.run(updated.visibleOn, updated.popReceipt, options.text ?? null, row.seq);
      return updated;
    });
  }

  /** Clear Messages; false when there is no such queue. */
  clearMessages(name: string): boolean {
    return (
      this.#onQueue(name, (queue) => {
        this.#sql.clear.run(queue.id);
        this.#sql.resetCount.run(queue.id);
      }) !== "no queue"
    );
  }

  // ——— The sandbox's own readers and chores: they receive nothing ———

  /** Every message of a queue that has not expired, visible or not, in the order they were put. */
  messages(name: string): Message[] {
    const queue = this.#row(name);
    return queue ? (this.#sql.unexpired.all(queue.id, this.#clock()) as unknown as MessageRow[]).map(messageOf) : [];
  }

  /** The first `count` visible messages, as Peek Messages would show them, read without deleting the expired ones. */
  visibleMessages(name: string, count: number): Message[] {
    const queue = this.#row(name);
    const now = this.#clock();
    return queue
      ? (this.#sql.firstVisible.all(queue.id, now, now, count) as unknown as MessageRow[]).map(messageOf)
      : [];
  }

  /** Deletes the unexpired messages whose text `matches`, in one transaction; returns them, in the order they were put. */
  removeMessages(name: string, matches: (text: string) => boolean): Message[] {
    const removed = this.#onQueue(name, (queue, now) => {
      const gone = (this.#sql.unexpired.all(queue.id, now) as unknown as MessageRow[]).filter((row) =>
        matches(row.text),
      );
      for (const row of gone) this.#sql.deleteMessage.run(row.seq);
      if (gone.length > 0) this.#sql.count.run(-gone.length, queue.id);
      return gone.map(messageOf);
    });
    return removed === "no queue" ? [] : removed;
  }

  /** Creates those of the queues that are missing, leaving the others as they are. */
  ensureQueues(names: readonly string[]): void {
    this.#state.transaction(() => {
      for (const name of names) if (!this.#row(name)) this.#sql.createQueue.run(name, "[]");
    });
  }

  /** Back to a new account holding `names`, empty: every other queue, message, metadata, ACL and setting goes. */
  reset(names: readonly string[]): void {
    this.#state.transaction(() => {
      for (const row of this.#sql.queues.all() as unknown as QueueRow[]) this.#sql.deleteQueue.run(row.id);
      this.#properties.delete("default");
      this.ensureQueues(names);
    });
  }

  /**
   * How SQLite runs each statement (EXPLAIN QUERY PLAN), by name: what proves that an operation on one message finds
   * its rows through an index, whatever the depth of its queue, without a stopwatch.
   */
  queryPlans(): Record<string, string> {
    return Object.fromEntries(
      Object.entries(this.#sql).map(([name, statement]) => {
        const parameters = statement.sourceSQL.match(/\?/g)?.length ?? 0;
        const plan = this.#state.db
          .prepare(`EXPLAIN QUERY PLAN ${statement.sourceSQL}`)
          .all(...Array<number>(parameters).fill(0)) as { detail: string }[];
        return [name, plan.map((step) => step.detail).join("; ")];
      }),
    );
  }

  /** Everything, as stored (expired messages not yet deleted included). */
  snapshot(): QueueSnapshot {
    return {
      serviceProperties: this.serviceProperties(),
      queues: (this.#sql.queues.all() as unknown as QueueRow[]).map((row) => ({
        ...queueOf(row),
        messages: (this.#sql.all.all(row.id) as unknown as MessageRow[]).map(messageOf),
      })),
    };
  }
}
