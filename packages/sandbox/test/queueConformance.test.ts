/**
 * The sandbox's Queue Storage against Azurite, Microsoft's emulator: the same
 * sequence of @azure/storage-queue calls against each (queues, metadata,
 * messages with their time to live and visibility, receive, update, delete,
 * peek, clear, listing with a prefix and pages, access policies, service
 * properties and statistics, and the errors on the way), compared step by
 * step: statuses, error codes, the answers as the SDK reads them and the
 * elements of their XML bodies, with ids, pop receipts and times left out.
 *
 * Where Azurite is not Azure, the sandbox follows Azure's REST reference; the
 * last block pins those answers down.
 */
import type { AccessToken, TokenCredential } from "@azure/identity";
import { QueueServiceClient, RestError, StorageSharedKeyCredential } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORAGE_RESOURCE } from "../src/index.ts";
import { startQueueService, type QueueService } from "../src/queue/index.ts";
import { parseXml, type XmlElement } from "../src/queue/xml.ts";
import { StateStore } from "../src/state/store.ts";
import { startAzurite, type RunningAzurite } from "./azurite.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

const ACCOUNT = "devstoreaccount1";
let test: TestSandbox;
let azurite: RunningAzurite;
let queues: QueueService;
let state: StateStore;

beforeAll(async () => {
  [test, azurite] = await Promise.all([startTestSandbox({ queue: false }), startAzurite(ACCOUNT)]);
  state = StateStore.open(":memory:");
  // The sandbox's Queue Storage with a caller allowed everything (an owner): RBAC is another test's subject.
  queues = await startQueueService({
    certificates: test.sandbox.certificates,
    tokens: test.sandbox.tokens.validator(),
    rbac: { isAllowed: () => true, decide: () => ({ allowed: true }) },
    accountScope: test.sandbox.scopes.storageAccount,
    account: ACCOUNT,
    queues: [],
    authority: () => test.sandbox.endpoints.authorityHost,
    state,
  });
});
afterAll(async () => {
  await queues?.stop();
  state?.close();
  await Promise.all([azurite?.stop(), test?.stop()]);
});

const owner: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return {
      token: await test.sandbox.tokens.issue({
        audience: STORAGE_RESOURCE,
        objectId: test.sandbox.directory.users[0]?.objectId ?? "",
      }),
      expiresOnTimestamp: Date.now() + 3_600_000,
    };
  },
};

/** The same client, to Azurite with its account key or to the sandbox with a token; `secondary`: the account's secondary endpoint. */
function clientFor(target: "azurite" | "sandbox", secondary = false): QueueServiceClient {
  const url = target === "azurite" ? azurite.accountUrl : queues.accountUrl;
  const at = secondary ? url.replace(/\/devstoreaccount1$/, "/devstoreaccount1-secondary") : url;
  const credential = target === "azurite" ? new StorageSharedKeyCredential(ACCOUNT, azurite.key) : owner;
  return new QueueServiceClient(at, credential, { retryOptions: { maxTries: 1 } });
}

/** What one call came to, without what differs by nature (ids, receipts, times, request ids, the endpoint's address). */
interface Outcome {
  readonly step: string;
  readonly status?: number;
  readonly code?: string;
  readonly result?: unknown;
  /** The XML body's elements, by name, without their text. */
  readonly shape?: unknown;
}

const VARYING = new Set(["requestId", "version", "date", "clientRequestId", "serviceEndpoint", "marker"]);
const OPAQUE = new Set(["messageId", "popReceipt", "continuationToken"]);

/** Keeps what must be the same: keys and values, with dates, ids and receipts reduced to whether they are there. */
function normalize(value: unknown, key = ""): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "<invalid date>" : "<date>";
  if (OPAQUE.has(key)) return value ? `<${key}>` : value;
  if (Array.isArray(value)) return value.map((item) => normalize(item));
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([name, item]) => name !== "_response" && !VARYING.has(name) && item !== undefined)
        .map(([name, item]) => [name, normalize(item, name)]),
    );
  return value;
}

/**
 * Element names, nested, without text or attributes. Azure echoes a listing's Marker when one was sent, and Azurite
 * leaves it out: it is not compared.
 */
const shapeOf = (element: XmlElement): unknown => ({
  [element.name]: element.children.filter((child) => child.name !== "Marker").map(shapeOf),
});

