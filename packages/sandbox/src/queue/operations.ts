/**
 * Which Azure RBAC actions each Queue Storage operation needs, and at which
 * scope: Azure's table "Permissions for calling data operations" (Queue
 * service), which applies when a request comes with a Microsoft Entra token
 * instead of an account key.
 */
const SERVICE = "Microsoft.Storage/storageAccounts/queueServices";
const QUEUES = `${SERVICE}/queues`;
const MESSAGES = `${QUEUES}/messages`;

export interface QueueOperation {
  readonly name: string;
  /**
   * Azure allows the operation when the caller holds every action of at least
   * one of these sets: Get Messages is "process/action, or delete and read".
   */
  readonly allowedBy: readonly (readonly string[])[];
  /** Where the actions are checked: a queue, the queue service, or the account. */
  readonly target: { readonly queue: string } | "service" | "account";
}

const needs = (
  name: string,
  target: QueueOperation["target"],
  ...allowedBy: (readonly string[])[]
): QueueOperation => ({ name, allowedBy, target });

/** Reads `/<account>/<queue>/messages/<id>?comp=...` the way Queue Storage does. */
export function queueOperation(method: string, path: string, query: URLSearchParams): QueueOperation {
  const [, queue, messages, messageId] = path.split("/").filter(Boolean);
  const verb = method.toUpperCase();
  const writes = verb === "PUT";
  const comp = query.get("comp")?.toLowerCase();
  if (!queue) {
    // Listing needs the queues' read action at the account (or above); the service's own settings need the service's.
    if (comp === "list") return needs("List Queues", "account", [`${QUEUES}/read`]);
    if (comp === "stats") return needs("Get Queue Service Stats", "service", [`${SERVICE}/read`]);
    // Azure's table names the read action for Set Queue Service Properties too.
    return needs(writes ? "Set Queue Service Properties" : "Get Queue Service Properties", "service", [
      `${SERVICE}/read`,
    ]);
  }
  const target = { queue };
  if (messages === "messages") {
    if (messageId) {
      if (writes) return needs("Update Message", target, [`${MESSAGES}/write`]);
      return needs("Delete Message", target, [`${MESSAGES}/process/action`], [`${MESSAGES}/delete`]);
    }
    if (verb === "POST") return needs("Put Message", target, [`${MESSAGES}/add/action`], [`${MESSAGES}/write`]);
    if (verb === "DELETE") return needs("Clear Messages", target, [`${MESSAGES}/delete`]);
    if (query.get("peekonly")?.toLowerCase() === "true") return needs("Peek Messages", target, [`${MESSAGES}/read`]);
    return needs("Get Messages", target, [`${MESSAGES}/process/action`], [`${MESSAGES}/delete`, `${MESSAGES}/read`]);
  }
  if (comp === "acl")
    return writes
      ? needs("Set Queue ACL", target, [`${QUEUES}/setAcl/action`])
      : needs("Get Queue ACL", target, [`${QUEUES}/getAcl/action`]);
  if (comp === "metadata")
    return writes
      ? needs("Set Queue Metadata", target, [`${QUEUES}/write`])
      : needs("Get Queue Metadata", target, [`${QUEUES}/read`]);
  if (writes) return needs("Create Queue", target, [`${QUEUES}/write`]);
  if (verb === "DELETE") return needs("Delete Queue", target, [`${QUEUES}/delete`]);
  return needs("Get Queue Metadata", target, [`${QUEUES}/read`]);
}
