/**
 * The defects the properties found in the sandbox and the third party, one
 * example each, so that each stays fixed whatever the generators happen to
 * produce on a given run.
 */
import { connect } from "node:tls";
import { zipSync } from "fflate";
import { setTimeout as sleep } from "node:timers/promises";
import {
  MANAGEMENT_RESOURCE,
  STORAGE_RESOURCE,
  THIRD_PARTY_APP,
  THIRD_PARTY_FUNCTION,
  VAULT_RESOURCE,
} from "@keyless/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azureErrorShape, emptyBodyShape, entraShape, storageShape } from "../src/checks.ts";
import { send, type Answer, type Endpoint, type RawRequest } from "../src/raw.ts";
import { startWorld, type World } from "../src/world.ts";

let world: World;
let vault: Endpoint;
let queue: Endpoint;
let entra: Endpoint;
let admin: Endpoint;
let thirdParty: Endpoint;
let vaultToken: string;
let queueToken: string;
/** A queue's writer and nothing more: Storage Queue Data Contributor on the one queue. */
let writerToken: string;

const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  world = await startWorld();
  const { sandbox } = world;
  vault = { port: portOf(sandbox.endpoints.keyVaultUrl), tls: { servername: "keyless-kv.vault.localhost" } };
  queue = { port: portOf(sandbox.endpoints.queueUrl ?? ""), tls: { servername: "localhost" } };
  entra = { port: portOf(sandbox.endpoints.authorityHost), tls: { servername: "localhost" } };
  admin = { port: portOf(sandbox.endpoints.admin.url), tls: { servername: "localhost" } };
  thirdParty = {
    port: portOf(sandbox.endpoints.thirdPartyApi),
    tls: { servername: new URL(sandbox.endpoints.thirdPartyApi).hostname },
  };
  const learner = sandbox.directory.users[0]?.objectId ?? "";
  vaultToken = await sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId: learner });
  queueToken = await sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId: learner });
  // The learner is Owner, which may set the account's service properties (queueServices/write), as on Azure.
  const writer = sandbox.directory.servicePrincipals[0]?.objectId ?? "";
  sandbox.rbac.add(
    { principalId: writer, role: "Storage Queue Data Contributor", scope: sandbox.scopes.queue("code-requests") },
    { immediately: true },
  );
  writerToken = await sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId: writer });
});
afterAll(() => world?.stop());

async function answer(endpoint: Endpoint, request: RawRequest): Promise<Answer> {
  const outcome = await send(endpoint, request, 15_000);
  if (outcome.kind !== "answered")
    throw new Error(`no answer: ${outcome.kind}${"error" in outcome && outcome.error ? ` (${outcome.error})` : ""}`);
  return outcome;
}
const vaultHeaders = (): [string, string][] => [
  ["Host", `keyless-kv.vault.localhost:${vault.port}`],
  ["Authorization", `Bearer ${vaultToken}`],
  ["Connection", "close"],
];
const queueHeaders = (): [string, string][] => [
  ["Host", `127.0.0.1:${queue.port}`],
  ["Authorization", `Bearer ${queueToken}`],
  ["x-ms-version", "2025-11-05"],
  ["Connection", "close"],
];
const entraHeaders = (): [string, string][] => [
  ["Host", `localhost:${entra.port}`],
  ["Connection", "close"],
];

