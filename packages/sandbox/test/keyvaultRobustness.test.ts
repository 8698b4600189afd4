/**
 * A Key Vault nobody can break: every refused request (4xx) leaves the vault
 * as it was, listings always end, and whatever Express itself fails on is
 * answered in Key Vault's error shape, without a stack. Raw HTTP, because the
 * SDK never sends most of these requests.
 */
import { once } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TokenValidator } from "../src/contracts.ts";
import { VAULT_RESOURCE } from "../src/index.ts";
import { createKeyVault } from "../src/providers/key-vault/service.ts";
import { SecretStore } from "../src/providers/key-vault/store.ts";
import { StateStore } from "../src/state/store.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
let token: string;
const API = "api-version=7.6";

beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
  // The learner is Key Vault Administrator: every refusal below is about the request, not the role.
  const learner = test.sandbox.directory.users[0]?.objectId ?? "";
  token = await test.sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId: learner });
});
afterAll(() => test.stop());

const url = (path: string) => `${test.sandbox.endpoints.keyVaultUrl}${path}${path.includes("?") ? "&" : "?"}${API}`;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(url(path), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

/** Everything the vault holds, every version and attribute, to compare before and after a refusal. */
const snapshot = () =>
  structuredClone({ secrets: test.sandbox.secrets.list(), deleted: test.sandbox.secrets.listDeleted() });

/** Key Vault's error shape, and nothing that looks like a stack or a path of this machine. */
async function expectVaultError(response: Response, status: number, code = "BadParameter") {
  expect(response.status).toBe(status);
  const text = await response.text();
  const body = JSON.parse(text) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error["code"]).toBe(code);
  expect(typeof body.error["message"]).toBe("string");
  expect(text).not.toMatch(/\bat .+:\d+:\d+|node_modules|\.[cm]?[jt]s\b|Error:/);
  expect(text).not.toContain(process.cwd());
  return body.error;
}

async function makeSecret(name: string, value = "v", extra: Record<string, unknown> = {}) {
  const response = await call("PUT", `/secrets/${name}`, { value, ...extra });
  expect(response.status).toBe(200);
  return json(response);
}

describe("a refused PATCH changes nothing", () => {
  it("nested tags: 400, and the secret still reads 200 with its old tags", async () => {
    await makeSecret("patched", "keep", { tags: { owner: "lesson" }, contentType: "text/plain" });
    const before = snapshot();
    const refused = await call("PATCH", "/secrets/patched", {
      tags: { a: { b: { c: "deep" } } },
      contentType: "changed",
    });
    await expectVaultError(refused, 400);
    expect(snapshot()).toEqual(before);
    const read = await call("GET", "/secrets/patched");
    expect(read.status).toBe(200);
    expect(await json(read)).toMatchObject({ value: "keep", tags: { owner: "lesson" }, contentType: "text/plain" });
  });

  it("tags nested 20,000 deep (JSON that cannot be written back): 400, and the secret still reads", async () => {
    await makeSecret("deep", "keep", { tags: { owner: "lesson" } });
    const before = snapshot();
    const nested = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    await expectVaultError(await call("PATCH", "/secrets/deep", `{"tags":{"a":${nested}}}`), 400);
    await expectVaultError(await call("PUT", "/secrets/deep", `{"value":"new","tags":{"a":${nested}}}`), 400);
    expect(snapshot()).toEqual(before);
    expect(await json(await call("GET", "/secrets/deep"))).toMatchObject({ value: "keep", tags: { owner: "lesson" } });
    expect((await call("GET", "/secrets/deep/versions")).status).toBe(200);
    expect((await call("GET", "/secrets")).status).toBe(200);
  });

  it.each([
    ["a tag value that is a number", { tags: { a: 1 } }],
    ["tags that are an array", { tags: ["a"] }],
    ["tags that are a string", { tags: "a=b" }],
    ["16 tags", { tags: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "x"])) }],
    ["a tag name over 512 characters", { tags: { ["n".repeat(513)]: "x" } }],
    ["a tag value over 512 characters", { tags: { n: "x".repeat(513) } }],
    ["a content type over 255 characters", { contentType: "c".repeat(256) }],
    ["a content type that is an object", { contentType: { type: "x" } }],
    ["enabled as a string", { attributes: { enabled: "false" } }],
    ["exp as a fraction", { attributes: { exp: 1.5 } }],
    ["nbf as a date string", { attributes: { nbf: "2030-01-01T00:00:00Z" } }],
    ["attributes that are an array", { attributes: [true] }],
    ["a body that is an array", [{ contentType: "x" }]],
  ])("%s: 400, nothing changed", async (_, body) => {
    await makeSecret("guarded", "keep", { tags: { owner: "lesson" } });
    const before = snapshot();
    await expectVaultError(await call("PATCH", "/secrets/guarded", body), 400);
    await expectVaultError(
      await call("PUT", "/secrets/guarded", Array.isArray(body) ? body : { value: "new", ...body }),
      400,
    );
    expect(snapshot()).toEqual(before);
    expect(await json(await call("GET", "/secrets/guarded"))).toMatchObject({
      value: "keep",
      tags: { owner: "lesson" },
    });
  });

  it("accepts what Azure accepts: 15 tags of 512-character names and values, a 255-character content type", async () => {
    const tags = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`${i}`.padEnd(512, "n"), "v".repeat(512)]));
    const set = await makeSecret("at-the-limits", "v", {
      tags,
      contentType: "c".repeat(255),
      attributes: { enabled: true, nbf: 0, exp: 2_000_000_000 },
    });
    expect(Object.keys(set["tags"] as object)).toHaveLength(15);
    const patched = await call("PATCH", "/secrets/at-the-limits", {
      tags: { "": "" },
      contentType: null,
      attributes: { exp: null },
    });
    expect(patched.status).toBe(200);
    expect(await json(patched)).toMatchObject({
      tags: { "": "" },
      contentType: "c".repeat(255),
      attributes: { exp: 2_000_000_000 },
    });
  });

  it("keeps a tag named __proto__ as an ordinary tag", async () => {
    const response = await call("PUT", "/secrets/proto-tag", '{"value":"v","tags":{"__proto__":"x","a":"b"}}');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"tags":{"__proto__":"x","a":"b"}');
  });
});

