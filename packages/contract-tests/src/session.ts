import type { ContractStart, ContractTarget, DeployedApp } from "./target.ts";

/** How long starting the target may take: a step and its sandbox, on a busy machine. */
export const START_TIMEOUT_MS = 30_000;

/** One HTTP answer, read whole. */
export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  readonly text: string;
  json<T>(): T;
}

/** What a check is given: the app to call, the world around it when the run has one, and its hang guard's signal. */
export interface CheckContext {
  /** Calls the app; what it answered is remembered for the secrets check, and a code is told to `onCode`. */
  get(path: string, init?: RequestInit): Promise<Answer>;
  /** The step's world (its third party, logs, secrets): only checks that need it read it. */
  readonly world: ContractTarget;
  /** Every body and header the app answered so far, in this run. */
  readonly seen: readonly string[];
  /** Aborted when the check runs out of time: every request and wait of the check stops with it. */
  readonly signal: AbortSignal;
}

/**
 * One run of the suite, start to end: what vitest's beforeAll, afterEach and afterAll did around the checks,
 * kept here so that vitest and the in-process runner do the same.
 */
export class ContractSession {
  readonly #start: ContractStart;
  #app: DeployedApp | undefined;
  #world: ContractTarget | undefined;
  readonly #seen: string[] = [];

  constructor(start: ContractStart) {
    this.#start = start;
  }

  /** Whether this run has the sandbox's world: if not, the checks that need it are skipped. */
  get hasWorld(): boolean {
    return "world" in this.#start;
  }

  /** Starts the target (a step and its world, or an app by its URL). */
  async open(): Promise<void> {
    if ("world" in this.#start) this.#app = this.#world = await this.#start.world();
    else this.#app = await this.#start.app();
  }

  /** After each check: the third party back the way it was, whatever the check did to it. */
  async afterEach(): Promise<void> {
    await this.#world?.thirdParty.setFault(null);
    await this.#world?.thirdParty.start();
  }

  /** Stops what `open` started. */
  async close(): Promise<void> {
    await this.#world?.stop();
  }

  /** What one check is given; `signal` is its hang guard's. */
  context(signal: AbortSignal): CheckContext {
    const session = this;
    return {
      get: (path, init) => session.#get(path, init, signal),
      get world(): ContractTarget {
        if (!session.#world) throw new Error("This check needs the sandbox's world, which this run does not have.");
        return session.#world;
      },
      seen: this.#seen,
      signal,
    };
  }

  async #get(path: string, init: RequestInit | undefined, guard: AbortSignal): Promise<Answer> {
    const app = this.#app;
    if (!app) throw new Error("The app did not start.");
    const signal = init?.signal ? AbortSignal.any([guard, init.signal]) : guard;
    const response = await fetch(new URL(path, app.baseUrl), { ...init, signal });
    const text = await response.text();
    this.#seen.push(text, JSON.stringify([...response.headers]));
    if (response.ok && app.onCode) {
      const code = codeIn(text);
      if (typeof code === "string") app.onCode(code);
    }
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      headers: response.headers,
      text,
      json: <T>() => JSON.parse(text) as T,
    };
  }
}

/** The `code` of a JSON body, if it has one. */
function codeIn(text: string): unknown {
  try {
    return (JSON.parse(text) as { code?: unknown }).code;
  } catch {
    return undefined;
  }
}
