/**
 * Key Vault's operations, row by row: the request the SDK sends, the
 * operation it calls, and the RBAC data action checked at the vault or at
 * the secret (Azure's "Key Vault data plane" actions for secrets).
 */
import { describe, expect, it } from "vitest";
import { VAULT_OPERATIONS, vaultOperation } from "../src/providers/key-vault/operations.ts";

const S = "Microsoft.KeyVault/vaults/secrets";

const rows: [
  method: string,
  path: string,
  name: string,
  dataAction: string,
  scope: string,
  secretName?: string,
  secretVersion?: string,
][] = [
  ["GET", "/secrets", "Get Secrets", `${S}/readMetadata/action`, "vault"],
  ["POST", "/secrets/restore", "Restore Secret", `${S}/restore/action`, "backup"],
  ["GET", "/secrets/api-key/versions", "Get Secret Versions", `${S}/readMetadata/action`, "secret", "api-key"],
  ["POST", "/secrets/api-key/backup", "Backup Secret", `${S}/backup/action`, "secret", "api-key"],
  ["GET", "/secrets/api-key", "Get Secret", `${S}/getSecret/action`, "secret", "api-key"],
  ["GET", "/secrets/api-key/", "Get Secret", `${S}/getSecret/action`, "secret", "api-key"],
  ["GET", "/secrets/api-key/0123abcd", "Get Secret", `${S}/getSecret/action`, "secret", "api-key", "0123abcd"],
  ["HEAD", "/secrets/api-key", "Get Secret", `${S}/getSecret/action`, "secret", "api-key"],
  ["GET", "/secrets/restore", "Get Secret", `${S}/getSecret/action`, "secret", "restore"],
  ["GET", "/secrets/api-key/backup", "Get Secret", `${S}/getSecret/action`, "secret", "api-key", "backup"],
  ["PUT", "/secrets/api-key", "Set Secret", `${S}/setSecret/action`, "secret", "api-key"],
  ["PATCH", "/secrets/api-key", "Update Secret", `${S}/update/action`, "secret", "api-key"],
  ["PATCH", "/secrets/api-key/0123abcd", "Update Secret", `${S}/update/action`, "secret", "api-key", "0123abcd"],
  ["DELETE", "/secrets/api-key", "Delete Secret", `${S}/delete`, "secret", "api-key"],
  ["GET", "/deletedsecrets", "Get Deleted Secrets", `${S}/readMetadata/action`, "vault"],
  ["GET", "/deletedsecrets/api-key", "Get Deleted Secret", `${S}/readMetadata/action`, "secret", "api-key"],
  ["POST", "/deletedsecrets/api-key/recover", "Recover Deleted Secret", `${S}/recover/action`, "secret", "api-key"],
  ["DELETE", "/deletedsecrets/api-key", "Purge Deleted Secret", `${S}/purge/action`, "secret", "api-key"],
  // Literal segments match whatever their case, as the vault's routes always did; names are decoded.
  ["GET", "/Secrets/API-Key/Versions", "Get Secret Versions", `${S}/readMetadata/action`, "secret", "API-Key"],
  ["GET", "/secrets/a%2Db", "Get Secret", `${S}/getSecret/action`, "secret", "a-b"],
  ["GET", "/secrets/a%2Fb", "Get Secret", `${S}/getSecret/action`, "secret", "a/b"],
];

describe("the RBAC data actions of Key Vault's secret operations", () => {
  it.each(rows)("%s %s is %s", (method, path, name, dataAction, scope, secretName, secretVersion) => {
    const match = vaultOperation(method, path);
    expect(match.kind).toBe("operation");
    if (match.kind !== "operation") return;
    expect({
      name: match.operation.name,
      dataAction: match.operation.dataAction,
      scope: match.operation.scope,
    }).toEqual({ name, dataAction, scope });
    expect(match.secretName).toBe(secretName);
    expect(match.secretVersion).toBe(secretVersion);
  });

  it.each([
    ["GET", "/"],
    ["GET", "/keys"],
    ["GET", "/secrets/a/b/c"],
    ["GET", "/secrets//versions"],
    ["DELETE", "/secrets/a/0123"],
    ["PUT", "/secrets"],
    ["POST", "/secrets/a"],
    ["OPTIONS", "/secrets"],
    ["GET", "//secrets/a"],
    ["PATCH", "/deletedsecrets/a"],
  ])("%s %s is no operation", (method, path) => {
    expect(vaultOperation(method, path)).toEqual({ kind: "unsupported" });
  });

  it("tells a path that does not decode from one that matches nothing", () => {
    expect(vaultOperation("GET", "/secrets/%E0%A4%A")).toEqual({ kind: "undecodable" });
    expect(vaultOperation("GET", "/secrets/%ZZ")).toEqual({ kind: "undecodable" });
  });

  it("has one row per operation, each reachable as written", () => {
    expect(new Set(VAULT_OPERATIONS.map((operation) => operation.name)).size).toBe(VAULT_OPERATIONS.length);
    for (const operation of VAULT_OPERATIONS) {
      const path = operation.path.replace("{secret-name}", "a").replace("/{secret-version?}", "");
      const match = vaultOperation(operation.method, path);
      expect(match.kind === "operation" && match.operation.name).toBe(operation.name);
    }
  });
});