describe("every sandbox service answers, in its own shape, what Node would have answered bare or not at all", () => {
  it("CONNECT: a 400 in the service's shape, not a closed connection", async () => {
    const kv = await answer(vault, { method: "CONNECT", target: "localhost:443", headers: vaultHeaders() });
    expect(azureErrorShape(kv, { method: "GET", target: "/", headers: [] })).toEqual([]);
    const storage = await answer(queue, { method: "CONNECT", target: "localhost:443", headers: queueHeaders() });
    expect(storage.status).toBe(405);
    expect(storageShape(storage, { method: "GET", target: "/", headers: [] })).toEqual([]);
    expect(
      entraShape(await answer(entra, { method: "CONNECT", target: "localhost:443", headers: entraHeaders() }), {
        method: "GET",
        target: "/",
        headers: [],
      }),
    ).toEqual([]);
  });

  it("an Expect other than 100-continue: a 400 in the service's shape, not Node's bodiless 417", async () => {
    const kv = await answer(vault, {
      method: "GET",
      target: "/secrets?api-version=7.6",
      headers: [...vaultHeaders(), ["Expect", "the-unexpected"]],
    });
    expect(kv.status).toBe(400);
    expect(azureErrorShape(kv, { method: "GET", target: "/", headers: [] })).toEqual([]);
  });

  it.each([
    ["no Host", []],
    ["an empty Host", [["Host", ""]]],
  ] as [string, [string, string][]][])(
    "%s: a 400 in the service's shape (an empty Host made Key Vault fail with a 500)",
    async (_, host) => {
      const kv = await answer(vault, {
        method: "GET",
        target: "/secrets?api-version=7.6",
        headers: [...host, ["Authorization", `Bearer ${vaultToken}`], ["Connection", "close"]],
      });
      expect(kv.status).toBe(400);
      expect(azureErrorShape(kv, { method: "GET", target: "/", headers: [] })).toEqual([]);
    },
  );

  it.each([70_000, 200_000, 2_000_000])(
    "headers of %i bytes over TLS: the 400 arrives (the connection was reset after the answer was sent)",
    async (size) => {
      const kv = await answer(vault, {
        method: "GET",
        target: "/secrets?api-version=7.6",
        headers: [...vaultHeaders(), ["X-Big", "a".repeat(size)]],
      });
      expect(kv.status).toBe(400);
      expect(azureErrorShape(kv, { method: "GET", target: "/", headers: [] })).toEqual([]);
    },
  );

  it.each(["gzip", "chunked, gzip", "identity"])(
    "Transfer-Encoding: %s (no known length): a 400 at once, not a wait for a close that never comes",
    async (encoding) => {
      const kv = await answer(vault, {
        method: "HEAD",
        target: "/secrets/third-party-api-key?api-version=7.6",
        headers: [...vaultHeaders(), ["Transfer-Encoding", encoding]],
      });
      expect(kv.status).toBe(400);
      expect(kv.ms).toBeLessThan(10_000);
    },
  );

  it("a body cut short, then the client's end: answered at once (the host waited for the request's own answer, which waited for the body: a hang)", async () => {
    const telemetry = new URL(world.sandbox.endpoints.telemetry);
    const outcome = await send(
      { port: Number(telemetry.port) },
      {
        method: "POST",
        target: telemetry.pathname,
        headers: [
          ["Host", telemetry.host],
          ["Content-Type", "application/json"],
          ["Content-Length", "31"],
          ["Connection", "close"],
        ],
        body: Buffer.from('{"resourceSpans":[]}'),
        halfClose: true,
      },
      5000,
    );
    expect(outcome.kind === "answered" ? outcome.status : outcome.kind).toBe(400);
  });

  it("bytes after a request that do not parse: the request's own answer comes first, the 400 never stands for it", async () => {
    const body = Buffer.from(JSON.stringify({ value: "pipelined" }));
    const garbage = Buffer.from("\u0001\u0002 not a request\r\n\r\n");
    const first = await answer(vault, {
      method: "PUT",
      target: "/secrets/pipelined?api-version=7.6",
      headers: [...vaultHeaders(), ["Content-Type", "application/json"], ["Content-Length", String(body.length)]],
      body: Buffer.concat([body, garbage]),
    });
    expect(first.status).toBe(200);
    expect(world.sandbox.secrets.get("pipelined")?.versions.at(-1)?.value).toBe("pipelined");
  });
});

