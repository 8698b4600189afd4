/**
 * Key Vault's secret operations, one row each: the request that calls it
 * (method and path, as in Azure's REST API specification) and the Azure RBAC
 * data action it needs, checked at the vault or at the one secret. The vault
 * routes every request through this table, so every operation is authorized
 * the same way.
 */
import type { Operation } from "../../pipeline.ts";

const SECRETS = "Microsoft.KeyVault/vaults/secrets";
/** Room for any set or update within Azure's limits (a 25 KB value, 15 tags), JSON-escaped. */
const BODY_LIMIT = 200 * 1024;
/** A backup holds every version of a secret: a restore may be much larger than a set. */
const RESTORE_BODY_LIMIT = 8 * 1024 * 1024;

export type VaultOperationName =
  | "Get Secrets"
  | "Restore Secret"
  | "Get Secret Versions"
  | "Backup Secret"
  | "Get Secret"
  | "Set Secret"
  | "Update Secret"
  | "Delete Secret"
  | "Get Deleted Secrets"
  | "Get Deleted Secret"
  | "Recover Deleted Secret"
  | "Purge Deleted Secret";

export interface VaultOperation extends Operation {
  readonly name: VaultOperationName;
  /** The operationName Key Vault's AuditEvent log gives it (SecretGet, SecretSet, ...). */
  readonly auditName: string;
  readonly method: "GET" | "PUT" | "PATCH" | "POST" | "DELETE";
  /** Azure's path template: `{secret-name}`, and `{secret-version?}` where the version may be left out. */
  readonly path: string;
  readonly dataAction: string;
  /**
   * Where the data action is checked: the vault, the secret the URL names, or
   * (for a restore, whose URL names none) the secret the backup holds.
   */
  readonly scope: "vault" | "secret" | "backup";
}

const row = (
  name: VaultOperationName,
  auditName: string,
  method: VaultOperation["method"],
  path: string,
  action: string,
  scope: VaultOperation["scope"],
): VaultOperation => ({
  name,
  auditName,
  method,
  path,
  dataAction: `${SECRETS}/${action}`,
  allowedBy: [[`${SECRETS}/${action}`]],
  scope,
  bodyLimit: scope === "backup" ? RESTORE_BODY_LIMIT : BODY_LIMIT,
});

/** In matching order: `/secrets/{secret-name}/versions` before `/secrets/{secret-name}/{secret-version?}`. */
export const VAULT_OPERATIONS: readonly VaultOperation[] = [
  row("Get Secrets", "SecretList", "GET", "/secrets", "readMetadata/action", "vault"),
  row("Restore Secret", "SecretRestore", "POST", "/secrets/restore", "restore/action", "backup"),
  row(
    "Get Secret Versions",
    "SecretListVersions",
    "GET",
    "/secrets/{secret-name}/versions",
    "readMetadata/action",
    "secret",
  ),
  row("Backup Secret", "SecretBackup", "POST", "/secrets/{secret-name}/backup", "backup/action", "secret"),
  row("Get Secret", "SecretGet", "GET", "/secrets/{secret-name}/{secret-version?}", "getSecret/action", "secret"),
  row("Set Secret", "SecretSet", "PUT", "/secrets/{secret-name}", "setSecret/action", "secret"),
  row("Update Secret", "SecretUpdate", "PATCH", "/secrets/{secret-name}/{secret-version?}", "update/action", "secret"),
  row("Delete Secret", "SecretDelete", "DELETE", "/secrets/{secret-name}", "delete", "secret"),
  row("Get Deleted Secrets", "SecretListDeleted", "GET", "/deletedsecrets", "readMetadata/action", "vault"),
  row(
    "Get Deleted Secret",
    "SecretGetDeleted",
    "GET",
    "/deletedsecrets/{secret-name}",
    "readMetadata/action",
    "secret",
  ),
  row(
    "Recover Deleted Secret",
    "SecretRecover",
    "POST",
    "/deletedsecrets/{secret-name}/recover",
    "recover/action",
    "secret",
  ),
  row("Purge Deleted Secret", "SecretPurge", "DELETE", "/deletedsecrets/{secret-name}", "purge/action", "secret"),
];

export type OperationMatch =
  | {
      readonly kind: "operation";
      readonly operation: VaultOperation;
      readonly secretName?: string;
      readonly secretVersion?: string;
    }
  | { readonly kind: "unsupported" }
  /** A path segment that is not valid percent-encoded UTF-8. */
  | { readonly kind: "undecodable" };

/**
 * The operation a request calls, from its method and its raw (still
 * percent-encoded) path. Literal segments match case-insensitively and a
 * trailing slash is ignored, as the vault's routes always did; HEAD is GET.
 */
export function vaultOperation(method: string, rawPath: string): OperationMatch {
  const verb = method.toUpperCase() === "HEAD" ? "GET" : method.toUpperCase();
  if (!rawPath.startsWith("/")) return { kind: "unsupported" };
  const raw = rawPath.slice(1).replace(/\/$/, "").split("/");
  let segments: string[];
  try {
    segments = raw.map((segment) => decodeURIComponent(segment));
  } catch {
    return { kind: "undecodable" };
  }
  for (const operation of VAULT_OPERATIONS) {
    if (operation.method !== verb) continue;
    const found = matchTemplate(operation.path, segments);
    if (found) return { kind: "operation", operation, ...found };
  }
  return { kind: "unsupported" };
}

function matchTemplate(
  template: string,
  segments: readonly string[],
): { secretName?: string; secretVersion?: string } | undefined {
  const parts = template.slice(1).split("/");
  const required = parts.filter((part) => !part.endsWith("?}")).length;
  if (segments.length < required || segments.length > parts.length) return undefined;
  const found: { secretName?: string; secretVersion?: string } = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index];
    if (segment === undefined) continue; // an optional part left out
    if (part.startsWith("{")) {
      if (segment === "") return undefined;
      if (part.startsWith("{secret-name")) found.secretName = segment;
      else found.secretVersion = segment;
    } else if (segment.toLowerCase() !== part) {
      return undefined;
    }
  }
  return found;
}
