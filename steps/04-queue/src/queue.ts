import type { TokenCredential } from "@azure/identity";
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

/** The token audience of Azure Storage, as QueueClient asks for it. */
const STORAGE_SCOPE = "https://storage.azure.com/.default";

/**
 * The queue of issued codes, in Azure Queue Storage. The app only adds
 * messages, so its identity needs just "Storage Queue Data Message Sender"
 * on this one queue: least privilege.
 */
export class CodeQueue {
  readonly #queue: QueueClient;
  readonly #credential: TokenCredential;

  /** `credential`: the one the queue client signs in with, to name the app's identity when Storage refuses it. */
  constructor(queue: QueueClient, credential: TokenCredential) {
    this.#queue = queue;
    this.#credential = credential;
  }

  /** Sends one message, or throws a 503 that says why: the caller then gets no code. */
  async send(issued: IssuedCode): Promise<void> {
    // The SDK gets the signal to cancel its requests; withDeadline ends the
    // wait even where the SDK does not listen to it: a managed identity token
    // request, for one, goes on waiting for an endpoint that does not answer.
    const deadline = AbortSignal.timeout(SEND_TIMEOUT_MS);
    try {
      await withDeadline(this.#queue.sendMessage(JSON.stringify(issued), { abortSignal: deadline }), deadline);
    } catch (error) {
      const hint = deadline.aborted
        ? `Queue Storage, or the app's sign-in to it, did not answer within ${SEND_TIMEOUT_MS / 1000} s. Try again later.`
        : await this.#hintFor(error);
      throw new HttpError(503, { error: "Could not queue your code, so none was issued.", hint });
    }
  }

  async #hintFor(error: unknown): Promise<string> {
    const { statusCode, code } = error as { statusCode?: number; code?: string };
    const queue = this.#queue.name;
    if (statusCode === 403) {
      // Storage's 403 does not say who was refused, nor which resource. The app
      // knows both: its own object id is its token's oid claim, and the queue's
      // resource id follows from the storage account's (az computes that one).
      const assignee = (await this.#objectId()) ?? "<the app's principal id>";
      const scope = `"$(az storage account show --name ${this.#queue.accountName} --query id --output tsv)/queueServices/default/queues/${queue}"`;
      return `The app's identity may not send messages to the queue (${code}). Grant it "Storage Queue Data Message Sender": az role assignment create --assignee ${assignee} --role "Storage Queue Data Message Sender" --scope ${scope}`;
    }
    if (statusCode === 401) return `Queue Storage rejected the app's token (${code}).`;
    if (statusCode === 404)
      return `The queue ${queue} does not exist: create it with az storage queue create --name ${queue} --account-name ${this.#queue.accountName} --auth-mode login.`;
    return "Queue Storage is unavailable. Try again later.";
  }

  /** The app's own object id, from the `oid` claim of its Storage token (the credential's cached one). */
  async #objectId(): Promise<string | undefined> {
    const deadline = AbortSignal.timeout(2000);
    try {
      const token = await withDeadline(this.#credential.getToken(STORAGE_SCOPE, { abortSignal: deadline }), deadline);
      const payload = token?.token.split(".")[1] ?? "";
      const { oid } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { oid?: unknown };
      return typeof oid === "string" ? oid : undefined;
    } catch {
      return undefined;
    }
  }
}