describe("a refused restore stores nothing", () => {
  /** A real backup of a fresh secret, decoded so a test can tamper with it, then the secret purged. */
  async function backupOf(name: string) {
    await makeSecret(name, "one");
    await makeSecret(name, "two");
    const blob = (await json(await call("POST", `/secrets/${name}/backup`)))["value"] as string;
    expect((await call("DELETE", `/secrets/${name}`)).status).toBe(200);
    expect((await call("DELETE", `/deletedsecrets/${name}`)).status).toBe(204);
    return JSON.parse(Buffer.from(blob, "base64url").toString("utf8")) as Backup;
  }
  const encode = (backup: unknown) => ({ value: Buffer.from(JSON.stringify(backup)).toString("base64url") });
  /** A backup of the two versions `backupOf` makes. */
  type Version = Record<string, unknown>;
  type Backup = { secret: { name: string; versions: [Version, Version] } };
  /** The backup with some of its secret's fields replaced. */
  const withSecret = (backup: Backup, fields: Record<string, unknown>) => ({
    ...backup,
    secret: { ...backup.secret, ...fields },
  });
  /** The backup with some of one version's fields replaced (an undefined field is left out, as JSON leaves it). */
  const withVersion = (backup: Backup, index: 0 | 1, fields: Version) => {
    const versions = [...backup.secret.versions];
    versions[index] = { ...versions[index], ...fields };
    return withSecret(backup, { versions });
  };

  it("restores an untouched backup (the control)", async () => {
    const backup = await backupOf("restorable");
    const restored = await call("POST", "/secrets/restore", encode(backup));
    expect(restored.status).toBe(200);
    expect(await json(await call("GET", "/secrets/restorable"))).toMatchObject({ value: "two" });
  });

  it.each<[string, (backup: Backup) => unknown]>([
    ["a version whose tags are nested", (b) => withVersion(b, 0, { tags: { a: { b: "c" } } })],
    ["a version whose value is a number", (b) => withVersion(b, 1, { value: 42 })],
    ["a version over 25,600 characters", (b) => withVersion(b, 0, { value: "x".repeat(25_601) })],
    ["a version whose enabled is a string", (b) => withVersion(b, 0, { enabled: "yes" })],
    ["a version whose expiry is a fraction", (b) => withVersion(b, 0, { expires: 1.25 })],
    ["a version without an id", (b) => withVersion(b, 1, { version: undefined })],
    ["two versions with one id", (b) => withVersion(b, 1, { version: b.secret.versions[0]["version"] })],
    ["a version that is not an object", (b) => withSecret(b, { versions: ["v", b.secret.versions[1]] })],
    ["no versions", (b) => withSecret(b, { versions: [] })],
    ["versions that are not a list", (b) => withSecret(b, { versions: { 0: b.secret.versions[0] } })],
    ["a name a set refuses", (b) => withSecret(b, { name: "bad_name" })],
    ["a name of 128 characters", (b) => withSecret(b, { name: "a".repeat(128) })],
    ["no secret", () => ({ format: "keyless-sandbox-backup-1" })],
  ])("%s: 400, nothing stored", async (_, tamper) => {
    const backup = await backupOf("tampered");
    const before = snapshot();
    await expectVaultError(await call("POST", "/secrets/restore", encode(tamper(backup))), 400);
    expect(snapshot()).toEqual(before);
    expect((await call("GET", "/secrets/tampered")).status).toBe(404);
  });

  it.each([
    ["no value", {}],
    ["a value that is not base64url", { value: "%%%not base64%%%" }],
    ["a value that is not JSON", { value: Buffer.from("not json").toString("base64url") }],
    ["a value that is a number", { value: 12 }],
  ])("a blob with %s: 400, nothing stored", async (_, body) => {
    const before = snapshot();
    await expectVaultError(await call("POST", "/secrets/restore", body), 400);
    expect(snapshot()).toEqual(before);
  });
});

