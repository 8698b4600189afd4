/**
 * Waits for `work` until `deadline` aborts, then rejects with the deadline's
 * reason (a TimeoutError for AbortSignal.timeout).
 *
 * Give the SDK call the same signal, so that it also cancels its requests.
 * The race is what bounds the wait: the Azure SDKs do not listen to the
 * signal everywhere. A managed identity token request, for one, goes on
 * waiting for an endpoint that does not answer.
 */
export function withDeadline<T>(work: Promise<T>, deadline: AbortSignal): Promise<T> {
  const expired = new Promise<never>((_, reject) => {
    if (deadline.aborted) reject(deadline.reason);
    deadline.addEventListener("abort", () => reject(deadline.reason), { once: true });
  });
  return Promise.race([work, expired]);
}
