/**
 * The third party's function keys by name, as Azure Functions keeps them
 * (`default`, and any you add). Rotating a key is: add the new one, move the
 * callers (the vault secret), delete the old one. Both keys work in between.
 *
 * The keys are kept in the state store, so that a rotation outlives a
 * restart, and the running function app is told each change.
 */
import type { Journal } from "../../state/journal.ts";
import type { Collection, StateStore } from "../../state/store.ts";

/** The function app's side: which keys it accepts. */
export interface KeyedFunction {
  keys(): readonly string[];
  setKeys(keys: readonly string[]): void;
}

export class FunctionKeys {
  readonly #function: KeyedFunction;
  readonly #state: StateStore;
  readonly #keys: Collection<string>;
  readonly #journal: Journal | undefined;

  constructor(options: { function: KeyedFunction; state: StateStore; journal?: Journal }) {
    this.#function = options.function;
    this.#state = options.state;
    this.#keys = options.state.collection<string>("functionKeys");
    this.#journal = options.journal;
    this.#apply();
  }

  /**
   * The keys by name, oldest first: those the function accepts now, named as
   * they were set (a test may give the function keys of its own directly).
   */
  list(): Record<string, string> {
    const valid = this.#function.keys();
    const named = this.#keys.entries().filter(([, value]) => valid.includes(value));
    for (const value of valid) {
      if (!named.some(([, known]) => known === value))
        named.push([named.length === 0 ? "default" : `key${named.length + 1}`, value]);
    }
    return Object.fromEntries(named);
  }

  /** The keys provisioned with the function app, replacing any others (a new app, or a reset). */
  provision(keys: Readonly<Record<string, string>>): void {
    this.#state.transaction(() => {
      this.#keys.clear();
      for (const [name, value] of Object.entries(keys)) this.#keys.put(name, value);
    });
    this.#apply();
  }

  set(name: string, value: string): void {
    const keys = { ...this.list(), [name]: value };
    this.#state.transaction(() => {
      this.#keys.clear();
      for (const [kept, key] of Object.entries(keys)) this.#keys.put(kept, key);
      this.#journal?.record("function key set", name);
    });
    this.#apply();
  }

  /** False when it does not exist; refuses to delete the last key (the function would accept no caller). */
  delete(name: string): boolean {
    const keys = this.list();
    // Own keys only: `toString` or `__proto__` is no key of the function, whatever Object.prototype holds.
    if (!Object.hasOwn(keys, name)) return false;
    if (Object.keys(keys).length === 1) throw new Error("Cannot delete the function's last key.");
    this.#state.transaction(() => {
      this.#keys.clear();
      for (const [kept, key] of Object.entries(keys)) if (kept !== name) this.#keys.put(kept, key);
      this.#journal?.record("function key deleted", name);
    });
    this.#apply();
    return true;
  }

  /** Tells the function app the keys it accepts now (after a start, a change, a reset). */
  #apply(): void {
    const keys = this.#keys.values();
    if (keys.length > 0) this.#function.setKeys(keys);
  }

  /** Reads the keys again after the state was written anew (a reset). */
  reload(): void {
    this.#apply();
  }
}
