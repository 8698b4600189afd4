import { setTimeout as sleep } from "node:timers/promises";

/**
 * Calls `assertion` until it stops throwing, every `interval` ms, for at most `timeout` ms; then throws its last
 * error. What vitest's `vi.waitFor` does, without vitest's runner: the suite also runs in a plain process.
 */
export async function waitFor(
  assertion: () => unknown,
  options: { readonly timeout: number; readonly interval: number; readonly signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeout;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() + options.interval > deadline) throw error;
    }
    // An aborted check (its hang guard) stops polling at once.
    await sleep(options.interval, undefined, options.signal ? { signal: options.signal } : {});
  }
}
