/**
 * The journal of what callers changed since the sandbox was provisioned: one
 * line a change, written in the same transaction as the change itself, so
 * that it never claims a change that did not happen, nor misses one that did.
 * `npm run reset` reads it to say what it discards; nothing else depends on it.
 */
import type { DatabaseSync } from "node:sqlite";
import type { StateStore } from "./store.ts";

export interface JournalSummary {
  /** What changed, as a noun phrase: "role assignment created", "secret version set". */
  readonly kind: string;
  readonly count: number;
  /** The latest few, in words: "Key Vault Secrets User for keyless-workspace-03 on keyless-kv". */
  readonly examples: readonly string[];
}

/**
 * Every kind of change a journal holds, in the order each first happened: read from any connection to a
 * state database, a read-only one too (`discardState` reads a store no sandbox has open).
 */
export function journalSummary(db: DatabaseSync): JournalSummary[] {
  const kinds = db
    .prepare("SELECT kind, count(*) AS count, min(seq) AS first FROM journal GROUP BY kind ORDER BY first")
    .all() as { kind: string; count: number }[];
  const examples = db.prepare("SELECT detail FROM journal WHERE kind = ? ORDER BY seq DESC LIMIT 3");
  return kinds.map(({ kind, count }) => ({
    kind,
    count: Number(count),
    examples: (examples.all(kind) as { detail: string }[]).map((row) => row.detail),
  }));
}

export class Journal {
  readonly #store: StateStore;
  readonly #append;

  constructor(store: StateStore) {
    this.#store = store;
    store.defineTables(
      { journal: "seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL" },
      ["CREATE INDEX journal_by_kind ON journal (kind, seq)"],
    );
    this.#append = store.db.prepare("INSERT INTO journal (at, kind, detail) VALUES (?, ?, ?)");
  }

  /** Records one change; call it inside the change's own transaction. */
  record(kind: string, detail: string): void {
    this.#store.transaction(() => this.#append.run(new Date().toISOString(), kind, detail));
  }

  /** Forgets every change: what is in the store now is the new starting point. */
  clear(): void {
    this.#store.transaction(() => this.#store.db.exec("DELETE FROM journal"));
  }

  /** Every kind of change since provisioning, in the order each first happened. */
  summary(): JournalSummary[] {
    return journalSummary(this.#store.db);
  }
}
