/**
 * Queue Storage keeps state as Azure does: what it acknowledged is there after
 * a kill at any moment (SIGKILL, the sandbox in a process of its own, a stream
 * of messages on the way), exactly once; and queues, metadata and messages, with
 * their dequeue counts and pop receipts, are there after a stop and a start on
 * the same state folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, describe, expect, it } from "vitest";
import { STORAGE_RESOURCE, startSandbox, type Sandbox } from "../src/index.ts";
import { COMPILE_CACHE } from "./compileCache.ts";

const CHILD = fileURLToPath(new URL("./fixtures/queueSandbox.ts", import.meta.url));
const dirs: string[] = [];
const stateFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), "keyless-queue-state-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts the sandbox in a child process and reads its first line. */
async function child(stateDir: string, mode: "serve" | "report"): Promise<{ process: ChildProcess; line: string }> {
  const started = spawn(process.execPath, [CHILD, stateDir, mode], {
    env: { PATH: process.env["PATH"] ?? "", NODE_COMPILE_CACHE: COMPILE_CACHE },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const line = await new Promise<string>((resolve, reject) => {
    started.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("\n")) resolve(output.split("\n")[0] ?? "");
    });
    // "close", not "exit": a child that prints its report and exits may exit before its output has all been
    // read here, and the report is one long line.
    started.once("close", (code) =>
      reject(new Error(`the sandbox exited (${code}) before it said anything: ${output.slice(0, 2000)}`)),
    );
  });
  return { process: started, line };
}

/** Put Message, raw: resolves to the status, or undefined when no answer came (the process was killed meanwhile). */
function put(
  target: { queueUrl: string; token: string; caPem: string; agent: Agent },
  text: string,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const body = `<QueueMessage><MessageText>${text}</MessageText></QueueMessage>`;
    const sent = request(
      `${target.queueUrl}/messages`,
      {
        method: "POST",
        agent: target.agent,
        ca: target.caPem,
        headers: {
          authorization: `Bearer ${target.token}`,
          "x-ms-version": "2025-11-05",
          "content-type": "application/xml",
          "content-length": Buffer.byteLength(body),
        },
      },
      (answer) => {
        answer.resume();
        answer.once("end", () => resolve(answer.statusCode));
        answer.once("error", () => resolve(undefined));
      },
    );
    sent.once("error", () => resolve(undefined));
    sent.end(body);
  });
}

describe("a kill at any moment", () => {
  it("SIGKILL while messages stream in, three times: every message acknowledged with 201 is there after the restart, once", {
    timeout: 120_000,
  }, async () => {
    const stateDir = stateFolder();
    const acknowledged: string[] = [];
    let unanswered = 0;
    for (let round = 0; round < 3; round++) {
      const serving = await child(stateDir, "serve");
      const target = {
        ...(JSON.parse(serving.line) as { queueUrl: string; token: string; caPem: string }),
        agent: new Agent({ keepAlive: true }),
      };
      let sending = true;
      const senders = Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; sending; i++) {
          const text = `round-${round}-worker-${worker}-${i}`;
          const status = await put(target, text);
          if (status === 201) acknowledged.push(text);
          else if (status === undefined) unanswered++;
          else throw new Error(`Put Message answered ${status}`);
        }
      });
      // A random moment, somewhere in the first second and a half of the stream.
      await sleep(200 + Math.random() * 1300);
      // No new put after this moment: those cut off are the ones in flight.
      sending = false;
      serving.process.kill("SIGKILL");
      await once(serving.process, "exit");
      await Promise.all(senders);
      target.agent.destroy();
    }
    const report = await child(stateDir, "report");
    await once(report.process, "exit");
    const { messages, count } = JSON.parse(report.line) as { messages: string[]; count: number };

    expect(acknowledged.length).toBeGreaterThan(0);
    const stored = new Map<string, number>();
    for (const text of messages) stored.set(text, (stored.get(text) ?? 0) + 1);
    expect(
      acknowledged.filter((text) => stored.get(text) !== 1),
      "acknowledged, and not there exactly once",
    ).toEqual([]);
    expect(
      [...stored].filter(([, times]) => times > 1),
      "stored twice",
    ).toEqual([]);
    // A put whose answer the kill cut off may be stored or not: never more of those than were in flight (8 a round).
    expect(unanswered).toBeLessThanOrEqual(3 * 8);
    expect(messages.length - acknowledged.length).toBeLessThanOrEqual(unanswered);
    expect(count).toBe(messages.length);
  });
});

describe("a restart on the same state folder", () => {
  const credentialFor = (sandbox: Sandbox): TokenCredential => ({
    async getToken(): Promise<AccessToken> {
      return {
        token: await sandbox.tokens.issue({
          audience: STORAGE_RESOURCE,
          objectId: sandbox.directory.users[0]?.objectId ?? "",
        }),
        expiresOnTimestamp: Date.now() + 3_600_000,
      };
    },
  });
  const queueOf = (sandbox: Sandbox, name: string) =>
    new QueueClient(sandbox.queue.queueUrl(name), credentialFor(sandbox), { retryOptions: { maxTries: 1 } });

  it("stop() and a start: queues, metadata and messages, their dequeue counts and pop receipts, all there", async () => {
    const stateDir = stateFolder();
    const first = await startSandbox({ stateDir, auditFile: false });
    // The developer owns the subscription; on the account's queues, Data Contributor too (kept across the restart).
    first.rbac.add(
      {
        principalId: first.directory.users[0]?.objectId ?? "",
        principalType: "User",
        role: "Storage Queue Data Contributor",
        scope: first.scopes.storageAccount,
      },
      { immediately: true },
    );
    const { default: tls } = await import("node:tls");
    tls.setDefaultCACertificates([...tls.getCACertificates("default"), first.certificates.caPem]);
    const lessons = queueOf(first, "lessons");
    await lessons.create({ metadata: { owner: "ada" } });
    await lessons.sendMessage("one");
    await lessons.sendMessage("two", { visibilityTimeout: 600 });
    await lessons.sendMessage("three", { messageTimeToLive: -1 });
    const [received] = (await lessons.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 1 }))
      .receivedMessageItems;
    await queueOf(first, "code-requests").sendMessage("a code");
    const before = first.queue.snapshot();
    await first.stop();
    // The SDK keeps its connections to the first run for reuse; the stop closed them, and this process hears of it
    // on its next turn. A start may take none (it can be all synchronous), and the first call after it would go out
    // on a connection already closed ("socket hang up", which a client with retries, unlike this one, retries).
    await new Promise((resolve) => setImmediate(resolve));

    const second = await startSandbox({ stateDir, auditFile: false });
    try {
      expect(second.queue.snapshot()).toEqual(before);
      const again = queueOf(second, "lessons");
      expect((await again.getProperties()).metadata).toEqual({ owner: "ada" });
      expect(await second.queue.peekAll("lessons")).toEqual(["one", "two", "three"]);
      // The receipt the first run gave still deletes the message it received.
      await again.deleteMessage(received?.messageId ?? "", received?.popReceipt ?? "");
      expect(await second.queue.peekAll("lessons")).toEqual(["two", "three"]);
      expect(await second.queue.peekAll("code-requests")).toEqual(["a code"]);
    } finally {
      await second.stop();
    }
  });
});