describe("Queue Storage: what once broke it, when Azurite ran behind the gateway, stays fixed", () => {
  it.each(["?a=%c3", "/%ff?comp=list"])(
    "a target that does not percent-decode (%s): 400 InvalidUri, not a 500",
    async (suffix) => {
      const target = suffix.startsWith("?")
        ? `/devstoreaccount1/code-requests/messages${suffix}`
        : `/devstoreaccount1${suffix}`;
      const storage = await answer(queue, { method: "GET", target, headers: queueHeaders() });
      expect(storage.status).toBe(400);
      expect(storage.headers["x-ms-error-code"]).toEqual(["InvalidUri"]);
    },
  );

  it.each([
    "comp=list&x=",
    "comp=list&x=a+b",
    "comp=list&x",
    "comp=list&=1",
    "comp=list&hasOwnProperty=1e9",
    "comp=list&constructor=1",
  ])(
    "?%s: answered as Queue Storage answers ?comp=list (once: the gateway's signature was refused, or Azurite failed: 500)",
    async (query) => {
      const storage = await answer(queue, {
        method: "GET",
        target: `/devstoreaccount1?${query}`,
        headers: queueHeaders(),
      });
      expect(storage.status).toBe(200);
      expect(storage.body.toString()).toContain("<Name>code-requests</Name>");
    },
  );

  it("an unknown parameter on a queue's messages (hasOwnProperty) is ignored, as Azure ignores it", async () => {
    const storage = await answer(queue, {
      method: "GET",
      target: "/devstoreaccount1/code-requests/messages?peekonly=true&hasOwnProperty=1",
      headers: queueHeaders(),
    });
    expect(storage.status).toBe(200);
  });

  it("a repeated parameter is forwarded once, with the value the operation was authorized for", async () => {
    await world.sandbox.queue.clear("code-requests");
    await fetch(`${world.sandbox.queue.queueUrl("code-requests")}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${queueToken}`, "x-ms-version": "2025-11-05" },
      body: "<QueueMessage><MessageText>kept</MessageText></QueueMessage>",
    });
    // Authorized as Peek Messages (the first value): it must not receive (and hide) the message.
    const storage = await answer(queue, {
      method: "GET",
      target: "/devstoreaccount1/code-requests/messages?peekonly=true&peekonly=false",
      headers: queueHeaders(),
    });
    expect(storage.status).toBe(200);
    expect(await world.sandbox.queue.peekAll("code-requests")).toEqual(["kept"]);
  });

  it("a caller gone before Queue Storage answers: nothing thrown (piping into its closed response once ended the process)", async () => {
    world.sandbox.queue.setDelay({ ms: 300 });
    try {
      const socket = connect(
        { host: "127.0.0.1", port: queue.port, servername: "localhost", rejectUnauthorized: false },
        () =>
          socket.write(
            `GET /devstoreaccount1?comp=list HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${queueToken}\r\nx-ms-version: 2025-11-05\r\n\r\n`,
          ),
      );
      socket.on("error", () => {});
      await sleep(100);
      socket.destroy();
      await sleep(600);
    } finally {
      world.sandbox.queue.setDelay(null);
    }
    expect(world.processProblems()).toEqual([]);
  });

  it.each([
    ["PUT", "/devstoreaccount1/code-requests?restype=service&comp=properties", 400],
    ["PUT", "/devstoreaccount1/code-requests/messages?comp=properties&restype=service", 400],
    ["GET", "/devstoreaccount1/code-requests?comp=list", 400],
    ["PUT", "/devstoreaccount1/code-requests/other/thing", 400],
    ["PUT", "/devstoreaccount1?restype=service&comp=properties", 403],
  ])(
    "%s %s: %i, and the account's service properties stay as they were (a queue's writer could set them)",
    async (method, target, status) => {
      const cors =
        "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>https://evil.example</AllowedOrigins><AllowedMethods>GET</AllowedMethods><AllowedHeaders>*</AllowedHeaders><ExposedHeaders>*</ExposedHeaders><MaxAgeInSeconds>5</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>";
      const before = await world.fullState();
      const storage = await answer(queue, {
        method,
        target,
        headers: [
          ...queueHeaders().map(([name, value]): [string, string] =>
            name === "Authorization" ? [name, `Bearer ${writerToken}`] : [name, value],
          ),
          ["Content-Length", String(cors.length)],
        ],
        body: Buffer.from(cors),
      });
      expect(storage.status).toBe(status);
      expect(storageShape(storage, { method, target, headers: [] })).toEqual([]);
      expect(await world.fullState()).toEqual(before);
    },
  );

  it("a message whose XML nests 2,000 deep: 400 InvalidXmlDocument (Azurite answered 500)", async () => {
    const body = Buffer.from(`<QueueMessage>${"<a>".repeat(2000)}${"</a>".repeat(2000)}</QueueMessage>`);
    const storage = await answer(queue, {
      method: "POST",
      target: "/devstoreaccount1/code-requests/messages",
      headers: [...queueHeaders(), ["Content-Length", String(body.length)]],
      body,
    });
    expect(storage.status).toBe(400);
    expect(storage.headers["x-ms-error-code"]).toEqual(["InvalidXmlDocument"]);
  });

  it("a Delete Secret whose body is cut short changes nothing (Express skipped the body of a half-closed request and ran the route)", async () => {
    const before = world.sandbox.secrets.list().map((secret) => secret.name);
    const outcome = await send(
      vault,
      {
        method: "DELETE",
        target: "/secrets/third-party-api-key?api-version=7.6",
        headers: [...vaultHeaders(), ["Content-Type", "application/json"], ["Content-Length", "62"]],
        body: Buffer.from('{"value":"x"}'),
        halfClose: true,
      },
      15_000,
    );
    expect(outcome.kind === "answered" ? outcome.status : outcome.kind).not.toBe(200);
    await sleep(300);
    expect(world.sandbox.secrets.list().map((secret) => secret.name)).toEqual(before);
  });

  it("a Delete Queue whose body is cut short changes nothing (Azurite deleted the queue while the caller got a 400)", async () => {
    await world.sandbox.queue.reset();
    const outcome = await send(
      queue,
      {
        method: "DELETE",
        target: "/devstoreaccount1/code-requests",
        headers: [...queueHeaders(), ["Content-Length", "100"]],
        body: Buffer.from("x".repeat(40)),
        halfClose: true,
      },
      15_000,
    );
    expect(outcome.kind === "answered" ? outcome.status : outcome.kind).not.toBe(204);
    await sleep(300);
    expect(await world.sandbox.queue.count("code-requests")).toBe(0);
    const listing = await answer(queue, {
      method: "GET",
      target: "/devstoreaccount1?comp=list",
      headers: queueHeaders(),
    });
    expect(listing.body.toString("utf8")).toContain("<Name>code-requests</Name>");
  });

  it("metadata whose name is no C# identifier: 400 InvalidMetadata (Azurite took it, then failed every queue listing with a 500)", async () => {
    const storage = await answer(queue, {
      method: "PUT",
      target: "/devstoreaccount1/code-requests?comp=metadata",
      headers: [...queueHeaders(), ["x-ms-meta-1bad", "x"], ["Content-Length", "0"]],
    });
    expect(storage.status).toBe(400);
    expect(storage.headers["x-ms-error-code"]).toEqual(["InvalidMetadata"]);
    const listing = await answer(queue, {
      method: "GET",
      target: "/devstoreaccount1?comp=list&include=metadata",
      headers: queueHeaders(),
    });
    expect(listing.status).toBe(200);
  });

  it.each(["PROPFIND", "PATCH", "MERGE"])("%s: 405 UnsupportedHttpVerb, in Storage's shape", async (method) => {
    const storage = await answer(queue, { method, target: "/devstoreaccount1/code-requests", headers: queueHeaders() });
    expect(storage.status).toBe(405);
    expect(storageShape(storage, { method, target: "/", headers: [] })).toEqual([]);
  });

  it.each(["//devstoreaccount1//code-requests//messages", "/devstoreaccount1?comp=LIST"])(
    "what Azurite refused without an error code (%s) is refused in Storage's shape",
    async (target) => {
      const storage = await answer(queue, { method: "GET", target, headers: queueHeaders() });
      expect(storage.status).toBeGreaterThanOrEqual(400);
      expect(storageShape(storage, { method: "GET", target, headers: [] })).toEqual([]);
    },
  );

  it("headers up to Azure's 64 KB are served (Azurite's limit was Node's 16 KB: a bare 431)", async () => {
    const storage = await answer(queue, {
      method: "GET",
      target: "/devstoreaccount1?comp=list",
      headers: [...queueHeaders(), ["x-ms-client-request-id", "a".repeat(30_000)]],
    });
    expect(storage.status).toBe(200);
  });

  it.each([
    ["OPTIONS", "/devstoreaccount1/code-requests/messages"],
    ["DELETE", "/devstoreaccount1/no-such-queue"],
  ])(
    "%s with a 1 MB body: Queue Storage's answer, not 503 ServerBusy (the answer was lost while the body was still being sent)",
    async (method, target) => {
      const body = Buffer.alloc(1_000_000, "m");
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const storage = await answer(queue, {
          method,
          target,
          headers: [...queueHeaders(), ["Content-Length", String(body.length)]],
          body,
        });
        expect(storage.status).not.toBe(503);
        expect(storageShape(storage, { method, target, headers: [] })).toEqual([]);
      }
    },
  );
});