describe("listings", () => {
  it.each(["0", "26", "-1", "abc", "1.5", "", "1e1"])("maxresults=%s: 400 BadParameter", async (maxresults) => {
    for (const path of ["/secrets", "/deletedsecrets", "/secrets/third-party-api-key/versions"]) {
      await expectVaultError(await call("GET", `${path}?maxresults=${maxresults}`), 400);
    }
  });

  it("maxresults 1 and 25 are Azure's bounds, and both list", async () => {
    expect((await call("GET", "/secrets?maxresults=1")).status).toBe(200);
    expect((await call("GET", "/secrets?maxresults=25")).status).toBe(200);
  });

  it.each(["5", "-3", "abc", "0.1.x", "MjU"])("a $skiptoken the vault did not issue (%s): 400", async (skiptoken) => {
    await expectVaultError(await call("GET", `/secrets?$skiptoken=${skiptoken}`), 400);
  });

  it("refuses a token issued for another listing", async () => {
    for (const n of [1, 2, 3]) await makeSecret(`listed-${n}`);
    const first = await json(await call("GET", "/secrets?maxresults=1"));
    const token = new URL(first["nextLink"] as string).searchParams.get("$skiptoken") ?? "";
    expect(token).not.toBe("");
    await expectVaultError(await call("GET", `/deletedsecrets?$skiptoken=${encodeURIComponent(token)}`), 400);
  });

  it("a listing followed page by page always ends, and lists each secret once", async () => {
    for (const n of [1, 2, 3, 4, 5]) await makeSecret(`paged-${n}`);
    const expected = test.sandbox.secrets.list().length;
    for (const size of [1, 2, 3, 25]) {
      const seen: string[] = [];
      let next: string | null = url(`/secrets?maxresults=${size}`);
      let pages = 0;
      while (next) {
        pages += 1;
        expect(pages).toBeLessThanOrEqual(expected + 1);
        const page = await json(await fetch(next, { headers: { authorization: `Bearer ${token}` } }));
        seen.push(...(page["value"] as { id: string }[]).map((item) => item.id));
        next = page["nextLink"] as string | null;
      }
      expect(seen).toHaveLength(expected);
      expect(new Set(seen).size).toBe(expected);
    }
  });

  it("a token past the end (secrets deleted meanwhile) gives an empty last page", async () => {
    for (const n of [1, 2]) await makeSecret(`shrinking-${n}`);
    const all = test.sandbox.secrets.list().length;
    const first = await json(await call("GET", `/secrets?maxresults=${all - 1}`));
    for (const n of [1, 2]) expect((await call("DELETE", `/secrets/shrinking-${n}`)).status).toBe(200);
    const last = await json(
      await fetch(first["nextLink"] as string, { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(last["nextLink"]).toBeNull();
  });
});

describe("Express's own failures, in Key Vault's shape", () => {
  it("malformed JSON: 400, no stack", async () => {
    const before = snapshot();
    await expectVaultError(await call("PUT", "/secrets/malformed", '{"value": "x",'), 400);
    await expectVaultError(await call("PATCH", "/secrets/third-party-api-key", "{tags:"), 400);
    expect(snapshot()).toEqual(before);
  });

  it("a body too large: 4xx in Key Vault's shape", async () => {
    const response = await call("PUT", "/secrets/huge", { value: "x".repeat(300_000) });
    expect(response.status).toBe(400);
    await expectVaultError(response, 400);
  });

  it("a URL that does not decode: 400", async () => {
    await expectVaultError(await call("GET", "/secrets/%E0%A4%A"), 400);
    await expectVaultError(await call("PUT", "/secrets/%ZZ", { value: "x" }), 400);
  });

  it("an unsupported body encoding: Key Vault's shape", async () => {
    const response = await call("PUT", "/secrets/encoded", "{}", { "content-encoding": "bogus" });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await expectVaultError(response, response.status);
  });

  it("an unknown route: 400 BadParameter, after authentication", async () => {
    await expectVaultError(await call("GET", "/keys"), 400);
    const anonymous = await fetch(url("/keys"));
    expect(anonymous.status).toBe(401);
  });

  it("authenticates before it reads a body: no token and malformed JSON is the 401 challenge", async () => {
    const response = await fetch(url("/secrets/x"), {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer authorization=");
  });

  it("another vault's name: 404 VaultNotFound in Key Vault's shape", async () => {
    const other = test.sandbox.endpoints.keyVaultUrl.replace("keyless-kv", "someone-elses-kv");
    const response = await fetch(`${other}/secrets/x?${API}`);
    await expectVaultError(response, 404, "VaultNotFound");
  });
});

describe("the other mutating routes refuse before they change", () => {
  it("delete, recover, purge and backup of a bad name: 400, nothing changed", async () => {
    const before = snapshot();
    for (const [method, path] of [
      ["DELETE", "/secrets/bad_name"],
      ["POST", "/deletedsecrets/bad_name/recover"],
      ["DELETE", "/deletedsecrets/bad_name"],
      ["POST", "/secrets/bad_name/backup"],
    ] as const) {
      await expectVaultError(await call(method, path), 400);
    }
    expect(snapshot()).toEqual(before);
  });

  it("a caller without the role gets 403 and changes nothing", async () => {
    await makeSecret("protected", "keep");
    const sp = test.sandbox.tenant.servicePrincipals[0];
    const reader = test.sandbox.directory.find(sp?.displayName ?? "")?.objectId ?? "";
    const readerToken = await test.sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId: reader });
    const before = snapshot();
    for (const [method, path, body] of [
      ["PUT", "/secrets/protected", { value: "x" }],
      ["PATCH", "/secrets/protected", { enabled: false }],
      ["DELETE", "/secrets/protected", undefined],
      ["POST", "/secrets/protected/backup", undefined],
    ] as const) {
      const response = await fetch(url(path), {
        method,
        headers: { authorization: `Bearer ${readerToken}`, "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      await expectVaultError(response, 403, "Forbidden");
    }
    expect(snapshot()).toEqual(before);
  });
});

describe("anything thrown inside the vault", () => {
  /** A vault on its own, with stand-ins for tokens and roles, and a store that may break. */
  async function vaultWith(
    store: SecretStore,
    tokens: TokenValidator = { validate: async () => ({ ok: true, principal: { objectId: "o", tenantId: "t" } }) },
  ) {
    const seen: unknown[] = [];
    const vault = {
      name: "kv",
      store,
      resourceId: "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv",
      location: "westeurope",
      url: "http://kv.vault.localhost",
    };
    const app = createKeyVault({
      vault: (name) => (name === "kv" ? vault : undefined),
      serviceId: "/subscriptions/s/providers/Microsoft.KeyVault",
      tokens,
      rbac: { isAllowed: () => true, decide: () => ({ allowed: true }) },
      authority: () => "https://localhost/t",
      issuer: "https://localhost/t/v2.0",
      challengeResource: () => "https://vault.localhost",
      onError: (error) => seen.push(error),
    });
    const server = createServer(app).listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const get = (path: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        request(
          { host: "127.0.0.1", port, path, headers: { host: "kv.vault.localhost", authorization: "Bearer t" } },
          (response) => {
            let text = "";
            response.on("data", (chunk: Buffer) => (text += chunk.toString()));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
          },
        )
          .on("error", reject)
          .end();
      });
    return { get, seen, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it("a store that throws: 500 InternalServerError in Key Vault's shape, the error kept out of the answer", async () => {
    class BrokenStore extends SecretStore {
      override list(): never {
        throw new Error("disk on fire at /srv/vault/store.ts:12:3");
      }
    }
    const vault = await vaultWith(new BrokenStore({ vault: "keyless-kv", state: StateStore.open(":memory:") }));
    const answer = await vault.get(`/secrets?${API}`);
    await vault.close();
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.text)).toEqual({ error: { code: "InternalServerError", message: expect.any(String) } });
    expect(answer.text).not.toMatch(/disk on fire|store\.ts|\/srv\//);
    expect(vault.seen).toHaveLength(1);
  });

  it("a token check that rejects: 500 in Key Vault's shape", async () => {
    const vault = await vaultWith(new SecretStore({ vault: "keyless-kv", state: StateStore.open(":memory:") }), {
      validate: () => Promise.reject(new Error("keys unreachable")),
    });
    const answer = await vault.get(`/secrets?${API}`);
    await vault.close();
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.text).error.code).toBe("InternalServerError");
    expect(answer.text).not.toContain("keys unreachable");
  });
});
