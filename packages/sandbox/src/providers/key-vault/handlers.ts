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

/** One vault, as the data plane serves it. */
export interface VaultInstance {
  readonly name: string;
  /** Its ARM id: what RBAC checks actions on. */
  readonly resourceId: string;
  readonly location: string;
  readonly store: SecretStore;
  /** `https://<name>.vault.localhost:<port>`. */
  readonly url: string;
}

export type VaultCall = Call<VaultOperation>;
type Handler = (call: VaultCall, vault: VaultInstance) => Answer;

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

/** How Key Vault shows a secret, a version, a deleted secret. */
const shapes = (vault: VaultInstance) => {
  const id = (name: string, version?: string) => `${vault.url}/secrets/${name}${version ? `/${version}` : ""}`;
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
  const deletedBundle = (deleted: { secret: StoredSecret; deletedDate: number; scheduledPurgeDate: number }) => ({
    ...bundle(deleted.secret, latest(deleted.secret), false),
    recoveryId: `${vault.url}/deletedsecrets/${deleted.secret.name}`,
    deletedDate: deleted.deletedDate,
    scheduledPurgeDate: deleted.scheduledPurgeDate,
  });
  return { properties, bundle, deletedBundle };
};

/** The handlers of every operation, for the vault each request names. */
export function vaultHandlers(
  vaultOf: (call: VaultCall) => VaultInstance,
): Record<VaultOperationName, (call: VaultCall) => Answer> {
  const tokens = new PageTokens();
  /**
   * One page of a listing: the query is checked first (maxresults from 1 to
   * 25, a $skiptoken this vault issued for this listing), and the nextLink,
   * which the SDK follows, always goes further than this page.
   */
  const list = (call: VaultCall, vault: VaultInstance, listing: string, items: () => object[]): Answer => {
    const request = tokens.read(`${vault.name.toLowerCase()}/${listing}`, queryRecord(call.query));
    if (!request.ok)
      return refusal(request.problem === "maxresults" ? errors.badMaxResults(request.given) : errors.badSkipToken());
    const page = pageOf(items(), request);
    const path = new URL(call.req.url ?? "/", "http://vault").pathname;
    const next =
      page.next === undefined ? undefined : tokens.issue(`${vault.name.toLowerCase()}/${listing}`, page.next);
    const nextLink =
      next === undefined
        ? null
        : `${vault.url}${path}?api-version=${call.query.get("api-version") ?? ""}&$skiptoken=${next}&maxresults=${request.size}`;
    return ok({ value: page.value, nextLink });
  };
  const name = (call: VaultCall) => call.params["secretName"] ?? "";
  const versionIn = (call: VaultCall) => call.params["secretVersion"];
  const taken = (store: SecretStore, secret: string) => store.getDeleted(secret) || store.inTransition(secret);

  const handlers: Record<VaultOperationName, Handler> = {
    "Get Secrets": (call, vault) =>
      list(call, vault, "secrets", () =>
        vault.store.list().map((secret) => shapes(vault).properties(secret, latest(secret), false)),
      ),

    // A secret that does not exist has no versions: Azure answers an empty list, not a 404.
    "Get Secret Versions": (call, vault) =>
      list(call, vault, `versions/${name(call).toLowerCase()}`, () => {
        const secret = vault.store.get(name(call));
        return secret ? secret.versions.map((version) => shapes(vault).properties(secret, version)) : [];
      }),

    "Get Secret": (call, vault) => {
      const secret = vault.store.get(name(call));
      const version = versionOf(secret, versionIn(call));
      if (!secret || !version) return refusal(errors.secretNotFound(name(call), versionIn(call)));
      // Only `enabled` blocks a get. Azure returns expired and not-yet-valid secrets all the same
      // (exp and nbf are informational for secrets): rotation must not rely on them.
      if (!version.enabled) return refusal(errors.disabled());
      return ok(shapes(vault).bundle(secret, version, true));
    },

    "Set Secret": (call, vault) => {
      if (taken(vault.store, name(call))) return refusal(errors.deletedNameTaken(name(call)));
      const { secret, version } = vault.store.set(name(call), call.parsed as SetParameters);
      return ok(shapes(vault).bundle(secret, version, true));
    },

    "Update Secret": (call, vault) => {
      const secret = vault.store.get(name(call));
      const version = versionOf(secret, versionIn(call));
      if (!secret || !version) return refusal(errors.secretNotFound(name(call), versionIn(call)));
      const updated = vault.store.update(name(call), version.version, call.parsed as SecretProperties);
      if (!updated) return refusal(errors.secretNotFound(name(call), versionIn(call)));
      return ok(shapes(vault).bundle(secret, updated, false));
    },

    "Delete Secret": (call, vault) => {
      if (!vault.store.get(name(call))) return refusal(errors.secretNotFound(name(call)));
      if (vault.store.getDeleted(name(call))) return refusal(errors.deletedNameTaken(name(call)));
      const deleted = vault.store.delete(name(call));
      if (!deleted) return refusal(errors.secretNotFound(name(call)));
      // The answer describes the deleted secret at once; Key Vault lists it under deletedsecrets a moment later.
      return ok(shapes(vault).deletedBundle(deleted));
    },

    "Backup Secret": (call, vault) => {
      const secret = vault.store.get(name(call));
      if (!secret) return refusal(errors.secretNotFound(name(call)));
      // Opaque to the caller, like Azure's: only this vault's restore reads it.
      const blob = Buffer.from(JSON.stringify({ format: BACKUP_FORMAT, vault: vault.name, secret })).toString(
        "base64url",
      );
      return ok({ value: blob });
    },

    "Restore Secret": (call, vault) => {
      const backup = call.parsed as StoredSecret;
      if (vault.store.get(backup.name)) return refusal(errors.alreadyExists(backup.name));
      if (taken(vault.store, backup.name)) return refusal(errors.deletedNameTaken(backup.name));
      const restored = vault.store.restore(backup) ? vault.store.get(backup.name) : undefined;
      if (!restored) return refusal(errors.alreadyExists(backup.name));
      return ok(shapes(vault).bundle(restored, latest(restored), false));
    },

    "Get Deleted Secrets": (call, vault) =>
      list(call, vault, "deletedsecrets", () =>
        vault.store.listDeleted().map((deleted) => shapes(vault).deletedBundle(deleted)),
      ),

    "Get Deleted Secret": (call, vault) => {
      const deleted = vault.store.getDeleted(name(call));
      if (!deleted) return refusal(errors.deletedSecretNotFound(name(call)));
      return ok(shapes(vault).deletedBundle(deleted));
    },

    "Recover Deleted Secret": (call, vault) => {
      if (!vault.store.getDeleted(name(call))) return refusal(errors.deletedSecretNotFound(name(call)));
      if (vault.store.get(name(call))) return refusal(errors.deletedSecretConflict(name(call)));
      const secret = vault.store.recover(name(call));
      if (!secret) return refusal(errors.deletedSecretNotFound(name(call)));
      return ok(shapes(vault).bundle(secret, latest(secret), false));
    },

    "Purge Deleted Secret": (call, vault) => {
      if (!vault.store.purge(name(call))) return refusal(errors.deletedSecretNotFound(name(call)));
      return { status: 204 };
    },
  };
  return Object.fromEntries(
    Object.entries(handlers).map(([operation, handler]) => [
      operation,
      (call: VaultCall) => handler(call, vaultOf(call)),
    ]),
  ) as Record<VaultOperationName, (call: VaultCall) => Answer>;
}