describe("the function keys, through Resource Manager", () => {
  const fn = () =>
    `${world.sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/${THIRD_PARTY_APP}/functions/${THIRD_PARTY_FUNCTION}`;
  const headers = async (): Promise<[string, string][]> => [
    ["Host", `localhost:${admin.port}`],
    [
      "Authorization",
      `Bearer ${await world.sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: world.sandbox.directory.users[0]?.objectId ?? "" })}`,
    ],
    ["Connection", "close"],
    ["Content-Type", "application/json"],
  ];

  it("refuses a short key in Resource Manager's shape, which az prints (it printed 'HTTP 400')", async () => {
    const before = world.sandbox.thirdParty.keys();
    const body = Buffer.from(JSON.stringify({ properties: { value: "short" } }));
    const target = `${fn()}/keys/rotated?api-version=2024-11-01`;
    const refused = await answer(admin, {
      method: "PUT",
      target,
      headers: [...(await headers()), ["Content-Length", String(body.length)]],
      body,
    });
    expect(refused.status).toBe(400);
    expect(azureErrorShape(refused, { method: "PUT", target, headers: [] })).toEqual([]);
    expect(world.sandbox.thirdParty.keys()).toEqual(before);
  });

  it.each(["toString", "constructor", "__proto__", "hasOwnProperty"])(
    "%s is no function key: deleting it deletes nothing (204), it is not 200 'deleted'",
    async (name) => {
      const before = world.sandbox.thirdParty.keys();
      const deleted = await answer(admin, {
        method: "DELETE",
        target: `${fn()}/keys/${name}?api-version=2024-11-01`,
        headers: await headers(),
      });
      expect(deleted.status).toBe(204);
      expect(world.sandbox.thirdParty.keys()).toEqual(before);
    },
  );
});

