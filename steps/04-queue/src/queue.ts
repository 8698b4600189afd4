import type { QueueClient } from "@azure/storage-queue";
import { HttpError } from "./errors.ts";

/** What the back-end receives for each code: the code and when it was issued. */
export interface IssuedCode {
  readonly code: string;
  readonly timestamp: string;
}

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
    try {
      await this.#queue.sendMessage(JSON.stringify(issued));
    } catch (error) {
      throw new HttpError(503, { error: "Could not queue your code, so none was issued.", hint: hintFor(error, this.#queue.name) });
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
