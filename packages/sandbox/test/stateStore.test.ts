import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore } from "../src/state/store.ts";

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), "keyless-state-"));
  dirs.push(dir);
  return join(dir, "state.db");
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the state store", () => {
  it("keeps a collection's documents across a close and an open", () => {
    const file = fresh();
    const first = StateStore.open(file);
    first.collection<{ role: string }>("roleAssignments").put("a", { role: "Key Vault Secrets User" });
    first.close();
    const second = StateStore.open(file);
    expect(second.collection("roleAssignments").entries()).toEqual([["a", { role: "Key Vault Secrets User" }]]);
    second.close();
  });

  it("keeps all of a transaction or none of it", () => {
    const store = StateStore.open(":memory:");
    const items = store.collection<number>("items");
    expect(() =>
      store.transaction(() => {
        items.put("one", 1);
        throw new Error("half-way");
      }),
    ).toThrow("half-way");
    expect(items.values()).toEqual([]);
    store.transaction(() => {
      items.put("one", 1);
      store.transaction(() => items.put("two", 2));
    });
    expect(items.values()).toEqual([1, 2]);
  });

  it("refuses an asynchronous transaction, which would let other requests in before its commit", () => {
    const store = StateStore.open(":memory:");
    expect(() => store.transaction(async () => {})).toThrow("synchronous");
  });

  it("empties every table at once for a reset", () => {
    const store = StateStore.open(":memory:");
    store.collection<number>("a").put("x", 1);
    store.defineTables({ messages: "id TEXT PRIMARY KEY" });
    store.db.prepare("INSERT INTO messages VALUES ('m')").run();
    store.clearAll();
    expect(store.collection("a").values()).toEqual([]);
    expect(store.db.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 0 });
  });
});
