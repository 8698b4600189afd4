/**
 * `npm run reset` when no sandbox runs: the state store is deleted, and the
 * next start provisions a new one from infra/main.json. What callers had
 * changed is read first, from the store's journal, with a read-only
 * connection: a store is never written by anything but a running sandbox.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { journalSummary, type JournalSummary } from "./journal.ts";
import { STATE_FILE } from "./store.ts";

export interface DiscardedState {
  /** Whether there was a state store to delete. */
  readonly existed: boolean;
  /** What callers had changed since it was provisioned (empty: nothing, or a journal that could not be read). */
  readonly discarded: JournalSummary[];
  /** Why the journal could not be read, when it could not: the store is deleted all the same. */
  readonly unreadable?: string;
}

/**
 * Deletes `<stateDir>/state.db` and its write-ahead log files, saying what its journal held. Only for a
 * store no sandbox has open: its caller makes sure none runs (a running one is reset through it instead).
 */
export function discardState(stateDir: string): DiscardedState {
  const file = join(stateDir, STATE_FILE);
  if (!existsSync(file)) return { existed: false, discarded: [] };
  let discarded: JournalSummary[] = [];
  let unreadable: string | undefined;
  try {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      discarded = journalSummary(db);
    } finally {
      db.close();
    }
  } catch (error) {
    // A store from before the journal, or a damaged one: it goes all the same, which is what reset is for.
    unreadable = error instanceof Error ? error.message : String(error);
  }
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${file}${suffix}`, { force: true });
  return { existed: true, discarded, ...(unreadable ? { unreadable } : {}) };
}
