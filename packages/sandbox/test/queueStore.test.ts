/**
 * Queue Storage's store, on its own, with a clock the tests move: the order
 * messages come in, visibility and expiry, the message count kept without
 * counting, readers that never receive, and the query plans that make every
 * per-message operation cost the same whatever the queue's depth.
 */
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../src/queue/groupCommit.ts";
import { QueueStore } from "../src/queue/store.ts";
import { StateStore } from "../src/state/store.ts";

const SECOND = 1000;

function fresh() {
  let now = Date.UTC(2030, 0, 1);
  const store = new QueueStore(StateStore.open(":memory:"), () => now);
  store.ensureQueues(["work"]);
  const put = (text: string, options: { visibility?: number; ttl?: number } = {}) => {
    const message = store.putMessage("work", {
      text,
      visibilityTimeoutSeconds: options.visibility ?? 0,
      ttlSeconds: options.ttl ?? 3600,
    });
    if (message === "no queue") throw new Error("no queue");
    return message;
  };
  const texts = (messages: { text: string }[] | "no queue") =>
    messages === "no queue" ? "no queue" : messages.map((message) => message.text);
  const advance = (ms: number) => {
    now += ms;
  };
  return { store, put, texts, advance };
}

describe("the order messages come in", () => {
  it("first in, first out among those visible; a hidden one comes back behind the ones visible before it", () => {
    const { store, put, texts, advance } = fresh();
    put("a");
    put("b");
    put("c");
    expect(texts(store.getMessages("work", { count: 1, visibilityTimeoutSeconds: 10 }))).toEqual(["a"]);
    expect(texts(store.peekMessages("work", 32))).toEqual(["b", "c"]);
    advance(11 * SECOND);
    expect(texts(store.peekMessages("work", 32))).toEqual(["b", "c", "a"]);
  });

  it("a message put hidden shows once its time comes", () => {
    const { store, put, texts, advance } = fresh();
    put("later", { visibility: 5 });
    put("now");
    expect(texts(store.peekMessages("work", 32))).toEqual(["now"]);
    advance(5 * SECOND);
    expect(texts(store.peekMessages("work", 32))).toEqual(["now", "later"]);
  });
});

describe("receiving, updating and deleting", () => {
  it("each receive counts, hides the message and gives it a new pop receipt; only the last receipt deletes it", () => {
    const { store, put, advance } = fresh();
    const sent = put("job");
    const [first] = store.getMessages("work", { count: 1, visibilityTimeoutSeconds: 1 }) as [ReturnType<typeof put>];
    advance(2 * SECOND);
    const [second] = store.getMessages("work", { count: 1, visibilityTimeoutSeconds: 1 }) as [ReturnType<typeof put>];
    expect([first.dequeueCount, second.dequeueCount]).toEqual([1, 2]);
    expect(new Set([sent.popReceipt, first.popReceipt, second.popReceipt]).size).toBe(3);
    expect(store.deleteMessage("work", sent.messageId, first.popReceipt)).toBe("pop receipt mismatch");
    expect(store.deleteMessage("work", sent.messageId, second.popReceipt)).toBe("deleted");
    expect(store.deleteMessage("work", sent.messageId, second.popReceipt)).toBe("no message");
    expect(store.deleteMessage("nowhere", sent.messageId, second.popReceipt)).toBe("no queue");
  });

  it("an update changes the text and the visibility, and the receipt, but not the dequeue count", () => {
    const { store, put, texts } = fresh();
    const sent = put("draft");
    const updated = store.updateMessage("work", sent.messageId, sent.popReceipt, {
      visibilityTimeoutSeconds: 0,
      text: "final",
    });
    expect(updated).toMatchObject({ text: "final", dequeueCount: 0 });
    expect(texts(store.peekMessages("work", 1))).toEqual(["final"]);
    expect(
      store.updateMessage("work", sent.messageId, sent.popReceipt, { visibilityTimeoutSeconds: 0, text: undefined }),
    ).toBe("pop receipt mismatch");
  });
});

