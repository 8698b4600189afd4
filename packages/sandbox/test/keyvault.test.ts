/**
 * The Key Vault secrets data plane, driven by the real SecretClient 4.12 and
 * a real ClientSecretCredential (only standard options): every operation the
 * SDK exposes, and the errors Azure answers with.
 */
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient, type SecretProperties } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VAULT_RESOURCE } from "../src/index.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
let client: SecretClient;
let learnerToken: string;

beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
  const { sandbox } = test;
  // The service principal of step 02 only reads; the developer (Key Vault Administrator) writes.
  const learner = sandbox.directory.users[0]?.objectId ?? "";
  learnerToken = await sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId: learner });
  client = new SecretClient(sandbox.endpoints.keyVaultUrl, {
    getToken: async () => ({
      token: await sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId: learner }),
      expiresOnTimestamp: Date.now() + 3_600_000,
    }),
  });
});
afterAll(() => test.stop());

const raw = (path: string, init: RequestInit = {}) =>
  fetch(`${test.sandbox.endpoints.keyVaultUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${learnerToken}`, "content-type": "application/json", ...init.headers },
  });

describe("Key Vault with the real SDK", () => {
  it("gives the provisioned secret to the step 02 service principal (ClientSecretCredential, tenant alias adfs)", async () => {
    const { sandbox } = test;
    const sp = sandbox.tenant.servicePrincipals[0];
    const credential = new ClientSecretCredential("adfs", sp?.appId ?? "", sp?.secret ?? "", {
      authorityHost: sandbox.endpoints.authorityHost,
    });
    const secret = await new SecretClient(sandbox.endpoints.keyVaultUrl, credential).getSecret("third-party-api-key");
    expect(secret.value).toBe(sandbox.tenant.thirdParty.keys[0]);
    expect(secret.properties.vaultUrl).toBe(sandbox.endpoints.keyVaultUrl);
  });

  it("sets new versions with content type, tags and attributes, and gets the latest or one version", async () => {
    const first = await client.setSecret("rotated", "one", { contentType: "text/plain", tags: { owner: "lesson" } });
    const second = await client.setSecret("rotated", "two", { expiresOn: new Date(Date.now() + 86_400_000) });
    expect(first.properties.version).not.toBe(second.properties.version);
    expect(first.properties.contentType).toBe("text/plain");
    expect(first.properties.tags).toEqual({ owner: "lesson" });
    expect((await client.getSecret("rotated")).value).toBe("two");
    expect((await client.getSecret("rotated", { version: first.properties.version ?? "" })).value).toBe("one");
    const versions: SecretProperties[] = [];
    for await (const version of client.listPropertiesOfSecretVersions("rotated")) versions.push(version);
    expect(versions.map((v) => v.version).sort()).toEqual([first.properties.version, second.properties.version].sort());
  });

  it("lists secrets page by page, following nextLink", async () => {
    for (const n of [1, 2, 3]) await client.setSecret(`paged-${n}`, `v${n}`);
    const pages: number[] = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) pages.push(page.length);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every((size) => size <= 2)).toBe(true);
    const names: string[] = [];
    for await (const secret of client.listPropertiesOfSecrets()) names.push(secret.name);
    expect(names).toEqual(expect.arrayContaining(["paged-1", "paged-2", "paged-3", "third-party-api-key"]));
  });

  it("updates properties, and refuses to get a disabled secret with Azure's 403", async () => {
    const { properties } = await client.setSecret("toggled", "value");
    const updated = await client.updateSecretProperties("toggled", properties.version ?? "", {
      enabled: false,
      contentType: "pem",
      tags: { a: "b" },
    });
    expect(updated.enabled).toBe(false);
    expect(updated.contentType).toBe("pem");
    await expect(client.getSecret("toggled")).rejects.toMatchObject({
      statusCode: 403,
      code: "Forbidden",
      message: "Operation get is not allowed on a disabled secret.",
    });
    await client.updateSecretProperties("toggled", properties.version ?? "", { enabled: true });
    expect((await client.getSecret("toggled")).value).toBe("value");
  });

  it("returns expired and not-yet-valid secrets, as Azure does (only enabled blocks a get)", async () => {
    await client.setSecret("dated", "still here", {
      expiresOn: new Date(Date.now() - 60_000),
      notBefore: new Date(Date.now() + 60_000),
    });
    expect((await client.getSecret("dated")).value).toBe("still here");
  });

  it("soft-deletes, lists and gets deleted secrets, recovers and purges", async () => {
    await client.setSecret("doomed", "bye");
    const deleted = await (await client.beginDeleteSecret("doomed")).pollUntilDone();
    expect(deleted.properties.recoveryId).toBe(`${test.sandbox.endpoints.keyVaultUrl}/deletedsecrets/doomed`);
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date);
    expect(deleted.properties.scheduledPurgeDate?.getTime()).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    await expect(client.getSecret("doomed")).rejects.toMatchObject({ statusCode: 404, code: "SecretNotFound" });
    await expect(client.setSecret("doomed", "again")).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
    const names: string[] = [];
    for await (const item of client.listDeletedSecrets()) names.push(item.name);
    expect(names).toContain("doomed");
    expect((await client.getDeletedSecret("doomed")).name).toBe("doomed");
    await (await client.beginRecoverDeletedSecret("doomed")).pollUntilDone();
    expect((await client.getSecret("doomed")).value).toBe("bye");
    await (await client.beginDeleteSecret("doomed")).pollUntilDone();
    await client.purgeDeletedSecret("doomed");
    await expect(client.getDeletedSecret("doomed")).rejects.toMatchObject({ statusCode: 404 });
  });

  it("backs up and restores (a restore over an existing name conflicts)", async () => {
    await client.setSecret("kept", "precious");
    const backup = await client.backupSecret("kept");
    expect(backup).toBeInstanceOf(Uint8Array);
    await expect(client.restoreSecretBackup(backup ?? new Uint8Array())).rejects.toMatchObject({ statusCode: 409 });
    await (await client.beginDeleteSecret("kept")).pollUntilDone();
    await client.purgeDeletedSecret("kept");
    const restored = await client.restoreSecretBackup(backup ?? new Uint8Array());
    expect(restored.name).toBe("kept");
    expect((await client.getSecret("kept")).value).toBe("precious");
  });

  it("answers 404 SecretNotFound with Azure's message", async () => {
    await expect(client.getSecret("missing")).rejects.toMatchObject({
      statusCode: 404,
      code: "SecretNotFound",
      message: expect.stringContaining("A secret with (name/id) missing was not found in this key vault."),
    });
  });
});

