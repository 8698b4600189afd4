/**
 * The third party's function keys by name, as Azure Functions keeps them
 * (`default`, and any you add). Rotating a key is: add the new one, move the
 * callers (the vault secret), delete the old one. Both keys work in between.
 */
import type { RunningThirdPartyApi } from "@keyless/third-party-api";

export class FunctionKeys {
  readonly #thirdParty: RunningThirdPartyApi;
  #names = new Map<string, string>();

  constructor(thirdParty: RunningThirdPartyApi) {
    this.#thirdParty = thirdParty;
  }

  /** Names for the keys the third party accepts now (a reset or a test may have changed them). */
  list(): Record<string, string> {
    const valid = this.#thirdParty.keys();
    const named = [...this.#names].filter(([, value]) => valid.includes(value));
    for (const value of valid) {
      if (!named.some(([, known]) => known === value))
        named.push([named.length === 0 ? "default" : `key${named.length + 1}`, value]);
    }
    this.#names = new Map(named);
    return Object.fromEntries(this.#names);
  }

  set(name: string, value: string): void {
    const keys = { ...this.list(), [name]: value };
    this.#names = new Map(Object.entries(keys));
    this.#thirdParty.setKeys(Object.values(keys));
  }

  /** False when it does not exist; refuses to delete the last key (the function would accept no caller). */
  delete(name: string): boolean {
    const keys = this.list();
    // Own keys only: `toString` or `__proto__` is no key of the function, whatever Object.prototype holds.
    if (!Object.hasOwn(keys, name)) return false;
    delete keys[name];
    if (Object.keys(keys).length === 0) throw new Error("Cannot delete the function's last key.");
    this.#names = new Map(Object.entries(keys));
    this.#thirdParty.setKeys(Object.values(keys));
    return true;
  }
}
