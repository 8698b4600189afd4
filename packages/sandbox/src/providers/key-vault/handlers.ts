/**
 * Key Vault's secret operations, one handler each (the pipeline has already
 * authenticated the caller, matched the operation, read and checked the body,
 * and asked RBAC). Each checks what it is given against the vault's state
 * before it changes anything, and answers in Key Vault's JSON.
 */
import type { Answer, Call } from "../../pipeline.ts";
import * as errors from "./errors.ts";
import type { VaultOperation, VaultOperationName } from "./operations.ts";
import { PageTokens, pageOf } from "./paging.ts";
import { type SecretStore, type SecretVersion, type StoredSecret, latest, versionOf } from "./store.ts";
import { BACKUP_FORMAT, type SecretProperties, type SetParameters } from "./validation.ts";

export interface VaultHandlerOptions {
  readonly name: string;
  readonly store: SecretStore;
  /** `https://<name>.vault.localhost:<port>`, known once the server listens. */
  readonly vaultUrl: () => string;
}

export type VaultCall = Call<VaultOperation>;

/** A Key Vault error as the pipeline writes it (its code, for the log, is the inner one when there is one). */
export const refusal = (failure: errors.KeyVaultError): Answer => ({
  status: failure.status,
  body: failure.body,
  errorCode: failure.body.error.innererror?.code ?? failure.body.error.code,
  errorMessage: failure.body.error.message,
});

const ok = (body: object): Answer => ({ status: 200, body });

/** Repeated query parameters stay repeated (a page size given twice is refused, not guessed). */
const queryRecord = (query: URLSearchParams): Record<string, string | string[]> => {
  const record: Record<string, string | string[]> = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    record[name] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return record;
};

