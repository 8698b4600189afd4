/**
 * A load generator for the fault suite: a few callers that keep asking a step
 * for codes, one request after the other, and record every answer with when it
 * started and ended. Each request has a client-side time limit: a guard against
 * a hang, never a speed limit.
 */
import { setTimeout as sleep } from "node:timers/promises";

/** One request and what came back. `hung`: no answer within the guard; `failed`: no HTTP answer at all. */
export interface Call {
  /** performance.now() when the request was sent, and when its answer (or failure) was complete. */
  readonly started: number;
  readonly ended: number;
  readonly status: number | "hung" | "failed";
  readonly contentType: string;
  readonly text: string;
}

/** Pause after an answer that is not a code, so that callers of a step failing fast do not spin. */
const PAUSE_AFTER_ERROR_MS = 20;

export class Load {
  readonly calls: Call[] = [];
  #inFlight = 0;
  #running = true;
  readonly #workers: Promise<void>[];

  constructor(url: string, callers: number, hangGuardMs: number) {
    this.#workers = Array.from({ length: callers }, () => this.#caller(url, hangGuardMs));
  }

  /** Requests sent and not yet answered, now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Calls that started at or after `since` and have ended, with this status (any status when none is given). */
  count(since: number, status?: Call["status"]): number {
    return this.calls.filter((call) => call.started >= since && (status === undefined || call.status === status))
      .length;
  }

  /** Waits until `condition` holds, checking as answers come in; fails after `timeoutMs` (a hang guard). */
  async until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}.`);
      await sleep(10);
    }
  }

  /** Stops sending; resolves once every request in flight has its answer. */
  async stop(): Promise<Call[]> {
    this.#running = false;
    await Promise.all(this.#workers);
    return this.calls;
  }

  async #caller(url: string, hangGuardMs: number): Promise<void> {
    while (this.#running) {
      this.#inFlight++;
      const started = performance.now();
      let call: Omit<Call, "ended">;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(hangGuardMs) });
        call = {
          started,
          status: response.status,
          contentType: response.headers.get("content-type") ?? "",
          text: await response.text(),
        };
      } catch (error) {
        const hung = (error as { name?: string }).name === "TimeoutError";
        call = { started, status: hung ? "hung" : "failed", contentType: "", text: String(error) };
      } finally {
        this.#inFlight--;
      }
      this.calls.push({ ...call, ended: performance.now() });
      if (call.status !== 200) await sleep(PAUSE_AFTER_ERROR_MS);
    }
  }
}
