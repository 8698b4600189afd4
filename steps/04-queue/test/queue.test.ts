/**
 * What only step 04 shows: every code issued is in the queue, exactly once,
 * and a code the queue did not take is never issued.
 */
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { createServer, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import { startStep, type RunningStep } from "@keyless/contract-tests";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { SEND_TIMEOUT_MS } from "../src/queue.ts";

const QUEUE = "code-requests";
let sandbox: Sandbox;
let step: RunningStep;

beforeAll(async () => {
  sandbox = await startSandbox({ stateDir: await mkdtemp(join(tmpdir(), "keyless-04-queue-")) });
  // These tests are about the queue: the third party's deadline is long enough that a busy machine never turns a
  // call into a 504 (the contract's own check proves that deadline).
  step = await startStep({
    dir: new URL("..", import.meta.url),
    env: { ...sandbox.siteEnvironment("keyless-step-04"), THIRD_PARTY_API_TIMEOUT_MS: "30000" },
  });
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

async function getCodes(count: number, from: RunningStep = step, init?: RequestInit): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${from.url}/api/v1/getcode`, init);
      return { status: response.status, body: (await response.json()) as Answer["body"] };
    }),
  );
}

/**
 * Stands between a step and one of the sandbox's services. Passing, it
 * forwards every byte both ways (TLS included: the step still talks to the
 * real service). Hung, it accepts each connection, reads what comes (after
 * the TLS handshake, given a certificate) and never answers, like a service
 * that is stuck.
 */
async function startFront(upstreamPort: number, certificate?: { certPem: string; keyPem: string }) {
  let hung = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  };
  const closeAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  const server = createServer((client) => {
    track(client);
    if (hung) {
      const reader = certificate
        ? new TLSSocket(client, { isServer: true, cert: certificate.certPem, key: certificate.keyPem })
        : client;
      reader.on("error", () => {});
      reader.resume();
      return;
    }
    const upstream = connect(upstreamPort, "127.0.0.1");
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    /** From now on, nothing answers (connections already open are closed, so none slips through). */
    hang() {
      hung = true;
      closeAll();
    },
    recover() {
      hung = false;
      closeAll();
    },
    async stop() {
      closeAll();
      server.close();
      await once(server, "close");
    },
  };
}

/** Only a guard against a hang, not a speed limit: well past the step's own deadline. */
const hangGuard = () => ({ signal: AbortSignal.timeout(SEND_TIMEOUT_MS + 20_000) });

const TIMED_OUT = {
  error: "Could not queue your code, so none was issued.",
  hint: `Queue Storage, or the app's sign-in to it, did not answer within ${SEND_TIMEOUT_MS / 1000} s. Try again later.`,
};

const queuedCodes = async () =>
  (await sandbox.queue.drain(QUEUE)).map((text) => (JSON.parse(text) as { code: string }).code);

describe("step 04: one queue message per code", { timeout: 60_000 }, () => {
  it("queues exactly one message per 200, with the same code and timestamp (200 calls, 50 at once)", async () => {
    // 50 at once, as the contract's concurrency check: each wave's calls are sent together, and the first wave's
    // race for the first Storage token. 200 at once on a busy 2-core machine once got a 502 "Could not reach the
    // third-party API" (most likely a TLS connection to it outlasting undici's 10 s connect timeout): a fact about
    // the machine, not the queue.
    const answers: Answer[] = [];
    for (let wave = 0; wave < 4; wave++) answers.push(...(await getCodes(50)));
    const issued = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(refused.map((answer) => `${answer.status} ${answer.body.error ?? ""}`)).toEqual([]);
    expect(issued.length).toBe(200);
    const messages = (await sandbox.queue.drain(QUEUE)).map(
      (text) => JSON.parse(text) as { code: string; timestamp: string },
    );
    expect(messages.length).toBe(issued.length);
    expect(new Set(messages.map((message) => message.code))).toEqual(new Set(issued.map((answer) => answer.body.code)));
    const byCode = new Map(issued.map((answer) => [answer.body.code, answer.body.timestamp]));
    for (const message of messages) expect(message.timestamp).toBe(byCode.get(message.code));
  });

  it("answers 503 and issues no code while the queue service is down, and recovers without a restart", async () => {
    const before = await getCodes(20);
    await sandbox.stopService("queueStorage");
    let during: Answer[];
    try {
      during = await getCodes(20);
    } finally {
      await sandbox.startService("queueStorage");
    }
    const after = await getCodes(20);

    expect(during.map((answer) => answer.status)).toEqual(Array(20).fill(503));
    for (const answer of during) {
      expect(answer.body.code).toBeUndefined();
      expect(answer.body.error).toBe("Could not queue your code, so none was issued.");
      expect(answer.body.hint).toMatch(/Queue Storage/);
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
      // The real ids, as the app knows them: its token's oid, and the queue's resource id from its account's.
      expect(denied?.body.hint).toContain(
        `az role assignment create --assignee ${identity?.objectId} --role "Storage Queue Data Message Sender"`,
      );
      expect(denied?.body.hint).toContain(
        `--scope "$(az storage account show --name ${sandbox.world.storageAccount} --query id --output tsv)/queueServices/default/queues/${QUEUE}"`,
      );
    } finally {
      sandbox.rbac.add(
        { principalId: identity?.objectId ?? "", role: "Storage Queue Data Message Sender", scope },
        { immediately: true },
      );
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

  it("answers 503 within its deadline while Queue Storage accepts connections and never answers, and recovers without a restart", async () => {
    const env = sandbox.siteEnvironment("keyless-step-04");
    const queueUrl = new URL(env["STORAGE_QUEUE_URL"] ?? "");
    const front = await startFront(Number(queueUrl.port), sandbox.certificates);
    queueUrl.port = String(front.port);
    const stuck = await startStep({
      dir: new URL("..", import.meta.url),
      env: { ...env, STORAGE_QUEUE_URL: queueUrl.href },
    });
    try {
      const before = await getCodes(5, stuck);
      front.hang();
      const during = await getCodes(5, stuck, hangGuard());
      front.recover();
      const after = await getCodes(5, stuck);

      expect(before.map((answer) => answer.status)).toEqual(Array(5).fill(200));
      expect(during.map((answer) => answer.status)).toEqual(Array(5).fill(503));
      for (const answer of during) expect(answer.body).toEqual(TIMED_OUT);
      expect(after.map((answer) => answer.status)).toEqual(Array(5).fill(200));
      const issued = [...before, ...after].filter((answer) => answer.status === 200).map((answer) => answer.body.code);
      const queued = await queuedCodes();
      expect(queued.length).toBe(issued.length);
      expect(new Set(queued)).toEqual(new Set(issued));
    } finally {
      await stuck.stop();
      await front.stop();
    }
  });

  it("answers 503 within its deadline when the managed identity endpoint hangs as the app first asks for a Storage token", async () => {
    const env = sandbox.siteEnvironment("keyless-step-04");
    const identityEndpoint = new URL(env["IDENTITY_ENDPOINT"] ?? "");
    const front = await startFront(Number(identityEndpoint.port));
    identityEndpoint.port = String(front.port);
    // Start-up gets the Key Vault token through the front; the Storage token comes with the first code.
    const stuck = await startStep({
      dir: new URL("..", import.meta.url),
      env: { ...env, IDENTITY_ENDPOINT: identityEndpoint.href },
    });
    try {
      front.hang();
      const during = await getCodes(5, stuck, hangGuard());
      front.recover();
      expect(during.map((answer) => answer.status)).toEqual(Array(5).fill(503));
      for (const answer of during) expect(answer.body).toEqual(TIMED_OUT);
      // Once the endpoint answers, the app gets its token and issues codes again, with no restart.
      await vi.waitFor(async () => expect((await getCodes(1, stuck))[0]?.status).toBe(200), {
        timeout: 30_000,
        interval: 500,
      });
      expect((await queuedCodes()).length).toBe(1);
    } finally {
      await stuck.stop();
      await front.stop();
    }
  });
});