describe("the third party", () => {
  it("CONNECT: Azure Functions' empty 400, not a closed connection", async () => {
    const refused = await answer(thirdParty, {
      method: "CONNECT",
      target: "localhost:443",
      headers: [
        ["Host", "localhost"],
        ["Connection", "close"],
      ],
    });
    expect(refused.status).toBe(400);
    expect(emptyBodyShape(refused, { method: "GET", target: "/", headers: [] })).toEqual([]);
  });

  it.each([["abc"], [[]], [[null]], [[""]], [[42]], [null]])(
    'refuses the keys %j and keeps its own ("abc" became the keys a, b, c; null made every call a 500)',
    (keys) => {
      const before = world.sandbox.thirdParty.keys();
      expect(() => world.sandbox.thirdParty.setKeys(keys as never)).toThrow();
      expect(world.sandbox.thirdParty.keys()).toEqual(before);
    },
  );

  it.each([
    { kind: "status", status: 99 },
    { kind: "status", status: "500" },
    { kind: "delay", ms: -1 },
    { kind: "delay", ms: 2 ** 40 },
    { kind: "body", body: 5 },
    { kind: "other" },
    5,
    "fault",
  ])("refuses the fault %j and keeps none", (fault) => {
    expect(() => world.sandbox.thirdParty.setFault(fault as never)).toThrow();
    expect(world.sandbox.thirdParty.fault()).toBeNull();
  });

  it("tells which fault is set, so a refused request can be shown to have set none", () => {
    world.sandbox.thirdParty.setFault({ kind: "status", status: 503 });
    expect(world.sandbox.thirdParty.fault()).toEqual({ kind: "status", status: 503 });
    world.sandbox.thirdParty.setFault(null);
    expect(world.sandbox.thirdParty.fault()).toBeNull();
  });
});

