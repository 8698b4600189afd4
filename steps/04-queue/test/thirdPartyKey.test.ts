import { setTimeout } from "node:timers/promises";
import type { SecretClient } from "@azure/keyvault-secrets";
import { describe, expect, it } from "vitest";
import { HttpError } from "../src/errors.ts";
import { thirdPartyKeyFromKeyVault } from "../src/thirdPartyKey.ts";

/** Stands in for SecretClient: counts reads, can change its value or fail. */
function fakeVault(initial: string) {
  const vault = { value: initial, reads: 0, failing: false };
  const client = {
    async getSecret(name: string) {
      vault.reads++;
      await setTimeout(20);
      if (vault.failing) throw Object.assign(new Error("Service unavailable"), { name: "RestError", statusCode: 503 });
      return { name, value: vault.value, properties: { name, vaultUrl: "https://kv.vault.azure.net" } };
    },
  } as unknown as SecretClient;
  return { vault, client };
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
});
