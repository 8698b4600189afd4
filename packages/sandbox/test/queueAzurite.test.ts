/**
 * Azurite is sealed, supervised and durable: only the gateway can reach its
 * data; killed or hung, it is started again on the same data while the gateway
 * answers 503 ServerBusy; no message it acknowledged is lost; and it never
 * outlives the sandbox, nor does its work folder.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient, StorageSharedKeyCredential } from "@azure/storage-queue";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORAGE_RESOURCE } from "../src/index.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

const AZURITE = new URL("../src/queue/azurite.ts", import.meta.url).href;
/** The emulator's well-known account key, published in Azurite's README: it must not open anything here. */
const WELL_KNOWN_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const connection = connect(port, "127.0.0.1");
    connection.once("connect", () => {
      connection.destroy();
      resolve(true);
    });
    connection.once("error", () => resolve(false));
  });

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(50);
  }
}

const alg = (header: object, claims: object) =>
  `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;

describe("Azurite never outlives the sandbox", () => {
  /** A stand-in for the sandbox: starts Azurite, says where, and waits to be killed. */
  const SANDBOX = `
    import { Azurite } from ${JSON.stringify(AZURITE)};
    const azurite = new Azurite({ account: "devstoreaccount1" });
    await azurite.start();
    console.log(JSON.stringify({ port: azurite.port, workDir: azurite.workDir }));
    setInterval(() => {}, 60_000);
  `;

  it("exits and removes its work folder when the process that started it is killed (kill -9)", async () => {
    const sandbox = spawn(process.execPath, ["--input-type=module", "-e", SANDBOX], {
      env: { PATH: process.env["PATH"] ?? "" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const [firstLine] = (await once(sandbox.stdout, "data")) as [Buffer];
      const { port, workDir } = JSON.parse(firstLine.toString()) as { port: number; workDir: string };
      expect(await accepts(port)).toBe(true);
      expect(existsSync(workDir)).toBe(true);
      sandbox.kill("SIGKILL");
      await once(sandbox, "exit");
      await until(async () => !(await accepts(port)) && !existsSync(workDir), "Azurite to exit and remove its folder");
    } finally {
      sandbox.kill("SIGKILL");
    }
  });

  it("removes, at the next start, a work folder left by a sandbox killed together with its Azurite", async () => {
    const abandoned = mkdtempSync(join(tmpdir(), "keyless-azurite-"));
    mkdirSync(join(abandoned, "data"));
    // A process id that is not running: the owner is gone.
    writeFileSync(join(abandoned, "owner.pid"), "999999999");
    const test = await startTestSandbox({ waitForQueue: false });
    try {
      expect(existsSync(abandoned)).toBe(false);
    } finally {
      await test.stop();
    }
  });
});

describe("a running sandbox's Azurite", () => {
  let test: TestSandbox;
  beforeAll(async () => {
    test = await startTestSandbox();
  });
  afterAll(() => test.stop());

  const developer = () => test.sandbox.directory.users[0]?.objectId ?? "";
  const credential: TokenCredential = {
    async getToken(): Promise<AccessToken> {
      return {
        token: await test.sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId: developer() }),
        expiresOnTimestamp: Date.now() + 3_600_000,
      };
    },
  };
  const queue = () =>
    new QueueClient(test.sandbox.queue.queueUrl("code-requests"), credential, { retryOptions: { maxTries: 1 } });
  const azuriteUrl = (path: string) => `http://127.0.0.1:${test.sandbox.queue.backendPort}/devstoreaccount1${path}`;

  it("refuses everyone but the gateway: no credentials, a forged token, the well-known emulator key", async () => {
    await queue().sendMessage("secret message");
    const forged = alg(
      { alg: "none", typ: "JWT" },
      {
        aud: STORAGE_RESOURCE,
        iss: test.sandbox.tokens.issuer,
        oid: developer(),
        tid: test.sandbox.seed.tenant.id,
        exp: Math.floor(Date.now() / 1000) + 600,
      },
    );
    const attempts = [
      fetch(azuriteUrl("/code-requests/messages?peekonly=true"), { headers: { "x-ms-version": "2025-11-05" } }),
      fetch(azuriteUrl("/code-requests/messages?peekonly=true"), {
        headers: { "x-ms-version": "2025-11-05", authorization: `Bearer ${forged}` },
      }),
      fetch(azuriteUrl("/code-requests/messages?peekonly=true"), {
        headers: { "x-ms-version": "2025-11-05", authorization: `Bearer ${await credential.getToken("")}` },
      }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(await response.text()).not.toContain("secret message");
    }
    const withWellKnownKey = new QueueClient(
      azuriteUrl("/code-requests"),
      new StorageSharedKeyCredential("devstoreaccount1", WELL_KNOWN_KEY),
      { retryOptions: { maxTries: 1 } },
    );
    expect(
      ((await withWellKnownKey.peekMessages().catch((error: unknown) => error)) as { statusCode?: number }).statusCode,
    ).toBe(403);
    await test.sandbox.queue.clear("code-requests");
  });

  it("refuses a forged token on every port the sandbox's processes listen on", {
    skip: process.platform !== "linux",
  }, async () => {
    const ports = listeningPorts([process.pid, test.sandbox.queue.backendPid ?? 0]);
    expect(ports).toContain(test.sandbox.queue.backendPort);
    const forged = alg(
      { alg: "none", typ: "JWT" },
      {
        aud: STORAGE_RESOURCE,
        iss: test.sandbox.tokens.issuer,
        oid: developer(),
        tid: test.sandbox.seed.tenant.id,
        exp: Math.floor(Date.now() / 1000) + 600,
      },
    );
    const vaultForged = alg(
      { alg: "none", typ: "JWT" },
      {
        aud: "https://vault.localhost",
        iss: test.sandbox.tokens.issuer,
        oid: developer(),
        tid: test.sandbox.seed.tenant.id,
        exp: Math.floor(Date.now() / 1000) + 600,
      },
    );
    for (const port of ports) {
      for (const [path, token] of [
        ["/devstoreaccount1/code-requests/messages?peekonly=true", forged],
        ["/devstoreaccount1?comp=list", forged],
        ["/secrets/third-party-api-key?api-version=7.4", vaultForged],
        ["/secrets?api-version=7.4", vaultForged],
      ] as const) {
        const status = await statusOf(port, path, token);
        expect(status === undefined || status >= 400, `port ${port} ${path}: ${status}`).toBe(true);
      }
    }
  });

  it("restarts Azurite killed with SIGKILL, on the same data: every acknowledged message survives, 503 ServerBusy meanwhile", async () => {
    await test.sandbox.queue.clear("code-requests");
    const acknowledged: string[] = [];
    const refused: number[] = [];
    let sending = true;
    const sender = async (worker: number) => {
      for (let i = 0; sending; i++) {
        const text = `message ${worker}-${i}`;
        try {
          await queue().sendMessage(text);
          acknowledged.push(text);
        } catch (error) {
          refused.push((error as { statusCode?: number }).statusCode ?? 0);
          await sleep(20);
        }
      }
    };
    const senders = Array.from({ length: 8 }, (_, worker) => sender(worker));
    await until(() => acknowledged.length >= 100, "100 acknowledged messages");
    const killed = test.sandbox.queue.backendPid ?? 0;
    process.kill(killed, "SIGKILL");
    await until(() => test.sandbox.queue.backendState !== "running", "the supervisor to notice");
    await until(
      () => test.sandbox.queue.backendState === "running" && test.sandbox.queue.backendPid !== killed,
      "Azurite to be back",
    );
    const countAtRecovery = acknowledged.length;
    await until(() => acknowledged.length >= countAtRecovery + 50, "50 more acknowledged messages");
    sending = false;
    await Promise.all(senders);

    expect(new Set(refused)).toEqual(new Set(refused.length > 0 ? [503] : []));
    const stored = await test.sandbox.queue.drain("code-requests");
    const missing = acknowledged.filter((text) => !stored.includes(text));
    expect(missing).toEqual([]);
    // A send whose answer was lost in the kill may be stored without its 201 (it was refused): never more of those than were in flight.
    expect(stored.length - acknowledged.length).toBeLessThanOrEqual(8);
  });

  it("restarts a hung Azurite (SIGSTOP): callers get 503 within a bound, and it serves again", {
    skip: process.platform === "win32",
  }, async () => {
    await test.sandbox.queue.clear("code-requests");
    await queue().sendMessage("before the hang");
    const hung = test.sandbox.queue.backendPid ?? 0;
    process.kill(hung, "SIGSTOP");
    try {
      const started = Date.now();
      const error = (await queue()
        .sendMessage("during the hang")
        .catch((caught: unknown) => caught)) as { statusCode?: number; code?: string };
      expect(error.statusCode).toBe(503);
      expect(error.code).toBe("ServerBusy");
      // A hang guard, not a stopwatch: the gateway gives up on Azurite after 10 s.
      expect(Date.now() - started).toBeLessThan(45_000);
      await until(
        () => test.sandbox.queue.backendState === "running" && test.sandbox.queue.backendPid !== hung,
        "a new Azurite",
        60_000,
      );
    } finally {
      try {
        process.kill(hung, "SIGCONT");
      } catch {
        // already gone: the supervisor killed it
      }
    }
    await queue().sendMessage("after the hang");
    expect(await test.sandbox.queue.drain("code-requests")).toEqual(["before the hang", "after the hang"]);
  });

  it("removes Azurite's work folder when the sandbox stops", async () => {
    const other = await startTestSandbox();
    const pid = other.sandbox.queue.backendPid ?? 0;
    const workDirs = () =>
      readdirSync(tmpdir())
        .filter((entry) => entry.startsWith("keyless-azurite-"))
        .filter((entry) => readFileSafe(join(tmpdir(), entry, "owner.pid")) === String(process.pid));
    const before = workDirs();
    expect(before.length).toBeGreaterThan(0);
    await other.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(workDirs().length).toBe(before.length - 1);
  });
});

