/**
 * Queue Storage's data plane: each operation of its REST API, from a request
 * that the gateway has authenticated and authorized to Azure's answer. Every
 * check comes before the change (a refused request changes nothing), and each
 * operation runs whole in a transaction of the state store (groupCommit.ts),
 * committed before its answer.
 */
import type { IncomingMessage } from "node:http";
import type { ErrorAnswer } from "../http/host.ts";
import * as bodies from "./bodies.ts";
import * as errors from "./errors.ts";
import { LIMITS, type Message } from "./model.ts";
import type { OperationName } from "./operations.ts";
import type { GroupCommit } from "./groupCommit.ts";
import { integerParameter, metadataOf, optionalParameter, Refusal, requiredParameter } from "./parameters.ts";
import type { QueueStore } from "./store.ts";
import { rfc1123 } from "./xml.ts";

/** An operation's request, as the gateway hands it over: the body already read whole. */
export interface OperationRequest {
  readonly req: IncomingMessage;
  readonly query: URLSearchParams;
  /** The queue named in the path ("" at the account's level). */
  readonly queue: string;
  readonly messageId: string;
  readonly body: Buffer;
  /** Sent to the account's secondary endpoint (`<account>-secondary`), where Azure serves the service's statistics. */
  readonly secondary: boolean;
}

/** A success, as Azure answers it: the status, the operation's own headers, and an XML body if it has one. */
export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * Runs an operation: its answer once its change is committed, a `Refusal` (nothing changed), or undefined when
 * `stillWanted` said no as its turn came (the caller gone, Queue Storage taken down): then nothing ran.
 */
export type RunOperation = (
  name: Exclude<OperationName, "Preflight Request">,
  request: OperationRequest,
  stillWanted: () => boolean,
) => Promise<Answer | undefined>;

export interface DataPlaneOptions {
  readonly store: QueueStore;
  /** Where the operations' transactions are committed, several to a sync. */
  readonly commits: GroupCommit;
  readonly account: string;
  /** `https://127.0.0.1:<port>/<account>/`, what List Queues names as its ServiceEndpoint. */
  readonly serviceEndpoint: () => string;
  readonly clock?: () => number;
}

const refuse = (answer: ErrorAnswer): never => {
  throw new Refusal(answer);
};

/** Put Message and Update Message take a visibility timeout from 0 (visible at once) to 7 days. */
const VISIBILITY = { min: 0, max: LIMITS.maxVisibilitySeconds } as const;

/** A message's text as Azure measures it: UTF-8 bytes, at most 64 KB. */
function checkSize(req: IncomingMessage, text: string | undefined): void {
  if (text !== undefined && Buffer.byteLength(text) > LIMITS.messageBytes)
    refuse(errors.requestBodyTooLarge(req, LIMITS.messageBytes));
}

