import type { QueueClient } from "@azure/storage-queue";
import { withDeadline } from "./deadline.ts";
import { HttpError } from "./errors.ts";

/** What the back-end receives for each code: the code and when it was issued. */
export interface IssuedCode {
  readonly code: string;
  readonly timestamp: string;
}

/**
 * How long a caller waits for the queue, at most: the token, every try and
 * the wait between tries. The Storage SDK sets no client-side timeout of its
 * own: against a queue that accepts connections and never answers, a send
 * (and the caller waiting for its code) would hang.
 */
export const SEND_TIMEOUT_MS = 10_000;

/**
 * The queue of issued codes, in Azure Queue Storage. The app only adds
 * messages, so its identity needs just "Storage Queue Data Message Sender"
 * on this one queue: least privilege.
 */
export class CodeQueue {
  readonly #queue: QueueClient;

  constructor(queue: QueueClient) {
    this.#queue = queue;
  }

  /** Sends one message, or throws a 503 that says why: the caller then gets no code. */
  async send(issued: IssuedCode): Promise<void> {
    // The SDK gets the signal to cancel its requests; withDeadline ends the
    // wait even where the SDK does not listen to it (see deadline.ts).
    const deadline = AbortSignal.timeout(SEND_TIMEOUT_MS);
    try {
      await withDeadline(this.#queue.sendMessage(JSON.stringify(issued), { abortSignal: deadline }), deadline);
    } catch (error) {
      const hint = deadline.aborted
        ? `Queue Storage, or the app's sign-in to it, did not answer within ${SEND_TIMEOUT_MS / 1000} s. Try again later.`
        : hintFor(error, this.#queue.name);
      throw new HttpError(503, { error: "Could not queue your code, so none was issued.", hint });
    }
  }
}

function hintFor(error: unknown, queueName: string): string {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  if (statusCode === 403) {
    return `The app's identity may not send messages to the queue (${code}). Grant it "Storage Queue Data Message Sender": az role assignment create --assignee <the app's principal id> --role "Storage Queue Data Message Sender" --scope <the queue's resource id>`;
  }
  if (statusCode === 401) return `Queue Storage rejected the app's token (${code}).`;
  if (statusCode === 404) return `The queue ${queueName} does not exist: create it with az storage queue create --name ${queueName} --auth-mode login.`;
  return "Queue Storage is unavailable. Try again later.";
}