function readFileSafe(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The TCP ports these processes listen on, from /proc (Linux): every socket inode they hold, matched with the kernel's LISTEN table. */
function listeningPorts(pids: readonly number[]): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (readFileSafe(table) ?? "").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // state 0A is LISTEN; field 9 is the inode
      if (fields[3] === "0A" && inodes.has(fields[9] ?? ""))
        ports.add(Number.parseInt(fields[1]?.split(":")[1] ?? "0", 16));
    }
  }
  return [...ports];
}

/** The status a port answers (HTTPS first, then plain HTTP), or undefined when it speaks neither. */
async function statusOf(port: number, path: string, token: string): Promise<number | undefined> {
  const headers = {
    authorization: `Bearer ${token}`,
    "x-ms-version": "2025-11-05",
    host: `keyless-kv.vault.localhost:${port}`,
  };
  for (const send of [httpsRequest, httpRequest]) {
    const status = await new Promise<number | undefined>((resolve) => {
      const call = send(
        { host: "127.0.0.1", port, path, headers, timeout: 5000, rejectUnauthorized: false },
        (answer) => {
          answer.resume();
          resolve(answer.statusCode);
        },
      );
      call.once("timeout", () => call.destroy());
      call.once("error", () => resolve(undefined));
      call.end();
    });
    if (status !== undefined) return status;
  }
  return undefined;
}