export function createDataPlane(options: DataPlaneOptions): RunOperation {
  const { store } = options;
  const clock = options.clock ?? Date.now;
  /** What a continuation marker names: `/<account>/<queue>` as Azure writes it, or any text as a name to start at. */
  const markerName = (marker: string | undefined) =>
    marker?.startsWith(`/${options.account}/`) ? marker.slice(options.account.length + 2) : (marker ?? "");
  const found = <T>(result: T | "no queue", req: IncomingMessage): T =>
    result === "no queue" ? refuse(errors.queueNotFound(req)) : result;
  const xml = (status: number, body: string): Answer => ({ status, body });

  const operations: Record<Exclude<OperationName, "Preflight Request">, (request: OperationRequest) => Answer> = {
    "List Queues": ({ req, query }) => {
      // Echoed when sent, even empty (`?prefix=`), as Azure echoes it.
      const prefix = query.get("prefix") ?? undefined;
      const marker = optionalParameter(query, "marker");
      const maxResults = integerParameter(req, query, "maxresults", { min: 1, max: 2 ** 31 - 1 });
      const include = (optionalParameter(query, "include") ?? "").split(",").map((item) => item.trim().toLowerCase());
      const page = store.listQueues({
        prefix: prefix ?? "",
        from: markerName(marker),
        // Azure returns at most 5,000 a page whatever the caller asks for.
        limit: Math.min(maxResults ?? LIMITS.maxListResults, LIMITS.maxListResults),
      });
      return xml(
        200,
        bodies.queuesList({
          serviceEndpoint: options.serviceEndpoint(),
          prefix,
          marker,
          maxResults: maxResults === undefined ? undefined : String(maxResults),
          queues: page.queues,
          includeMetadata: include.includes("metadata"),
          nextMarker: page.next === undefined ? undefined : `/${options.account}/${page.next}`,
        }),
      );
    },

    "Get Queue Service Properties": () => xml(200, bodies.servicePropertiesDocument(store.serviceProperties())),

    "Set Queue Service Properties": ({ req, body }) => {
      const changes = bodies.readServiceProperties(body) ?? refuse(errors.invalidXmlDocument(req));
      store.setServiceProperties(changes);
      return { status: 202 };
    },

    "Get Queue Service Stats": ({ req, secondary }) =>
      secondary ? xml(200, bodies.serviceStatsDocument(clock())) : refuse(errors.statsOnPrimary(req)),

    "Create Queue": ({ req, queue }) => {
      const created = store.createQueue(queue, metadataOf(req));
      if (created === "conflict") refuse(errors.queueAlreadyExists(req));
      return { status: created === "created" ? 201 : 204 };
    },

    "Delete Queue": ({ req, queue }) =>
      store.deleteQueue(queue) ? { status: 204 } : refuse(errors.queueNotFound(req)),

    "Get Queue Metadata": ({ req, queue }) => {
      const found = store.queue(queue) ?? refuse(errors.queueNotFound(req));
      return {
        status: 200,
        headers: {
          "x-ms-approximate-messages-count": String(found.messageCount),
          ...Object.fromEntries(found.metadata.map(([name, value]) => [`x-ms-meta-${name}`, value])),
        },
      };
    },

    "Set Queue Metadata": ({ req, queue }) =>
      store.setMetadata(queue, metadataOf(req)) ? { status: 204 } : refuse(errors.queueNotFound(req)),

    "Get Queue ACL": ({ req, queue }) => {
      const found = store.queue(queue) ?? refuse(errors.queueNotFound(req));
      return xml(200, bodies.signedIdentifiersList(found.acl));
    },

    "Set Queue ACL": ({ req, queue, body }) => {
      const acl = bodies.readSignedIdentifiers(body) ?? refuse(errors.invalidXmlDocument(req));
      return store.setAcl(queue, acl) ? { status: 204 } : refuse(errors.queueNotFound(req));
    },

    "Put Message": ({ req, query, queue, body }) => {
      const text = bodies.readMessage(body)?.text ?? refuse(errors.invalidXmlDocument(req));
      checkSize(req, text);
      const visibilityTimeout = integerParameter(req, query, "visibilitytimeout", VISIBILITY) ?? 0;
      const ttl = integerParameter(req, query, "messagettl", { min: -1, max: 2 ** 31 - 1 });
      if (ttl === 0)
        refuse(
          errors.invalidQueryParameterValue(req, {
            name: "messagettl",
            value: "0",
            reason: "Value must be greater than or equal to 1, or -1 to indicate an infinite TTL.",
          }),
        );
      if (ttl !== undefined && ttl !== -1 && visibilityTimeout >= ttl)
        refuse(
          errors.invalidQueryParameterValue(req, {
            name: "visibilitytimeout",
            value: String(visibilityTimeout),
            reason: "messagettl must be greater than visibilitytimeout.",
          }),
        );
      const message = found(
        store.putMessage(queue, {
          text,
          visibilityTimeoutSeconds: visibilityTimeout,
          ttlSeconds: ttl ?? LIMITS.defaultTtlSeconds,
        }),
        req,
      );
      return xml(201, bodies.messagesList([message], "put"));
    },

    "Get Messages": ({ req, query, queue }) => {
      const visibilityTimeout =
        integerParameter(req, query, "visibilitytimeout", { min: 1, max: LIMITS.maxVisibilitySeconds }) ??
        LIMITS.defaultVisibilitySeconds;
      const count = integerParameter(req, query, "numofmessages", { min: 1, max: LIMITS.maxMessagesPerCall }) ?? 1;
      const messages = found(store.getMessages(queue, { count, visibilityTimeoutSeconds: visibilityTimeout }), req);
      return xml(200, bodies.messagesList(messages, "get"));
    },

    "Peek Messages": ({ req, query, queue }) => {
      const count = integerParameter(req, query, "numofmessages", { min: 1, max: LIMITS.maxMessagesPerCall }) ?? 1;
      return xml(200, bodies.messagesList(found(store.peekMessages(queue, count), req), "peek"));
    },

    "Clear Messages": ({ req, queue }) =>
      store.clearMessages(queue) ? { status: 204 } : refuse(errors.queueNotFound(req)),

    "Delete Message": ({ req, query, queue, messageId }) => {
      const popReceipt = requiredParameter(req, query, "popreceipt");
      messageChanged(req, store.deleteMessage(queue, messageId, popReceipt));
      return { status: 204 };
    },

    "Update Message": ({ req, query, queue, messageId, body }) => {
      const popReceipt = requiredParameter(req, query, "popreceipt");
      const text =
        body.length === 0 ? undefined : (bodies.readMessage(body) ?? refuse(errors.invalidXmlDocument(req))).text;
      checkSize(req, text);
      const visibilityTimeout = integerParameter(req, query, "visibilitytimeout", { ...VISIBILITY, required: true });
      const updated = messageChanged(
        req,
        store.updateMessage(queue, messageId, popReceipt, { visibilityTimeoutSeconds: visibilityTimeout ?? 0, text }),
      );
      return {
        status: 204,
        headers: { "x-ms-popreceipt": updated.popReceipt, "x-ms-time-next-visible": rfc1123(updated.visibleOn) },
      };
    },
  };

  return (name, request, stillWanted) =>
    options.commits.run(() => (stillWanted() ? operations[name](request) : undefined));
}

/** What Delete Message and Update Message found: the message, or Azure's reason why not. */
function messageChanged<T extends Message | "deleted">(
  req: IncomingMessage,
  result: T | "no queue" | "no message" | "pop receipt mismatch",
): T {
  if (result === "no queue") return refuse(errors.queueNotFound(req));
  if (result === "no message") return refuse(errors.messageNotFound(req));
  if (result === "pop receipt mismatch") return refuse(errors.popReceiptMismatch(req));
  return result;
}