describe("the OpenTelemetry collector", () => {
  it.each([
    ["a span whose name is an object", { name: { toString: false } }],
    ["a span whose kind is an object", { kind: { valueOf: null, toString: null } }],
    ["a span whose status code is an object", { status: { code: { toString: false } } }],
    ["an event whose name is an object", { events: [{ name: { toString: false } }] }],
    ["an attribute whose intValue is an object", { attributes: [{ key: "a", value: { intValue: { toString: 1 } } }] }],
  ])("takes %s, which String() or Number() threw on (a 500)", async (_, fields) => {
    const telemetry = new URL(world.sandbox.endpoints.telemetry);
    const body = Buffer.from(
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "regression" } }] },
            scopeSpans: [{ spans: [{ traceId: "1".repeat(32), spanId: "2".repeat(16), name: "GET", ...fields }] }],
          },
        ],
      }),
    );
    const outcome = await send(
      { port: Number(telemetry.port) },
      {
        method: "POST",
        target: telemetry.pathname,
        headers: [
          ["Host", telemetry.host],
          ["Content-Type", "application/json"],
          ["Content-Length", String(body.length)],
          ["Connection", "close"],
        ],
        body,
      },
      15_000,
    );
    expect(outcome.kind === "answered" ? outcome.status : outcome.kind).toBe(200);
    expect(world.processProblems()).toEqual([]);
  });
});

describe("the admin API's developer token", () => {
  /** `az login`'s token request, with the request target as a path or in absolute form (as a proxy sends it). */
  const request = (target: string, tenant: string) => {
    const body = Buffer.from(JSON.stringify({ resource: "https://vault.localhost", tenant }));
    return answer(admin, {
      method: "POST",
      target,
      headers: [
        ["Host", `localhost:${admin.port}`],
        ["x-keyless-admin-key", world.sandbox.endpoints.admin.key],
        ["Content-Type", "application/json"],
        ["Content-Length", String(body.length)],
        ["Connection", "close"],
      ],
      body,
    });
  };
  const forms = () => ["/_sandbox/developer-token", `https://localhost:${admin.port}/_sandbox/developer-token`];

  it("refuses an unknown tenant in Entra ID's shape, whether its target is a path or absolute", async () => {
    for (const target of forms()) {
      const refused = await request(target, "no-such-tenant");
      expect(refused.status, target).toBe(400);
      expect(entraShape(refused, { method: "POST", target, headers: [] }), target).toEqual([]);
    }
  });

  it("answers a token in the same shape in both forms", async () => {
    const keys = await Promise.all(
      forms().map(async (target) => {
        const given = await request(target, world.sandbox.tenant.tenant.id);
        expect(given.status, target).toBe(200);
        return Object.keys(JSON.parse(given.body.toString("utf8")) as object).sort();
      }),
    );
    expect(keys[1]).toEqual(keys[0]);
  });
});

describe("Resource Manager, by id", () => {
  const ownerHeaders = async (): Promise<[string, string][]> => [
    ["Host", `localhost:${admin.port}`],
    [
      "Authorization",
      `Bearer ${await world.sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: world.sandbox.directory.users[0]?.objectId ?? "" })}`,
    ],
    ["Connection", "close"],
    ["Content-Type", "application/json"],
  ];
  const site = (name: string) => `${world.sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/${name}`;

  it("a site whose kind is a list: 400 InvalidRequestContent, nothing changed (a 500: the provider called toLowerCase on it)", async () => {
    const before = world.sandbox.stateSnapshot();
    const body = Buffer.from(JSON.stringify({ location: "westeurope", kind: [], properties: {} }));
    const target = `${site("regression-site")}?api-version=2023-01-01`;
    const refused = await answer(admin, {
      method: "PUT",
      target,
      headers: [...(await ownerHeaders()), ["Content-Length", String(body.length)]],
      body,
    });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body.toString("utf8"))).toMatchObject({ error: { code: "InvalidRequestContent" } });
    expect(world.sandbox.stateSnapshot()).toEqual(before);
  });

  it("a site's settings are read by name, their values only through the list action (a GET showed step 02's client secret)", async () => {
    const settings = `${site("keyless-step-02")}/config/appsettings`;
    const secret = world.sandbox.siteEnvironment("keyless-step-02")["AZURE_CLIENT_SECRET"] ?? "";
    expect(secret).not.toBe("");
    const read = await answer(admin, {
      method: "GET",
      target: `${settings}?api-version=2023-01-01`,
      headers: await ownerHeaders(),
    });
    expect(read.status).toBe(200);
    expect(read.body.toString("utf8")).not.toContain(secret);
    expect(JSON.parse(read.body.toString("utf8"))).toMatchObject({ properties: { AZURE_CLIENT_SECRET: null } });
    const listed = await answer(admin, {
      method: "POST",
      target: `${settings}/list?api-version=2023-01-01`,
      headers: [...(await ownerHeaders()), ["Content-Length", "0"]],
    });
    expect(JSON.parse(listed.body.toString("utf8"))).toMatchObject({ properties: { AZURE_CLIENT_SECRET: secret } });
  });
});

