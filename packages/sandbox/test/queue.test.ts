/**
 * Queue Storage through the gateway: the real @azure/storage-queue client,
 * unchanged, works for every operation when a role allows it; tokens are
 * checked like Key Vault checks them; roles really grant or deny; no port of
 * the sandbox takes a forged token; and the sandbox's own readers (graders,
 * the live view) never receive a message.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { QueueClient, QueueServiceClient } from "@azure/storage-queue";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORAGE_RESOURCE, VAULT_RESOURCE } from "../src/index.ts";
import { badTokens } from "./badTokens.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox();
  // A principal that is Storage Queue Data Contributor on the account, and nothing else: the role the tests grade.
  test.sandbox.rbac.add(
    { principalId: contributor(), role: "Storage Queue Data Contributor", scope: test.sandbox.scopes.storageAccount },
    { immediately: true },
  );
}, 30_000);
afterAll(() => test.stop());

const contributor = () =>
  test.sandbox.directory.servicePrincipals.find((sp) => sp.displayName === "keyless-workspace-sp")?.objectId ?? "";
const developer = contributor;
const stepFour = () => test.sandbox.directory.apps.get("keyless-step-04")?.objectId ?? "";

/** A credential for one principal: what DefaultAzureCredential would hand the client. */
function credentialFor(objectId: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return {
        token: await test.sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId }),
        expiresOnTimestamp: Date.now() + 3_600_000,
      };
    },
  };
}

const queueClient = (name: string, objectId = developer()) =>
  new QueueClient(test.sandbox.queue.queueUrl(name), credentialFor(objectId), { retryOptions: { maxTries: 1 } });

describe("the real QueueClient through the gateway", () => {
  it("creates, sends, peeks, receives, updates, deletes and clears (Storage Queue Data Contributor)", async () => {
    const queue = queueClient("lesson-queue");
    await queue.create();
    await queue.sendMessage("first");
    await queue.sendMessage("second");
    expect(
      (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((item) => item.messageText),
    ).toEqual(["first", "second"]);
    const [received] = (await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 30 }))
      .receivedMessageItems;
    expect(received?.messageText).toBe("first");
    const updated = await queue.updateMessage(
      received?.messageId ?? "",
      received?.popReceipt ?? "",
      "first, updated",
      0,
    );
    const again = (await queue.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems.find(
      (item) => item.messageId === received?.messageId,
    );
    expect(again?.messageText).toBe("first, updated");
    await queue.deleteMessage(again?.messageId ?? "", again?.popReceipt ?? updated.popReceipt ?? "");
    await queue.clearMessages();
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    await queue.delete();
  });

  it("lists queues at the account scope", async () => {
    const service = new QueueServiceClient(test.sandbox.queue.accountUrl, credentialFor(developer()));
    const names: string[] = [];
    for await (const item of service.listQueues()) names.push(item.name);
    expect(names).toContain("code-requests");
  });

  it("streams large messages through intact (64 KB, Azure's limit)", async () => {
    const queue = queueClient("code-requests");
    const text = "x".repeat(64 * 1024 - 1);
    await queue.sendMessage(text);
    expect((await queue.peekMessages()).peekedMessageItems[0]?.messageText).toBe(text);
    await queue.clearMessages();
  });
});