async function outcome(step: string, call: () => Promise<unknown>): Promise<Outcome> {
  try {
    const result = (await call()) as { _response?: { status: number; bodyAsText?: string } } | undefined;
    const body = result?._response?.bodyAsText;
    const root = body ? parseXml(Buffer.from(body)) : undefined;
    return {
      step,
      ...(result?._response ? { status: result._response.status } : {}),
      result: normalize(result),
      ...(root ? { shape: shapeOf(root) } : {}),
    };
  } catch (error) {
    if (!(error instanceof RestError)) throw error;
    return { step, ...(error.statusCode !== undefined ? { status: error.statusCode } : {}), code: String(error.code) };
  }
}

/** The scenario, run against one target: every call's outcome, in order. */
async function scenario(target: "azurite" | "sandbox"): Promise<Outcome[]> {
  const service = clientFor(target);
  const alpha = service.getQueueClient("diff-alpha");
  const outcomes: Outcome[] = [];
  const run = async (step: string, call: () => Promise<unknown>) => {
    const result = await outcome(step, call);
    outcomes.push(result);
    return result;
  };
  /** A message's receipt from the last receive, to update and delete it with. */
  let received: { messageId: string; popReceipt: string } = { messageId: "", popReceipt: "" };

  await run("create", () => alpha.create({ metadata: { Owner: "ada" } }));
  await run("create again, same metadata", () => alpha.create({ metadata: { owner: "ada" } }));
  await run("create again, other metadata", () => alpha.create({ metadata: { owner: "bob" } }));
  await run("create beta", () => service.getQueueClient("diff-beta").create());
  await run("create gamma", () => service.getQueueClient("other-gamma").create({ metadata: { a: "1", b: "2" } }));
  await run("a name too short", () => service.getQueueClient("ab").create());
  await run("a name with capitals", () => service.getQueueClient("Diff-Upper").create());
  await run("a name with two hyphens in a row", () => service.getQueueClient("diff--double").create());
  await run("get metadata", () => alpha.getProperties());
  await run("set metadata", () => alpha.setMetadata({ Team: "queues", stage: "2" }));
  await run("get metadata again", () => alpha.getProperties());

  await run("send", () => alpha.sendMessage("first"));
  await run("send with a time to live", () => alpha.sendMessage("second <&> ünïcode", { messageTimeToLive: 3600 }));
  await run("send that never expires", () => alpha.sendMessage("third", { messageTimeToLive: -1 }));
  await run("send hidden for a minute", () => alpha.sendMessage("hidden", { visibilityTimeout: 60 }));
  await run("send empty", () => alpha.sendMessage(""));
  await run("send 64 KB", () => alpha.sendMessage("x".repeat(64 * 1024)));
  await run("send 64 KB and a byte", () => alpha.sendMessage("x".repeat(64 * 1024 + 1)));
  await run("send hidden longer than it lives", () =>
    alpha.sendMessage("nope", { visibilityTimeout: 100, messageTimeToLive: 100 }),
  );
  await run("send with a time to live of 0", () => alpha.sendMessage("nope", { messageTimeToLive: 0 }));
  await run("send hidden past 7 days", () => alpha.sendMessage("nope", { visibilityTimeout: 604_801 }));
  await run("count", () => alpha.getProperties());

  await run("peek one", () => alpha.peekMessages());
  await run("peek 32", () => alpha.peekMessages({ numberOfMessages: 32 }));
  await run("peek 33", () => alpha.peekMessages({ numberOfMessages: 33 }));
  const got = await run("receive 2", () => alpha.receiveMessages({ numberOfMessages: 2, visibilityTimeout: 30 }));
  await run("receive 0 seconds", () => alpha.receiveMessages({ visibilityTimeout: 0 }));
  await run("peek after receiving", () => alpha.peekMessages({ numberOfMessages: 32 }));

  const first = await alpha.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 30 });
  received = first.receivedMessageItems[0] ?? received;
  expect(got.status).toBe(200);
  const staleReceipt = received.popReceipt;
  const update = await run("update text and show it now", async () => {
    const result = await alpha.updateMessage(received.messageId, received.popReceipt, "first, updated", 0);
    received = { messageId: received.messageId, popReceipt: result.popReceipt ?? "" };
    return result;
  });
  expect(update.status).toBe(204);
  await run("update visibility only", async () => {
    const result = await alpha.updateMessage(received.messageId, received.popReceipt, undefined, 0);
    received = { messageId: received.messageId, popReceipt: result.popReceipt ?? "" };
    return result;
  });
  await run("update with a stale pop receipt", () => alpha.updateMessage(received.messageId, staleReceipt, "x", 0));
  await run("update past 7 days", () =>
    alpha.updateMessage(received.messageId, received.popReceipt, undefined, 604_801),
  );
  await run("peek the updated message", () => alpha.peekMessages({ numberOfMessages: 32 }));
  await run("delete with a stale pop receipt", () => alpha.deleteMessage(received.messageId, staleReceipt));
  await run("delete", () => alpha.deleteMessage(received.messageId, received.popReceipt));
  await run("delete again", () => alpha.deleteMessage(received.messageId, received.popReceipt));
  await run("delete an unknown message", () =>
    alpha.deleteMessage("00000000-0000-0000-0000-000000000000", received.popReceipt),
  );
  await run("count after delete", () => alpha.getProperties());

  await run("set an access policy", () =>
    alpha.setAccessPolicy([
      {
        id: "readers",
        accessPolicy: {
          startsOn: new Date("2030-01-01T00:00:00Z"),
          expiresOn: new Date("2030-02-01T00:00:00Z"),
          permissions: "rp",
        },
      },
      { id: "bare", accessPolicy: { permissions: "a" } },
    ]),
  );
  await run("get the access policies", () => alpha.getAccessPolicy());
  await run("six access policies", () =>
    alpha.setAccessPolicy(
      Array.from({ length: 6 }, (_, index) => ({ id: `p${index}`, accessPolicy: { permissions: "r" } })),
    ),
  );
  await run("clear the access policies", () => alpha.setAccessPolicy([]));
  await run("get no access policy", () => alpha.getAccessPolicy());

  const pages: string[][] = [];
  await run("list the diff- queues, a page at a time", async () => {
    const seen: unknown[] = [];
    for await (const page of service
      .listQueues({ prefix: "diff-", includeMetadata: true })
      .byPage({ maxPageSize: 1 })) {
      seen.push(normalize(page));
      pages.push((page.queueItems ?? []).map((item) => item.name));
    }
    return seen;
  });
  await run("list everything, with metadata", async () => {
    const items: unknown[] = [];
    for await (const item of service.listQueues({ includeMetadata: true })) items.push(item);
    return items;
  });
  await run("list a page of two", () => service.listQueues({ prefix: "d" }).byPage({ maxPageSize: 2 }).next());

  await run("set CORS", () =>
    service.setProperties({
      cors: [
        {
          allowedOrigins: "https://app.example",
          allowedMethods: "GET,PUT",
          allowedHeaders: "x-ms-meta-*",
          exposedHeaders: "x-ms-request-id",
          maxAgeInSeconds: 60,
        },
      ],
    }),
  );
  await run("get the service properties", () => service.getProperties());
  await run("set logging only", () =>
    service.setProperties({
      queueAnalyticsLogging: {
        version: "1.0",
        deleteProperty: false,
        read: true,
        write: false,
        retentionPolicy: { enabled: false },
      },
    }),
  );
  await run("get the service properties again", () => service.getProperties());
  await run("statistics on the primary endpoint", () => service.getStatistics());
  await run("statistics on the secondary endpoint", () => clientFor(target, true).getStatistics());

  await run("clear", () => alpha.clearMessages());
  await run("count after clear", () => alpha.getProperties());
  await run("receive from an empty queue", () => alpha.receiveMessages());
  await run("delete the queue", () => alpha.delete());
  await run("delete it again", () => alpha.delete());
  await run("metadata of a deleted queue", () => alpha.getProperties());
  await run("send to a deleted queue", () => alpha.sendMessage("nope"));
  await run("receive from a deleted queue", () => alpha.receiveMessages());
  await run("clear a deleted queue", () => alpha.clearMessages());
  expect(pages.flat()).toEqual(["diff-alpha", "diff-beta"]);
  return outcomes;
}

