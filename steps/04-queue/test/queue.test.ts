/**
 * What only step 04 shows: every code issued is in the queue, exactly once,
 * and a code the queue did not take is never issued.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStep, type RunningStep } from "@keyless/contract-tests";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const QUEUE = "code-requests";
let sandbox: Sandbox;
let step: RunningStep;

beforeAll(async () => {
  sandbox = await startSandbox({ stateDir: await mkdtemp(join(tmpdir(), "keyless-04-queue-")) });
  step = await startStep({ dir: new URL("..", import.meta.url), env: sandbox.stepEnvironment("04") });
}, 30_000);
afterAll(async () => {
  await step?.stop();
  await sandbox?.stop();
});
beforeEach(() => sandbox.queue.clear(QUEUE));

interface Answer {
  readonly status: number;
  readonly body: { code?: string; timestamp?: string; error?: string; hint?: string };
}

async function getCodes(count: number): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${step.url}/api/v1/getcode`);
      return { status: response.status, body: (await response.json()) as Answer["body"] };
    }),
  );
}

const queuedCodes = async () => (await sandbox.queue.drain(QUEUE)).map((text) => (JSON.parse(text) as { code: string }).code);

describe("step 04: one queue message per code", { timeout: 60_000 }, () => {
  it("queues exactly one message per 200, with the same code and timestamp (200 concurrent calls)", async () => {
    const answers = await getCodes(200);
    const issued = answers.filter((answer) => answer.status === 200);
    expect(issued.length).toBe(200);
    const messages = (await sandbox.queue.drain(QUEUE)).map((text) => JSON.parse(text) as { code: string; timestamp: string });
    expect(messages.length).toBe(issued.length);
    expect(new Set(messages.map((message) => message.code))).toEqual(new Set(issued.map((answer) => answer.body.code)));
    const byCode = new Map(issued.map((answer) => [answer.body.code, answer.body.timestamp]));
    for (const message of messages) expect(message.timestamp).toBe(byCode.get(message.code));
  });

  it("answers 503 and issues no code while the queue service is down, and recovers without a restart", async () => {
    const before = await getCodes(20);
    await sandbox.queue.stopBackend();
    let during: Answer[];
    try {
      during = await getCodes(20);
    } finally {
      await sandbox.queue.startBackend();
    }
    const after = await getCodes(20);

    expect(during.map((answer) => answer.status)).toEqual(Array(20).fill(503));
    for (const answer of during) {
      expect(answer.body.code).toBeUndefined();
      expect(answer.body.error).toBe("Could not queue your code, so none was issued.");
    }
    expect(after.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const issued = [...before, ...after].filter((answer) => answer.status === 200).map((answer) => answer.body.code);
    expect(new Set(await queuedCodes())).toEqual(new Set(issued));
  });

  it("names the missing role when its identity may not send; a grant works without a restart", async () => {
    const identity = sandbox.directory.apps.get("keyless-step-04");
    const scope = sandbox.scopes.queue(QUEUE);
    sandbox.rbac.remove({ principalId: identity?.objectId ?? "", role: "Storage Queue Data Message Sender", scope });
    try {
      const [denied] = await getCodes(1);
      expect(denied?.status).toBe(503);
      expect(denied?.body.code).toBeUndefined();
      expect(denied?.body.hint).toMatch(/Storage Queue Data Message Sender/);
      expect(denied?.body.hint).toMatch(/az role assignment create/);
    } finally {
      sandbox.rbac.add({ principalId: identity?.objectId ?? "", role: "Storage Queue Data Message Sender", scope }, { immediately: true });
    }
    const [granted] = await getCodes(1);
    expect(granted?.status).toBe(200);
    expect(await queuedCodes()).toEqual([granted?.body.code]);
  });

  it("issues and queues nothing for HEAD or any other method but GET", async () => {
    for (const method of ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const response = await fetch(`${step.url}/api/v1/getcode`, { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow"), method).toBe("GET");
    }
    expect(await queuedCodes()).toEqual([]);
    // The queue is watched: the GET that follows is there, alone.
    const [issued] = await getCodes(1);
    expect(issued?.status).toBe(200);
    expect(await queuedCodes()).toEqual([issued?.body.code]);
  });
});