describe("expiry and the approximate count", () => {
  it("expired messages are never returned, and leave the count when the queue is next read or changed", () => {
    const { store, put, texts, advance } = fresh();
    put("short", { ttl: 1 });
    put("long", { ttl: 3600 });
    put("forever", { ttl: -1 });
    expect(store.queue("work")?.messageCount).toBe(3);
    advance(2 * SECOND);
    // Azure's count is approximate: the expired message counts until it is cleaned away.
    expect(store.queue("work")?.messageCount).toBe(3);
    expect(texts(store.peekMessages("work", 32))).toEqual(["long", "forever"]);
    expect(store.queue("work")?.messageCount).toBe(2);
    advance(10 * 365 * 24 * 3600 * SECOND);
    expect(texts(store.getMessages("work", { count: 32, visibilityTimeoutSeconds: 30 }))).toEqual(["forever"]);
  });

  it("the count follows every put, delete, clear and expiry, without counting", () => {
    const { store, put } = fresh();
    const messages = [put("1"), put("2"), put("3")];
    const [first] = messages;
    store.deleteMessage("work", first?.messageId ?? "", first?.popReceipt ?? "");
    expect(store.queue("work")?.messageCount).toBe(2);
    store.removeMessages("work", (text) => text === "2");
    expect(store.queue("work")?.messageCount).toBe(1);
    store.clearMessages("work");
    expect(store.queue("work")?.messageCount).toBe(0);
  });
});

describe("the sandbox's own readers never receive", () => {
  it("messages, visibleMessages and removeMessages leave every other message's dequeue count, receipt and visibility as they were", () => {
    const { store, put } = fresh();
    put("visible");
    put("hidden", { visibility: 60 });
    put("received");
    put("to remove");
    store.getMessages("work", { count: 1, visibilityTimeoutSeconds: 30 });
    const before = store.snapshot();
    expect(store.messages("work").map((message) => message.text)).toEqual([
      "visible",
      "hidden",
      "received",
      "to remove",
    ]);
    expect(store.visibleMessages("work", 32).map((message) => message.text)).toEqual(["received", "to remove"]);
    expect(store.snapshot()).toEqual(before);
    expect(store.removeMessages("work", (text) => text === "to remove").map((message) => message.text)).toEqual([
      "to remove",
    ]);
    const after = store.snapshot().queues[0]?.messages;
    expect(after).toEqual(before.queues[0]?.messages.filter((message) => message.text !== "to remove"));
  });
});

describe("the same cost at any depth", () => {
  it("every statement on one queue's messages finds them through an index; only whole-queue chores read the whole queue", () => {
    const plans = new QueueStore(StateStore.open(":memory:")).queryPlans();
    const wholeQueue = ["queues", "clear", "all", "unexpired", "deleteQueue"];
    for (const [name, plan] of Object.entries(plans)) {
      if (wholeQueue.includes(name)) continue;
      expect(plan, name).not.toMatch(/\bSCAN\b|TEMP B-TREE/);
    }
    for (const name of ["visible", "firstVisible"])
      expect(plans[name]).toMatch(/USING INDEX queue_messages_by_visibility/);
    expect(plans["expire"]).toMatch(/USING COVERING INDEX queue_messages_by_expiry/);
    expect(plans["message"]).toMatch(/USING INDEX queue_messages_by_id/);
  });
});

describe("operations that arrive together (group commit)", () => {
  it("share one commit: one that throws takes back only its own part, and is the only one rejected", async () => {
    const state = StateStore.open(":memory:");
    const store = new QueueStore(state);
    store.ensureQueues(["work"]);
    const commits = new GroupCommit(state);
    const put = (text: string) => store.putMessage("work", { text, visibilityTimeoutSeconds: 0, ttlSeconds: 60 });
    const outcomes = await Promise.allSettled([
      commits.run(() => put("first")),
      commits.run(() => {
        put("half-done");
        throw new Error("refused");
      }),
      commits.run(() => put("last")),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(store.messages("work").map((message) => message.text)).toEqual(["first", "last"]);
    expect(store.queue("work")?.messageCount).toBe(2);
  });

  it("runs each change inside a transaction, and settles it once that transaction is committed", async () => {
    const state = StateStore.open(":memory:");
    const commits = new GroupCommit(state);
    let inside = false;
    const value = await commits.run(() => {
      inside = state.db.isTransaction;
      return 42;
    });
    expect([value, inside, state.db.isTransaction]).toEqual([42, true, false]);
  });
});

describe("reset", () => {
  it("leaves the queues it is given, empty, and nothing else: no other queue, no metadata, no access policy, default properties", () => {
    const { store, put } = fresh();
    put("old");
    store.setMetadata("work", [["owner", "ada"]]);
    store.setAcl("work", [{ id: "p", permission: "r" }]);
    store.createQueue("extra", []);
    store.setServiceProperties({ cors: [] });
    store.reset(["work", "other"]);
    const { queues, serviceProperties } = store.snapshot();
    expect(
      queues.map(({ name, metadata, acl, messageCount, messages }) => ({
        name,
        metadata,
        acl,
        messageCount,
        messages,
      })),
    ).toEqual([
      { name: "other", metadata: [], acl: [], messageCount: 0, messages: [] },
      { name: "work", metadata: [], acl: [], messageCount: 0, messages: [] },
    ]);
    expect(serviceProperties.logging.version).toBe("1.0");
  });
});
