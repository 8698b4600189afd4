/**
 * Azure's table of the RBAC actions each Queue Storage operation needs
 * ("Permissions for calling data operations"), row by row, as the requests
 * the SDK sends.
 */
import { describe, expect, it } from "vitest";
import { queueOperation } from "../src/queue/operations.ts";

const M = "Microsoft.Storage/storageAccounts/queueServices/queues/messages";
const Q = "Microsoft.Storage/storageAccounts/queueServices/queues";
const S = "Microsoft.Storage/storageAccounts/queueServices";
const queue = { queue: "code-requests" };

const rows: [method: string, url: string, name: string, allowedBy: string[][], target: unknown][] = [
  ["GET", "/acct?comp=list", "List Queues", [[`${Q}/read`]], "account"],
  ["GET", "/acct/?restype=service&comp=properties", "Get Queue Service Properties", [[`${S}/read`]], "service"],
  ["PUT", "/acct/?restype=service&comp=properties", "Set Queue Service Properties", [[`${S}/read`]], "service"],
  ["GET", "/acct/?restype=service&comp=stats", "Get Queue Service Stats", [[`${S}/read`]], "service"],
  ["PUT", "/acct/code-requests", "Create Queue", [[`${Q}/write`]], queue],
  ["DELETE", "/acct/code-requests", "Delete Queue", [[`${Q}/delete`]], queue],
  ["GET", "/acct/code-requests?comp=metadata", "Get Queue Metadata", [[`${Q}/read`]], queue],
  ["HEAD", "/acct/code-requests?comp=metadata", "Get Queue Metadata", [[`${Q}/read`]], queue],
  ["PUT", "/acct/code-requests?comp=metadata", "Set Queue Metadata", [[`${Q}/write`]], queue],
  ["GET", "/acct/code-requests?comp=acl", "Get Queue ACL", [[`${Q}/getAcl/action`]], queue],
  ["PUT", "/acct/code-requests?comp=acl", "Set Queue ACL", [[`${Q}/setAcl/action`]], queue],
  ["POST", "/acct/code-requests/messages", "Put Message", [[`${M}/add/action`], [`${M}/write`]], queue],
  [
    "GET",
    "/acct/code-requests/messages?numofmessages=32",
    "Get Messages",
    [[`${M}/process/action`], [`${M}/delete`, `${M}/read`]],
    queue,
  ],
  ["GET", "/acct/code-requests/messages?peekonly=true", "Peek Messages", [[`${M}/read`]], queue],
  ["GET", "/acct/code-requests/messages?peekonly=TRUE", "Peek Messages", [[`${M}/read`]], queue],
  [
    "DELETE",
    "/acct/code-requests/messages/id-1?popreceipt=r",
    "Delete Message",
    [[`${M}/process/action`], [`${M}/delete`]],
    queue,
  ],
  ["DELETE", "/acct/code-requests/messages", "Clear Messages", [[`${M}/delete`]], queue],
  [
    "PUT",
    "/acct/code-requests/messages/id-1?popreceipt=r&visibilitytimeout=0",
    "Update Message",
    [[`${M}/write`]],
    queue,
  ],
];

describe("the RBAC actions of Queue Storage operations (Azure's table)", () => {
  it.each(rows)("%s %s is %s", (method, url, name, allowedBy, target) => {
    const parsed = new URL(url, "https://127.0.0.1");
    expect(queueOperation(method, parsed.pathname, parsed.searchParams)).toEqual({ name, allowedBy, target });
  });
});
