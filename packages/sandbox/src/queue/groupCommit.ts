/**
 * Group commit: the operations that arrive while the event loop is busy run
 * together, at its next turn, in one transaction of the state store, each in a
 * savepoint of its own. What makes a commit durable is the disk's sync
 * (synchronous = FULL), and it costs the same for one change or for sixteen:
 * sixteen callers in flight then share one sync instead of waiting for
 * sixteen in a row.
 *
 * Each operation is still all or nothing: one that throws (a refusal) is
 * rolled back to its savepoint and rejected, and the others commit. None is
 * answered before the commit that holds it.
 */
import type { StateStore } from "../state/store.ts";

interface Pending {
  readonly change: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export class GroupCommit {
  readonly #state: StateStore;
  #pending: Pending[] = [];

  constructor(state: StateStore) {
    this.#state = state;
  }

  /** Runs `change` in the next group's transaction; settles once that transaction is committed (or `change` threw). */
  run<T>(change: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ change, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits what is waiting now (also what `stop` calls, so that nothing waits on a store about to close). */
  flush(): void {
    const group = this.#pending;
    this.#pending = [];
    if (group.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      this.#state.transaction(() => {
        // A nested transaction is a savepoint: a change that throws takes back only its own part.
        for (const { change } of group) {
          try {
            outcomes.push({ ok: true, value: this.#state.transaction(change) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of the group was kept.
      for (const { reject } of group) reject(error);
      return;
    }
    group.forEach(({ resolve, reject }, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) resolve(outcome.value);
      else reject(outcome?.error);
    });
  }
}