describe("Key Vault input checks", () => {
  it("refuses a bad secret name with 400 BadParameter", async () => {
    await expect(client.setSecret("bad_name", "x")).rejects.toMatchObject({ statusCode: 400, code: "BadParameter" });
    await expect(client.setSecret("a".repeat(128), "x")).rejects.toMatchObject({
      statusCode: 400,
      code: "BadParameter",
    });
  });

  it("refuses a value over 25 KB", async () => {
    await expect(client.setSecret("big", "x".repeat(25_601))).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining("25600"),
    });
    expect((await client.setSecret("big", "x".repeat(25_600))).value?.length).toBe(25_600);
  });

  it("requires a known api-version", async () => {
    const missing = await raw("/secrets/third-party-api-key");
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("MissingApiVersionParameter");
    const unknown = await raw("/secrets/third-party-api-key?api-version=1.0");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({
      error: {
        code: "BadParameter",
        message: expect.stringMatching(
          /^The specified version \(1\.0\) is not recognized\. Consider using the latest supported version \(.+\)\.$/,
        ),
      },
    });
  });

  it("answers for its own vault name only", async () => {
    const other = test.sandbox.endpoints.keyVaultUrl.replace("keyless-kv", "someone-elses-kv");
    const response = await fetch(`${other}/secrets/x?api-version=7.6`);
    expect(response.status).toBe(404);
  });
});
