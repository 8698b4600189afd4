import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { discardState } from "../src/state/discard.ts";
import { Journal } from "../src/state/journal.ts";
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

describe("discardState: npm run reset with no sandbox running", () => {
  const withJournal = () => {
    const file = fresh();
    const store = StateStore.open(file);
    const journal = new Journal(store);
    journal.record("role assignment created", "Key Vault Secrets User for keyless-workspace-03 on …/keyless-kv");
    journal.record("secret version set", "third-party-api-key in keyless-kv");
    journal.record("role assignment created", "Key Vault Secrets User for keyless-workspace-04 on …/keyless-kv");
    return { file, store };
  };
  const expected = [
    {
      kind: "role assignment created",
      count: 2,
      examples: [
        "Key Vault Secrets User for keyless-workspace-04 on …/keyless-kv",
        "Key Vault Secrets User for keyless-workspace-03 on …/keyless-kv",
      ],
    },
    { kind: "secret version set", count: 1, examples: ["third-party-api-key in keyless-kv"] },
  ];

  it("says what the journal held, read-only, and deletes the store", () => {
    const { file, store } = withJournal();
    store.close();
    expect(discardState(dirname(file))).toEqual({ existed: true, discarded: expected });
    expect(readdirSync(dirname(file)).filter((name) => name.startsWith("state.db"))).toEqual([]);
  });

  it("reads what a sandbox that was killed committed (its write-ahead log still beside the store), and deletes the log too", () => {
    const { file, store } = withJournal();
    // Not closed: as a killed process leaves it, with state.db-wal holding the commits.
    expect(existsSync(`${file}-wal`)).toBe(true);
    expect(discardState(dirname(file))).toEqual({ existed: true, discarded: expected });
    expect(readdirSync(dirname(file)).filter((name) => name.startsWith("state.db"))).toEqual([]);
    store.close();
  });

  it("with no store: nothing to discard", () => {
    expect(discardState(dirname(fresh()))).toEqual({ existed: false, discarded: [] });
  });

  it("a store that cannot be read goes all the same, and says so", () => {
    const file = fresh();
    writeFileSync(file, "not a database");
    const result = discardState(dirname(file));
    expect(result).toMatchObject({ existed: true, discarded: [] });
    expect(result.unreadable).toBeTruthy();
    expect(existsSync(file)).toBe(false);
  });
});
