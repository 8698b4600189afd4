/**
 * Waits for `work` until `deadline` aborts, then rejects with the deadline's
 * reason (a TimeoutError for AbortSignal.timeout).
 *
 * When the work takes a signal, give it the same one, so that it also
 * cancels what it started. The race is what bounds the wait: some work takes
 * no signal at all (`server.close()`, for one), and some libraries do not
 * listen to it everywhere.
 */
export function withDeadline<T>(work: Promise<T>, deadline: AbortSignal): Promise<T> {
  const expired = new Promise<never>((_, reject) => {
    if (deadline.aborted) reject(deadline.reason);
    deadline.addEventListener("abort", () => reject(deadline.reason), { once: true });
  });
  return Promise.race([work, expired]);
}
