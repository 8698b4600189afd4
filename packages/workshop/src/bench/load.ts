/**
 * The load generator: fixed concurrency, a given number of requests, every
 * latency kept. It runs in a worker thread of the benchmark, so that it never
 * waits on the sandbox's event loop (the sandbox runs on the main thread, as in
 * npm start's launcher), and it keeps its connections alive between phases,
 * as a browser does.
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";

export interface LoadResult {
  /** Milliseconds, one a request, in the order they were sent. */
  readonly latencies: readonly number[];
  /** From the first request sent to the last answer. */
  readonly seconds: number;
  /** Requests answered as they should be: 200 with a code, 201 for a queued message. */
  readonly ok: number;
}

/** Several phases of one thing, measured apart, as one. */
export function merge(results: readonly LoadResult[]): LoadResult & { readonly requestsPerSecond: number } {
  const latencies = results.flatMap((result) => result.latencies);
  const seconds = results.reduce((sum, result) => sum + result.seconds, 0);
  return {
    latencies,
    seconds,
    ok: results.reduce((sum, result) => sum + result.ok, 0),
    requestsPerSecond: latencies.length / seconds,
  };
}

/**
 * Sends `count` requests, `concurrency` at a time: each worker of the pool
 * sends its next request as soon as its last is answered. `send` resolves to
 * whether the answer was the expected one; a failure counts as not.
 */
export async function drive(count: number, concurrency: number, send: () => Promise<boolean>): Promise<LoadResult> {
  const latencies = new Array<number>(count).fill(0);
  let next = 0;
  let ok = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        const sent = performance.now();
        const good = await send().catch(() => false);
        latencies[index] = performance.now() - sent;
        if (good) ok++;
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000, ok };
}

/** Where enqueue load goes: Azurite alone with the account key, or the sandbox's Queue Storage with a managed identity's token. */
export type QueueTarget =
  | {
      readonly kind: "accountKey";
      readonly accountUrl: string;
      readonly account: string;
      readonly key: string;
      readonly queue: string;
    }
  | { readonly kind: "managedIdentity"; readonly queueUrl: string };

export type LoadRequest =
  | { readonly kind: "getcode"; readonly url: string; readonly count: number; readonly concurrency: number }
  | { readonly kind: "enqueue"; readonly target: QueueTarget; readonly count: number; readonly concurrency: number };

export interface LoadGeneratorOptions {
  /** The sandbox's CA (PEM), trusted by the worker's HTTPS clients, as NODE_EXTRA_CA_CERTS does for a step. */
  readonly caPem: string;
  /** The managed identity the worker's token credential signs in as (App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER). */
  readonly identity: Readonly<Record<string, string>>;
}

export class LoadGenerator {
  readonly #worker: Worker;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (result: LoadResult) => void; reject: (error: Error) => void }>();

  constructor(options: LoadGeneratorOptions) {
    this.#worker = new Worker(new URL("./loadWorker.ts", import.meta.url), {
      workerData: { caPem: options.caPem },
      env: { ...process.env, ...options.identity },
    });
    this.#worker.on("message", (message: { id: number; result?: LoadResult; error?: string }) => {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.result) pending?.resolve(message.result);
      else pending?.reject(new Error(message.error ?? "the load generator failed"));
    });
    const failAll = (error: Error) => {
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    this.#worker.on("error", failAll);
    this.#worker.on("exit", () => failAll(new Error("The load generator stopped.")));
  }

  run(request: LoadRequest): Promise<LoadResult> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, request });
    });
  }

  async close(): Promise<void> {
    const exited = once(this.#worker, "exit");
    await this.#worker.terminate();
    await exited.catch(() => {});
  }
}