describe("tokens", () => {
  const send = (authorization?: string) =>
    fetch(`${test.sandbox.queue.queueUrl("code-requests")}/messages`, {
      method: "POST",
      headers: {
        "x-ms-version": "2025-11-05",
        "content-type": "application/xml",
        ...(authorization ? { authorization } : {}),
      },
      body: "<QueueMessage><MessageText>hello</MessageText></QueueMessage>",
    });

  it("challenges a request without a token (401 NoAuthenticationInformation)", async () => {
    const response = await send();
    expect(response.status).toBe(401);
    expect(response.headers.get("x-ms-error-code")).toBe("NoAuthenticationInformation");
    expect(response.headers.get("www-authenticate")).toContain(`resource_id=${STORAGE_RESOURCE}`);
  });

  it("refuses every bad token with 401 InvalidAuthenticationInfo (the same table as the vault's)", async () => {
    for (const [name, mint] of badTokens(test.sandbox, STORAGE_RESOURCE, VAULT_RESOURCE, stepFour())) {
      const response = await send(`Bearer ${await mint()}`);
      expect(response.status, name).toBe(401);
      expect(response.headers.get("x-ms-error-code"), name).toBe("InvalidAuthenticationInfo");
      expect(response.headers.get("www-authenticate"), name).toContain(`resource_id=${STORAGE_RESOURCE}`);
      expect(await response.text(), name).toMatch(/<AuthenticationErrorDetail>.+<\/AuthenticationErrorDetail>/);
    }
  });

  it("explains a refused token in Azure Storage's words", async () => {
    const detail = async (token: string) =>
      (await (await send(`Bearer ${token}`)).text()).match(
        /<AuthenticationErrorDetail>(.*)<\/AuthenticationErrorDetail>/,
      )?.[1];
    const objectId = stepFour();
    const now = Math.floor(Date.now() / 1000);
    // Expired beyond Azure's five minutes of clock skew.
    expect(
      await detail(
        await test.sandbox.tokens.issue({
          audience: STORAGE_RESOURCE,
          objectId,
          claims: { iat: now - 4000, nbf: now - 4000, exp: now - 400 },
        }),
      ),
    ).toBe("Lifetime validation failed. The token is expired.");
    expect(await detail(await test.sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId }))).toBe(
      "Audience validation failed. Audience did not match.",
    );
    expect(
      await detail(
        await test.sandbox.tokens.issue({
          audience: STORAGE_RESOURCE,
          objectId,
          claims: { iss: "https://sts.windows.net/00000000-0000-0000-0000-000000000001/" },
        }),
      ),
    ).toBe("Issuer validation failed. Issuer did not match.");
  });

  it("accepts every audience Azure Storage accepts, and only those", async () => {
    for (const audience of [
      "https://storage.azure.com/",
      "e406a681-f3d4-42a8-90b6-c2b029497af1",
      "https://devstoreaccount1.queue.core.windows.net",
      "https://devstoreaccount1.queue.core.windows.net/",
    ]) {
      const response = await send(`Bearer ${await test.sandbox.tokens.issue({ audience, objectId: stepFour() })}`);
      expect(response.status, audience).toBe(201);
    }
    const otherAccount = await send(
      `Bearer ${await test.sandbox.tokens.issue({ audience: "https://otheraccount.queue.core.windows.net", objectId: stepFour() })}`,
    );
    expect(otherAccount.status).toBe(401);
    await test.sandbox.queue.clear("code-requests");
  });

  it("answers errors with Azure's headers and XML body", async () => {
    const response = await fetch(`${test.sandbox.queue.queueUrl("code-requests")}/messages?peekonly=true`, {
      headers: {
        "x-ms-version": "2025-05-05",
        authorization: `Bearer ${await test.sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId: stepFour() })}`,
      },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/xml");
    expect(response.headers.get("x-ms-version")).toBe("2025-05-05");
    expect(response.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toMatch(
      /^<\?xml version="1.0" encoding="utf-8"\?><Error><Code>AuthorizationPermissionMismatch<\/Code><Message>This request is not authorized to perform this operation using this permission.\nRequestId:[0-9a-f-]{36}\nTime:\d{4}-\d\d-\d\dT[\d:.]+Z<\/Message><\/Error>$/,
    );
  });

  it("accepts a good token from a principal with a role (201)", async () => {
    const response = await send(
      `Bearer ${await test.sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId: stepFour() })}`,
    );
    expect(response.status).toBe(201);
    await test.sandbox.queue.clear("code-requests");
  });
});

describe("Azure RBAC for queues", () => {
  const queueScope = () => test.sandbox.scopes.queue("code-requests");
  const denied = (error: unknown) => error as { statusCode?: number; code?: string };

  it("Message Sender (step 04's provisioned role) may send but not peek or receive", async () => {
    const queue = queueClient("code-requests", stepFour());
    await queue.sendMessage("from step 04");
    for (const attempt of [() => queue.peekMessages(), () => queue.receiveMessages()]) {
      const error = denied(await attempt().catch((caught: unknown) => caught));
      expect(error.statusCode).toBe(403);
      expect(error.code).toBe("AuthorizationPermissionMismatch");
    }
    await test.sandbox.queue.clear("code-requests");
  });

  it("no role: 403 AuthorizationPermissionMismatch; a grant at the account scope works without a restart", async () => {
    const principalId = stepFour();
    test.sandbox.rbac.remove({ principalId, role: "Storage Queue Data Message Sender", scope: queueScope() });
    try {
      const error = denied(
        await queueClient("code-requests", principalId)
          .sendMessage("nope")
          .catch((caught: unknown) => caught),
      );
      expect(error.statusCode).toBe(403);
      expect(error.code).toBe("AuthorizationPermissionMismatch");
      test.sandbox.rbac.add(
        { principalId, role: "Storage Queue Data Message Sender", scope: test.sandbox.scopes.storageAccount },
        { immediately: true },
      );
      await queueClient("code-requests", principalId).sendMessage("yes");
    } finally {
      test.sandbox.rbac.remove({ principalId, scope: test.sandbox.scopes.storageAccount });
      test.sandbox.rbac.add(
        { principalId, role: "Storage Queue Data Message Sender", scope: queueScope() },
        { immediately: true },
      );
      await test.sandbox.queue.clear("code-requests");
    }
  });

  it("Message Processor may receive and delete but not send or clear", async () => {
    const processor = test.sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "";
    await queueClient("code-requests").sendMessage("to process");
    test.sandbox.rbac.add(
      { principalId: processor, role: "Storage Queue Data Message Processor", scope: queueScope() },
      { immediately: true },
    );
    try {
      const queue = queueClient("code-requests", processor);
      const [message] = (await queue.receiveMessages()).receivedMessageItems;
      expect(message?.messageText).toBe("to process");
      await queue.deleteMessage(message?.messageId ?? "", message?.popReceipt ?? "");
      for (const attempt of [() => queue.sendMessage("nope"), () => queue.clearMessages()]) {
        expect(denied(await attempt().catch((caught: unknown) => caught)).code).toBe("AuthorizationPermissionMismatch");
      }
    } finally {
      test.sandbox.rbac.remove({ principalId: processor, scope: queueScope() });
      await test.sandbox.queue.clear("code-requests");
    }
  });

  it("even Data Contributor may not read a queue's access policy (it needs getAcl/action)", async () => {
    expect(
      denied(
        await queueClient("code-requests")
          .getAccessPolicy()
          .catch((caught: unknown) => caught),
      ).code,
    ).toBe("AuthorizationPermissionMismatch");
  });

  it("Reader may peek but not send", async () => {
    const reader = test.sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "";
    test.sandbox.rbac.add(
      { principalId: reader, role: "Storage Queue Data Reader", scope: queueScope() },
      { immediately: true },
    );
    try {
      await queueClient("code-requests", reader).peekMessages();
      const error = denied(
        await queueClient("code-requests", reader)
          .sendMessage("nope")
          .catch((caught: unknown) => caught),
      );
      expect(error.statusCode).toBe(403);
    } finally {
      test.sandbox.rbac.remove({ principalId: reader, scope: queueScope() });
    }
  });

  it("answers 503 ServerBusy while Storage is unavailable (the live view's Stop), and serves again after, messages kept", async () => {
    await queueClient("code-requests", stepFour()).sendMessage("before");
    test.sandbox.queue.setAvailable(false);
    try {
      const error = denied(
        await queueClient("code-requests", stepFour())
          .sendMessage("down")
          .catch((caught: unknown) => caught),
      );
      expect(error.statusCode).toBe(503);
      expect(error.code).toBe("ServerBusy");
    } finally {
      test.sandbox.queue.setAvailable(true);
    }
    await queueClient("code-requests", stepFour()).sendMessage("after");
    expect(await test.sandbox.queue.drain("code-requests")).toEqual(["before", "after"]);
  });
});

describe("a slow Queue Storage, for lessons and graders", () => {
  it("holds one caller's requests for the delay before they reach the queues, then serves them", async () => {
    test.sandbox.queue.setDelay({ ms: 300, principalId: stepFour() });
    try {
      const started = Date.now();
      await queueClient("code-requests", stepFour()).sendMessage("slow");
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      test.sandbox.queue.setDelay(null);
    }
    expect(await test.sandbox.queue.drain("code-requests")).toEqual(["slow"]);
  });
});

describe("no way round the gateway", () => {
  const unsigned = (claims: object) =>
    `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;

  it("refuses a forged token on every port the sandbox's process listens on", {
    skip: process.platform !== "linux",
  }, async () => {
    const claims = (aud: string) => ({
      aud,
      iss: test.sandbox.tokens.issuer,
      oid: developer(),
      tid: test.sandbox.tenant.tenant.id,
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    const ports = listeningPorts(process.pid);
    expect(ports).toContain(Number(new URL(test.sandbox.queue.accountUrl).port));
    await queueClient("code-requests").sendMessage("secret message");
    try {
      for (const port of ports) {
        for (const [path, token] of [
          ["/devstoreaccount1/code-requests/messages?peekonly=true", unsigned(claims(STORAGE_RESOURCE))],
          ["/devstoreaccount1?comp=list", unsigned(claims(STORAGE_RESOURCE))],
          ["/secrets/third-party-api-key?api-version=7.4", unsigned(claims("https://vault.localhost"))],
        ] as const) {
          const answer = await answerOf(port, path, token);
          expect(answer === undefined || answer.status >= 400, `port ${port} ${path}: ${answer?.status}`).toBe(true);
          expect(answer?.body ?? "").not.toContain("secret message");
        }
      }
    } finally {
      await test.sandbox.queue.clear("code-requests");
    }
  });
});

describe("the sandbox's own readers, as graders and the live view use them", () => {
  it("peekAll, peek, count, snapshot and removeWhere never change a message's dequeue count, pop receipt or visibility", async () => {
    const queue = queueClient("code-requests");
    await queue.clearMessages();
    await queue.sendMessage("kept");
    await queue.sendMessage("hidden", { visibilityTimeout: 120 });
    await queue.sendMessage("graded");
    const [received] = (await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 60 }))
      .receivedMessageItems;
    expect(received?.messageText).toBe("kept");
    const stored = () => test.sandbox.queue.snapshot().queues.find((item) => item.name === "code-requests")?.messages;
    const before = stored();

    expect(await test.sandbox.queue.peekAll("code-requests")).toEqual(["kept", "hidden", "graded"]);
    expect((await test.sandbox.queue.peek("code-requests")).map((message) => message.messageText)).toEqual(["graded"]);
    expect(await test.sandbox.queue.count("code-requests")).toBe(3);
    expect(stored()).toEqual(before);
    expect(await test.sandbox.queue.removeWhere("code-requests", (text) => text === "graded")).toEqual(["graded"]);
    expect(stored()).toEqual(before?.filter((message) => message.text !== "graded"));

    // What a learner then sees: the message nobody else received was received once, by its one receiver.
    await queue.updateMessage(received?.messageId ?? "", received?.popReceipt ?? "", undefined, 0);
    const [seen] = (await queue.peekMessages()).peekedMessageItems;
    expect([seen?.messageText, seen?.dequeueCount]).toEqual(["kept", 1]);
    expect(await test.sandbox.queue.drain("code-requests")).toEqual(["kept", "hidden"]);
  });
});

/** The TCP ports a process listens on, from /proc (Linux): every socket inode it holds, matched with the kernel's LISTEN table. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // state 0A is LISTEN; field 9 is the inode
      if (fields[3] === "0A" && inodes.has(fields[9] ?? ""))
        ports.add(Number.parseInt(fields[1]?.split(":")[1] ?? "0", 16));
    }
  }
  return [...ports];
}

/** What a port answers (HTTPS first, then plain HTTP), or undefined when it speaks neither. */
async function answerOf(
  port: number,
  path: string,
  token: string,
): Promise<{ status: number; body: string } | undefined> {
  const headers = {
    authorization: `Bearer ${token}`,
    "x-ms-version": "2025-11-05",
    host: `keyless-kv.vault.localhost:${port}`,
  };
  for (const send of [httpsRequest, httpRequest]) {
    const answer = await new Promise<{ status: number; body: string } | undefined>((resolve) => {
      const call = send(
        { host: "127.0.0.1", port, path, headers, timeout: 5000, rejectUnauthorized: false },
        (response) => {
          let body = "";
          response.on("data", (chunk: Buffer) => (body += chunk.toString()));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      call.once("timeout", () => call.destroy());
      call.once("error", () => resolve(undefined));
      call.end();
    });
    if (answer !== undefined) return answer;
  }
  return undefined;
}
