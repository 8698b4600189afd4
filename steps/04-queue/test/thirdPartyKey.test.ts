import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { setTimeout } from "node:timers/promises";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { SecretClient, type GetSecretOptions } from "@azure/keyvault-secrets";
import { describe, expect, it } from "vitest";
import { HttpError } from "../src/errors.ts";
import { REREAD_TIMEOUT_MS, thirdPartyKeyFromKeyVault } from "../src/thirdPartyKey.ts";

/** Stands in for SecretClient: counts reads, can change its value, fail, or hang for good (deaf to any abort signal). */
function fakeVault(initial: string) {
  const vault = { value: initial, reads: 0, failing: false, hanging: false };
  const client = {
    async getSecret(name: string) {
      vault.reads++;
      await setTimeout(20);
      if (vault.hanging) await new Promise(() => {});
      if (vault.failing) throw Object.assign(new Error("Service unavailable"), { name: "RestError", statusCode: 503 });
      return { name, value: vault.value, properties: { name, vaultUrl: "https://kv.vault.azure.net" } };
    },
  } as unknown as SecretClient;
  return { vault, client };
}

/** A "Key Vault" that accepts connections and never answers, not even the TLS handshake. */
async function startHungServer() {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    accepted: () => accepted,
    async stop() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/** A credential that always has a token: the hung vault is never asked to check it. */
const anyToken: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: "not-checked", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** Hang guard only: how long a test waits before it calls the read hung. Not a speed limit. */
const HANG_GUARD_MS = REREAD_TIMEOUT_MS + 20_000;

async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | "hung"> {
  return Promise.race([promise, setTimeout(ms, "hung" as const, { ref: false })]);
}

describe("the key from Key Vault", () => {
  it("is read once, at start-up", async () => {
    const { vault, client } = fakeVault("key-1");
    const key = await thirdPartyKeyFromKeyVault(client, "third-party-api-key");
    expect(key.current()).toBe("key-1");
    expect(key.current()).toBe("key-1");
    expect(vault.reads).toBe(1);
  });

  it("is read again once when many requests see a 401 at the same time", async () => {
    const { vault, client } = fakeVault("key-1");
    const key = await thirdPartyKeyFromKeyVault(client, "third-party-api-key");
    vault.value = "key-2";
    const refreshed = await Promise.all(Array.from({ length: 25 }, () => key.refresh?.("key-1")));
    expect(new Set(refreshed)).toEqual(new Set(["key-2"]));
    expect(vault.reads).toBe(2);
  });

  it("is not read again for a request that saw the 401 after another request already refreshed it", async () => {
    const { vault, client } = fakeVault("key-1");
    const key = await thirdPartyKeyFromKeyVault(client, "third-party-api-key");
    vault.value = "key-2";
    await key.refresh?.("key-1");
    expect(await key.refresh?.("key-1")).toBe("key-2");
    expect(vault.reads).toBe(2);
  });

  it("turns a failed re-read into a 502 that names Key Vault and holds no key", async () => {
    const { vault, client } = fakeVault("key-1");
    const key = await thirdPartyKeyFromKeyVault(client, "third-party-api-key");
    vault.failing = true;
    const error = await key.refresh?.("key-1").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(502);
    expect((error as HttpError).body.hint).toMatch(/Key Vault failed \(503\)/);
    expect(JSON.stringify((error as HttpError).body)).not.toContain("key-1");
    vault.failing = false;
    expect(await key.refresh?.("key-1")).toBe("key-1");
  });

  it("gives up on a read that never ends, even one deaf to the abort signal: every waiting caller gets a 502 that says so", async () => {
    const { vault, client } = fakeVault("key-1");
    const key = await thirdPartyKeyFromKeyVault(client, "third-party-api-key");
    vault.hanging = true;
    const errors = await settledWithin(
      Promise.all(Array.from({ length: 10 }, () => key.refresh?.("key-1").catch((caught: unknown) => caught))),
      HANG_GUARD_MS,
    );
    expect(errors, "the callers were still waiting").not.toBe("hung");
    expect(vault.reads).toBe(2);
    for (const error of errors as unknown[]) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(502);
      expect((error as HttpError).body.upstreamStatus).toBe(401);
      expect((error as HttpError).body.hint).toBe(
        `The third-party API rejected the key, and Key Vault, or the app's sign-in to it, did not answer within ${REREAD_TIMEOUT_MS / 1000} s when the app read the key again. Try again later.`,
      );
    }
    // The next 401 reads again, and a vault that answers again is used.
    vault.hanging = false;
    vault.value = "key-2";
    expect(await key.refresh?.("key-1")).toBe("key-2");
    expect(vault.reads).toBe(3);
  });

  it("hands the real SecretClient the deadline: it gives up on a vault that accepts the connection and never answers", async () => {
    const hung = await startHungServer();
    try {
      // Start-up reads from the fake; the read after the 401 goes through the real SDK to the hung vault.
      const { vault, client: fake } = fakeVault("key-1");
      const real = new SecretClient(hung.url, anyToken);
      let sdkRead: Promise<unknown> | undefined;
      const client = {
        getSecret: (name: string, options?: GetSecretOptions) => {
          if (vault.reads === 0) return fake.getSecret(name, options);
          sdkRead = real.getSecret(name, options);
          return sdkRead;
        },
      } as unknown as SecretClient;
      const key = await thirdPartyKeyFromKeyVault(client, "third-party-api-key");
      const error = await settledWithin(
        key.refresh?.("key-1").catch((caught: unknown) => caught) ?? Promise.resolve(),
        HANG_GUARD_MS,
      );
      expect(error, "the read was still waiting").not.toBe("hung");
      expect(hung.accepted()).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(502);
      expect((error as HttpError).body.hint).toMatch(/did not answer within/);
      // The SDK heard the signal: its own request ended too, rather than waiting on in the background.
      expect(
        await settledWithin(sdkRead?.catch((caught: unknown) => caught) ?? Promise.resolve(), HANG_GUARD_MS),
      ).toMatchObject({ name: "AbortError" });
    } finally {
      await hung.stop();
    }
  });
});