describe("the sandbox's Queue Storage answers the SDK as Azurite does", () => {
  it("the same calls, step by step: statuses, error codes, answers and the elements of their bodies", async () => {
    const expected = await scenario("azurite");
    const actual = await scenario("sandbox");
    expect(actual.map((step) => step.step)).toEqual(expected.map((step) => step.step));
    for (const [index, step] of actual.entries()) expect(step, step.step).toEqual(expected[index]);
  });
});

describe("where Azurite is not Azure, the sandbox answers as Azure's REST reference says", () => {
  /** A raw request to the sandbox's Queue Storage, as the owner. */
  const send = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    const response = await fetch(`${queues.accountUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${(await owner.getToken(STORAGE_RESOURCE))?.token}`,
        "x-ms-version": "2025-11-05",
        ...headers,
      },
      ...(body !== undefined ? { body } : {}),
    });
    return {
      status: response.status,
      code: response.headers.get("x-ms-error-code"),
      headers: response.headers,
      body: await response.text(),
    };
  };
  beforeAll(async () => {
    await send("PUT", "/azure-only");
  });

  it("a listing shows Prefix and MaxResults only when the request gave them (Azurite always shows them)", async () => {
    const bare = await send("GET", "?comp=list");
    expect(bare.status).toBe(200);
    expect(bare.body).not.toMatch(/<Prefix|<MaxResults|<Marker/);
    expect(bare.body).toContain("<Name>azure-only</Name>");
    const given = await send("GET", "?comp=list&prefix=azure&maxresults=7");
    expect(given.body).toMatch(/<Prefix>azure<\/Prefix><MaxResults>7<\/MaxResults>/);
  });

  it.each([
    ["GET", "/azure-only/messages?numofmessages=abc", 400, "InvalidQueryParameterValue"],
    ["GET", "/azure-only/messages?visibilitytimeout=1.5", 400, "InvalidQueryParameterValue"],
    ["GET", "?comp=list&maxresults=0", 400, "OutOfRangeQueryParameterValue"],
    ["DELETE", "/azure-only/messages/00000000-0000-0000-0000-000000000000", 400, "MissingRequiredQueryParameter"],
    [
      "PUT",
      "/azure-only/messages/00000000-0000-0000-0000-000000000000?popreceipt=AAAA",
      400,
      "MissingRequiredQueryParameter",
    ],
    ["GET", "/azure-only", 400, "InvalidQueryParameterValue"],
    ["POST", "/azure-only", 405, "UnsupportedHttpVerb"],
    ["HEAD", "/azure-only/messages", 405, "UnsupportedHttpVerb"],
    ["GET", "/azure-only/messages?peekonly=maybe", 400, "InvalidQueryParameterValue"],
  ])("%s %s: %i %s (Azurite: a 400 without an error code)", async (method, path, status, code) => {
    const answer = await send(method, path);
    expect(answer.status).toBe(status);
    if (method !== "HEAD") expect(answer.code).toBe(code);
  });

  it("DELETE ?comp=metadata is no operation: 405, and the queue stays (Azurite deletes the queue)", async () => {
    expect((await send("DELETE", "/azure-only?comp=metadata")).status).toBe(405);
    expect((await send("GET", "/azure-only?comp=metadata")).status).toBe(200);
  });

  it("HEAD ?comp=metadata: the metadata and the count in headers, no body", async () => {
    await send("PUT", "/azure-only?comp=metadata", { "x-ms-meta-Colour": "blue" });
    const answer = await send("HEAD", "/azure-only?comp=metadata");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-ms-meta-colour")).toBe("blue");
    expect(answer.headers.get("x-ms-approximate-messages-count")).toBe("0");
    expect(answer.body).toBe("");
  });

  it.each([
    ["not XML", "hello"],
    ["two roots", "<QueueMessage><MessageText>a</MessageText></QueueMessage><QueueMessage/>"],
    ["a DOCTYPE", "<!DOCTYPE QueueMessage><QueueMessage><MessageText>a</MessageText></QueueMessage>"],
    ["an entity XML does not define", "<QueueMessage><MessageText>&nbsp;</MessageText></QueueMessage>"],
    ["a character XML does not allow", "<QueueMessage><MessageText>&#1;</MessageText></QueueMessage>"],
    ["markup inside the text", "<QueueMessage><MessageText>a<b/>c</MessageText></QueueMessage>"],
    ["no MessageText", "<QueueMessage></QueueMessage>"],
  ])("a message body with %s: 400 InvalidXmlDocument, nothing stored", async (_what, body) => {
    const answer = await send("POST", "/azure-only/messages", { "content-type": "application/xml" }, body);
    expect(answer.status).toBe(400);
    expect(answer.code).toBe("InvalidXmlDocument");
    expect(queues.snapshot().queues.find((queue) => queue.name === "azure-only")?.messages).toEqual([]);
  });

  it("metadata over 8 KB: 400 MetadataTooLarge; an x-ms-version that is no date: 400 InvalidHeaderValue", async () => {
    const large = await send("PUT", "/azure-only?comp=metadata", { "x-ms-meta-big": "x".repeat(9000) });
    expect([large.status, large.code]).toEqual([400, "MetadataTooLarge"]);
    const version = await send("GET", "?comp=list", { "x-ms-version": "garbage" });
    expect([version.status, version.code]).toEqual([400, "InvalidHeaderValue"]);
  });
});
