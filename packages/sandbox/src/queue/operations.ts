/**
 * Which Queue Storage operation a request is, and which Azure RBAC actions it
 * needs at which scope: Azure's table "Permissions for calling data
 * operations" (Queue service), which applies when a request comes with a
 * Microsoft Entra token instead of an account key.
 *
 * The gateway authorizes the operation this table names, and then runs that
 * same operation: a request can never be authorized as one and run as another.
 */
const SERVICE = "Microsoft.Storage/storageAccounts/queueServices";
const QUEUES = `${SERVICE}/queues`;
const MESSAGES = `${QUEUES}/messages`;

export type OperationName =
  | "List Queues"
  | "Get Queue Service Properties"
  | "Set Queue Service Properties"
  | "Get Queue Service Stats"
  | "Create Queue"
  | "Delete Queue"
  | "Get Queue Metadata"
  | "Set Queue Metadata"
  | "Get Queue ACL"
  | "Set Queue ACL"
  | "Put Message"
  | "Get Messages"
  | "Peek Messages"
  | "Clear Messages"
  | "Delete Message"
  | "Update Message"
  /** A browser's CORS preflight (OPTIONS): answered without credentials, from the account's CORS rules. */
  | "Preflight Request";

export interface QueueOperation {
  readonly name: OperationName;
  /**
   * Azure allows the operation when the caller holds every action of at least
   * one of these sets: Get Messages is "process/action, or delete and read".
   */
  readonly allowedBy: readonly (readonly string[])[];
  /** Where the actions are checked: a queue, the queue service, or the account. */
  readonly target: { readonly queue: string } | "service" | "account";
}

/**
 * Why a request is no operation: a path Queue Storage has no resource at (400 InvalidUri), a comp or restype that does
 * not fit the resource (400 InvalidQueryParameterValue), or a method the resource does not take (405).
 */
export type NoOperation = "path" | "query" | "verb";

const needs = (
  name: OperationName,
  target: QueueOperation["target"],
  ...allowedBy: (readonly string[])[]
): QueueOperation => ({ name, allowedBy, target });

/** The path's parts, percent-decoded: `/<account>[/<queue>[/messages[/<id>]]]`, one trailing slash allowed. */
export function pathParts(path: string): string[] | undefined {
  const parts = path.split("/").slice(1);
  if (parts.length > 1 && parts.at(-1) === "") parts.pop();
  if (parts.some((part) => part === "")) return undefined;
  try {
    return parts.map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** Reads `/<account>/<queue>/messages/<id>?comp=...` the way Queue Storage does (comp and restype as written). */
export function queueOperation(method: string, path: string, query: URLSearchParams): QueueOperation | NoOperation {
  const parts = pathParts(path);
  if (!parts) return "path";
  const [, queue, messages, messageId, ...more] = parts;
  if (more.length > 0 || (messages !== undefined && messages !== "messages")) return "path";
  const verb = method.toUpperCase();
  const comp = query.get("comp") ?? undefined;
  const restype = query.get("restype") ?? undefined;
  /** A setting read with GET (and HEAD, for a queue's: Azure answers it with the headers alone) and written with PUT. */
  const readOrWrite = (read: QueueOperation, write: QueueOperation, headToo = false) =>
    verb === "GET" || (headToo && verb === "HEAD") ? read : verb === "PUT" ? write : "verb";

  if (queue === undefined) {
    const target = verb === "OPTIONS" ? needs("Preflight Request", "account") : undefined;
    if (restype === "service" && comp === "properties")
      return (
        target ??
        // Azure's table names the read action for Set Queue Service Properties too.
        readOrWrite(
          needs("Get Queue Service Properties", "service", [`${SERVICE}/read`]),
          needs("Set Queue Service Properties", "service", [`${SERVICE}/read`]),
        )
      );
    if (restype === "service" && comp === "stats")
      return target ?? (verb === "GET" ? needs("Get Queue Service Stats", "service", [`${SERVICE}/read`]) : "verb");
    // Listing needs the queues' read action at the account (or above).
    if (restype === undefined && comp === "list")
      return target ?? (verb === "GET" ? needs("List Queues", "account", [`${QUEUES}/read`]) : "verb");
    return "query";
  }

  const target = { queue };
  if (verb === "OPTIONS") return restype === undefined ? needs("Preflight Request", target) : "query";
  if (messages === undefined) {
    if (restype !== undefined) return "query";
    if (comp === undefined)
      return verb === "PUT"
        ? needs("Create Queue", target, [`${QUEUES}/write`])
        : verb === "DELETE"
          ? needs("Delete Queue", target, [`${QUEUES}/delete`])
          : verb === "GET" || verb === "HEAD"
            ? "query"
            : "verb";
    if (comp === "metadata")
      return readOrWrite(
        needs("Get Queue Metadata", target, [`${QUEUES}/read`]),
        needs("Set Queue Metadata", target, [`${QUEUES}/write`]),
        true,
      );
    if (comp === "acl")
      return readOrWrite(
        needs("Get Queue ACL", target, [`${QUEUES}/getAcl/action`]),
        needs("Set Queue ACL", target, [`${QUEUES}/setAcl/action`]),
        true,
      );
    return "query";
  }

  if (comp !== undefined || restype !== undefined) return "query";
  if (messageId !== undefined) {
    if (verb === "PUT") return needs("Update Message", target, [`${MESSAGES}/write`]);
    if (verb === "DELETE")
      return needs("Delete Message", target, [`${MESSAGES}/process/action`], [`${MESSAGES}/delete`]);
    return "verb";
  }
  if (verb === "POST") return needs("Put Message", target, [`${MESSAGES}/add/action`], [`${MESSAGES}/write`]);
  if (verb === "DELETE") return needs("Clear Messages", target, [`${MESSAGES}/delete`]);
  if (verb !== "GET") return "verb";
  const peekonly = query.get("peekonly")?.toLowerCase();
  if (peekonly === "true") return needs("Peek Messages", target, [`${MESSAGES}/read`]);
  if (peekonly === undefined || peekonly === "" || peekonly === "false")
    return needs("Get Messages", target, [`${MESSAGES}/process/action`], [`${MESSAGES}/delete`, `${MESSAGES}/read`]);
  return "query";
}