export function vaultHandlers(options: VaultHandlerOptions): Record<VaultOperationName, (call: VaultCall) => Answer> {
  const { store } = options;
  const tokens = new PageTokens();
  const id = (name: string, version?: string) => `${options.vaultUrl()}/secrets/${name}${version ? `/${version}` : ""}`;
  const attributes = (version: SecretVersion) => ({
    enabled: version.enabled,
    ...(version.notBefore !== undefined ? { nbf: version.notBefore } : {}),
    ...(version.expires !== undefined ? { exp: version.expires } : {}),
    created: version.created,
    updated: version.updated,
    recoveryLevel: "Recoverable+Purgeable",
    recoverableDays: 90,
  });
  const properties = (secret: StoredSecret, version: SecretVersion, withVersion = true) => ({
    id: id(secret.name, withVersion ? version.version : undefined),
    attributes: attributes(version),
    ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
    ...(version.tags !== undefined ? { tags: version.tags } : {}),
  });
  const bundle = (secret: StoredSecret, version: SecretVersion, withValue: boolean) => ({
    ...(withValue ? { value: version.value } : {}),
    ...properties(secret, version),
  });
  const deletedBundle = (name: string) => {
    const deleted = store.getDeleted(name);
    if (!deleted) return undefined;
    return {
      ...bundle(deleted.secret, latest(deleted.secret), false),
      recoveryId: `${options.vaultUrl()}/deletedsecrets/${deleted.secret.name}`,
      deletedDate: deleted.deletedDate,
      scheduledPurgeDate: deleted.scheduledPurgeDate,
    };
  };
  /**
   * One page of a listing: the query is checked first (maxresults from 1 to
   * 25, a $skiptoken this vault issued for this listing), and the nextLink,
   * which the SDK follows, always goes further than this page.
   */
  const list = (call: VaultCall, listing: string, items: () => object[]): Answer => {
    const request = tokens.read(listing, queryRecord(call.query));
    if (!request.ok)
      return refusal(request.problem === "maxresults" ? errors.badMaxResults(request.given) : errors.badSkipToken());
    const page = pageOf(items(), request);
    const path = new URL(call.req.url ?? "/", "http://vault").pathname;
    const nextLink =
      page.next === undefined
        ? null
        : `${options.vaultUrl()}${path}?api-version=${call.query.get("api-version") ?? ""}&$skiptoken=${tokens.issue(listing, page.next)}&maxresults=${request.size}`;
    return ok({ value: page.value, nextLink });
  };
  const name = (call: VaultCall) => call.params["secretName"] ?? "";
  const versionIn = (call: VaultCall) => call.params["secretVersion"];

  return {
    "Get Secrets": (call) =>
      list(call, "secrets", () => store.list().map((secret) => properties(secret, latest(secret), false))),

    // A secret that does not exist has no versions: Azure answers an empty list, not a 404.
    "Get Secret Versions": (call) =>
      list(call, `versions/${name(call).toLowerCase()}`, () => {
        const secret = store.get(name(call));
        return secret ? secret.versions.map((version) => properties(secret, version)) : [];
      }),

    "Get Secret": (call) => {
      const secret = store.get(name(call));
      const version = versionOf(secret, versionIn(call));
      if (!secret || !version) return refusal(errors.secretNotFound(name(call), versionIn(call)));
      // Only `enabled` blocks a get. Azure returns expired and not-yet-valid secrets all the same
      // (exp and nbf are informational for secrets): rotation must not rely on them.
      if (!version.enabled) return refusal(errors.disabled());
      return ok(bundle(secret, version, true));
    },

    "Set Secret": (call) => {
      if (store.getDeleted(name(call)) || store.inTransition(name(call)))
        return refusal(errors.deletedNameTaken(name(call)));
      const { secret, version } = store.set(name(call), call.parsed as SetParameters);
      return ok(bundle(secret, version, true));
    },

    "Update Secret": (call) => {
      const secret = store.get(name(call));
      const version = versionOf(secret, versionIn(call));
      if (!secret || !version) return refusal(errors.secretNotFound(name(call), versionIn(call)));
      const updated = store.update(name(call), version.version, call.parsed as SecretProperties);
      if (!updated) return refusal(errors.secretNotFound(name(call), versionIn(call)));
      return ok(bundle(secret, updated, false));
    },

    "Delete Secret": (call) => {
      const secret = store.get(name(call));
      if (!secret) return refusal(errors.secretNotFound(name(call)));
      if (store.getDeleted(name(call))) return refusal(errors.deletedNameTaken(name(call)));
      const deleted = store.delete(name(call));
      if (!deleted) return refusal(errors.secretNotFound(name(call)));
      // The answer describes the deleted secret at once; Key Vault lists it under deletedsecrets a moment later.
      return ok({
        ...bundle(deleted.secret, latest(deleted.secret), false),
        recoveryId: `${options.vaultUrl()}/deletedsecrets/${deleted.secret.name}`,
        deletedDate: deleted.deletedDate,
        scheduledPurgeDate: deleted.scheduledPurgeDate,
      });
    },

    "Backup Secret": (call) => {
      const secret = store.get(name(call));
      if (!secret) return refusal(errors.secretNotFound(name(call)));
      // Opaque to the caller, like Azure's: only this vault's restore reads it.
      const blob = Buffer.from(JSON.stringify({ format: BACKUP_FORMAT, vault: options.name, secret })).toString(
        "base64url",
      );
      return ok({ value: blob });
    },

    "Restore Secret": (call) => {
      const backup = call.parsed as StoredSecret;
      if (store.get(backup.name)) return refusal(errors.alreadyExists(backup.name));
      if (store.getDeleted(backup.name) || store.inTransition(backup.name))
        return refusal(errors.deletedNameTaken(backup.name));
      const restored = store.restore(backup) ? store.get(backup.name) : undefined;
      if (!restored) return refusal(errors.alreadyExists(backup.name));
      return ok(bundle(restored, latest(restored), false));
    },

    "Get Deleted Secrets": (call) =>
      list(call, "deletedsecrets", () =>
        store.listDeleted().flatMap((deleted) => deletedBundle(deleted.secret.name) ?? []),
      ),

    "Get Deleted Secret": (call) => {
      const deleted = deletedBundle(name(call));
      if (!deleted) return refusal(errors.deletedSecretNotFound(name(call)));
      return ok(deleted);
    },

    "Recover Deleted Secret": (call) => {
      if (!store.getDeleted(name(call))) return refusal(errors.deletedSecretNotFound(name(call)));
      if (store.get(name(call))) return refusal(errors.deletedSecretConflict(name(call)));
      const secret = store.recover(name(call));
      if (!secret) return refusal(errors.deletedSecretNotFound(name(call)));
      return ok(bundle(secret, latest(secret), false));
    },

    "Purge Deleted Secret": (call) => {
      if (!store.purge(name(call))) return refusal(errors.deletedSecretNotFound(name(call)));
      return { status: 204 };
    },
  };
}