describe("App Service's SCM site", () => {
  const scm = () => {
    const url = new URL(world.sandbox.siteUrl("keyless-step-01"));
    return {
      endpoint: { port: Number(url.port), tls: { servername: "keyless-step-01.scm.azurewebsites.localhost" } },
      host: `keyless-step-01.scm.azurewebsites.localhost:${url.port}`,
    };
  };
  const publish = async (target: string, body: Uint8Array, halfClose = false, length = body.length) => {
    const { endpoint, host } = scm();
    const token = await world.sandbox.tokens.issue({
      audience: MANAGEMENT_RESOURCE,
      objectId: world.sandbox.directory.users[0]?.objectId ?? "",
    });
    return send(
      endpoint,
      {
        method: "POST",
        target,
        headers: [
          ["Host", host],
          ["Authorization", `Bearer ${token}`],
          ["Content-Type", "application/zip"],
          ["Content-Length", String(length)],
          ["Connection", "close"],
        ],
        body: Buffer.from(body),
        ...(halfClose ? { halfClose } : {}),
      },
      15_000,
    );
  };
  const text = (value: string) => new TextEncoder().encode(value);
  const server = text('console.log("listening on http://127.0.0.1:1");');

  it("a target of //: no route of the SCM site, 404 in App Service's words (new URL threw, and the front end answered 500)", async () => {
    const outcome = await publish("//", zipSync({}));
    expect(outcome.kind === "answered" ? outcome.status : outcome.kind).toBe(404);
    expect(outcome.kind === "answered" && outcome.body.toString("utf8")).toMatch(
      /^404 Not Found: this SCM site serves/,
    );
    expect(world.processProblems()).toEqual([]);
  });

  it.each([
    ["a package.json that is not JSON", zipSync({ "package.json": text("{"), "src/server.ts": server })],
    ["a package.json that is null", zipSync({ "package.json": text("null"), "src/server.ts": server })],
  ])("%s: Kudu's failed status (JSON.parse threw: a 500)", async (_, zip) => {
    const outcome = await publish("/api/publish?type=zip", zip);
    expect(outcome.kind === "answered" ? outcome.status : outcome.kind).toBe(400);
    expect(outcome.kind === "answered" && JSON.parse(outcome.body.toString("utf8"))).toMatchObject({ status: 3 });
    expect(world.processProblems()).toEqual([]);
  });

  it("a package whose content no longer matches its CRC-32 is refused, and nothing is deployed (it deployed, and the site ran no code)", async () => {
    const zip = Buffer.from(
      zipSync(
        { "package.json": text(JSON.stringify({ scripts: { start: "node src/server.ts" } })), "src/server.ts": server },
        { level: 0 },
      ),
    );
    // A byte of src/server.ts's stored content: "console" becomes "donsole".
    zip[zip.indexOf("console")] = "d".charCodeAt(0);
    const before = world.sandbox.web.deploymentsOf("keyless-step-01").length;
    const outcome = await publish("/api/zipdeploy", zip);
    expect(outcome.kind === "answered" ? outcome.status : outcome.kind).toBe(400);
    expect(outcome.kind === "answered" && outcome.body.toString("utf8")).toMatch(/CRC-32/);
    expect(world.sandbox.web.deploymentsOf("keyless-step-01").length).toBe(before);
  });

  it("a package cut short by its client: 400, and no service failure reported (reading it threw 'aborted')", async () => {
    const outcome = await publish("/api/zipdeploy", zipSync({}), true, 1000);
    expect(outcome.kind === "answered" ? outcome.status : outcome.kind).toBe(400);
    expect(world.processProblems()).toEqual([]);
  });
});
