/**
 * Azure Key Vault's secrets data plane (REST API as used by
 * @azure/keyvault-secrets). Every request is authenticated (the first one
 * without a token gets the 401 challenge that tells the SDK where to get a
 * token and for which resource), matched to its operation in one table
 * (operations.ts), authorized with Azure RBAC for that operation's data
 * action, and checked in full before anything changes: a refused request
 * (4xx) never changes the vault.
 */
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import {
  authorizationOf,
  tokenClaimsOf,
  traceContext,
  uriWithoutQuery,
  type AuditSink,
  type AuthorizationDecision,
} from "../../audit/log.ts";
import type { Authorizer, Principal, TokenCheck, TokenValidator } from "../../contracts.ts";
import { wholeRequestsOnly } from "../../http/host.ts";
import * as errors from "./errors.ts";
import { vaultOperation, type VaultOperation, type VaultOperationName } from "./operations.ts";
import { PageTokens, pageOf } from "./paging.ts";
import { latest, versionOf, type SecretStore, type SecretVersion, type StoredSecret } from "./store.ts";
import { BACKUP_FORMAT, SECRET_NAME, checkRestore, checkSet, checkUpdate } from "./validation.ts";
import { VAULT_RESOURCE } from "./roles.ts";

export { VAULT_RESOURCE } from "./roles.ts";

/**
 * The resource a vault's challenge names: `https://vault.localhost`, with the vault's port when it
 * is not 443. Azure's vaults answer on 443, so their challenge names `https://vault.azure.net` and
 * every SDK's check (the vault's host ends with `.` + the resource's) passes. The Python SDK
 * compares host *and port* (`urlparse(url).netloc`); the JavaScript and .NET SDKs compare host
 * names only. A resource that carries the port passes both, with no SDK option. The vault accepts
 * tokens for either form.
 */
export function vaultResourceOf(vaultUrl: string): string {
  const port = URL.canParse(vaultUrl) ? new URL(vaultUrl).port : "";
  return port ? `${VAULT_RESOURCE}:${port}` : VAULT_RESOURCE;
}
/** The api-versions accepted, oldest first: the SDKs of the last years. */
const API_VERSIONS = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01"];
const LATEST_API_VERSION = API_VERSIONS.at(-1) ?? "";
/** Room for any set or update within Azure's limits (a 25 KB value, 15 tags), JSON-escaped. */
const BODY_LIMIT = "200kb";
/** A backup holds every version of a secret: a restore may be much larger than a set. */
const RESTORE_BODY_LIMIT = "8mb";

export interface VaultOptions {
  readonly name: string;
  readonly store: SecretStore;
  /** ARM id of the vault: `/subscriptions/…/providers/Microsoft.KeyVault/vaults/<name>`. */
  readonly resourceId: string;
  readonly location: string;
  readonly tokens: TokenValidator;
  readonly rbac: Authorizer;
  /** Where the SDK gets its token: `https://localhost:<port>/<tenant>`. */
  readonly authority: () => string;
  readonly issuer: string;
  /** `https://<name>.vault.localhost:<port>`, known once the server listens. */
  readonly vaultUrl: () => string;
  /**
   * Told of anything unexpected that was thrown (the caller gets a 500 in Key
   * Vault's shape, never the error). By default, written to stderr.
   */
  readonly onError?: (error: unknown) => void;
  /** Where each request is recorded, as Key Vault's AuditEvent log would show it. */
  readonly audit?: AuditSink;
}

/** One authorized request, ready for its operation. */
interface Call {
  readonly req: Request;
  readonly res: Response;
  /** The secret the URL names ("" for an operation on the vault). */
  readonly secretName: string;
  readonly secretVersion: string | undefined;
  /** A restore's backup, already checked whole. */
  readonly backup: StoredSecret | undefined;
}

interface Matched {
  readonly operation: VaultOperation;
  readonly secretName?: string;
  readonly secretVersion?: string;
}

export function createKeyVault(options: VaultOptions): Express {
  const { store } = options;
  const tokens = new PageTokens();
  // One line, never a stack: whoever runs the sandbox learns what failed, not where in its code.
  const onError =
    options.onError ??
    ((error: unknown) =>
      console.error(`sandbox: Key Vault failed: ${error instanceof Error ? error.message : String(error)}`));
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");

  const send = (res: Response, failure: errors.KeyVaultError) => {
    res.locals["errorCode"] = failure.body.error.innererror?.code ?? failure.body.error.code;
    res.locals["errorMessage"] = failure.body.error.message;
    if (failure.status === 401) {
      res.set(
        "WWW-Authenticate",
        `Bearer authorization="${options.authority()}", resource="${vaultResourceOf(options.vaultUrl())}"`,
      );
    }
    res.status(failure.status).json(failure.body);
  };
  const matched = (res: Response) => res.locals["operation"] as Matched | undefined;

  // 0. Every request ends up in the audit log, with what the steps below found out about it.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.on("finish", () => options.audit?.record(auditRecord(req, res, started)));
    next();
  });
  const auditRecord = (req: Request, res: Response, started: number) => {
    const principal = res.locals["principal"] as Principal | undefined;
    const authorization = res.locals["authorization"] as AuthorizationDecision | undefined;
    const errorCode = res.locals["errorCode"] as string | undefined;
    // What the live view and `az sandbox denials` explain a refusal with: the token's claims, why it was refused, Azure's message.
    const explained = {
      ...(res.locals["tokenClaims"] ? { tokenClaims: res.locals["tokenClaims"] } : {}),
      ...(res.locals["tokenProblem"] ? { tokenProblem: res.locals["tokenProblem"] } : {}),
      ...(errorCode && typeof res.locals["errorMessage"] === "string"
        ? { resultDescription: res.locals["errorMessage"] as string }
        : {}),
    };
    return {
      category: "AuditEvent" as const,
      operationName: matched(res)?.operation.auditName ?? (res.statusCode === 401 ? "Authentication" : "Unknown"),
      resultType: res.statusCode < 400 ? ("Success" as const) : ("Failure" as const),
      statusCode: res.statusCode,
      ...(errorCode ? { errorCode } : {}),
      ...explained,
      ...(principal
        ? {
            caller: { objectId: principal.objectId, ...(principal.appId ? { appId: principal.appId } : {}) },
            clientCredentialType: "bearerToken" as const,
          }
        : {}),
      ...(principal?.tokenId ? { uniqueTokenIdentifier: principal.tokenId } : {}),
      resource: authorization?.scope ?? options.resourceId,
      ...(authorization ? { authorization } : {}),
      requestUri: uriWithoutQuery(req.originalUrl),
      httpMethod: req.method,
      durationMs: Math.round(performance.now() - started),
      ...traceContext(req.headers.traceparent),
    };
  };

  /** A token for the vault's resource, with or without its port (see vaultResourceOf). */
  const authenticate = async (authorization: string): Promise<TokenCheck> => {
    const check = await options.tokens.validate(authorization, VAULT_RESOURCE);
    if (!check.ok && check.problem === "audience" && check.found === vaultResourceOf(options.vaultUrl()))
      return options.tokens.validate(authorization, check.found);
    return check;
  };

  // 1. Authenticate, before anything else is read: no token → the challenge; a bad token → 401 with the reason.
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const vaultName = req.hostname.split(".")[0]?.toLowerCase() ?? "";
    if (vaultName !== options.name.toLowerCase()) return send(res, errors.vaultNotFound(vaultName, options.name));
    if (!req.headers.authorization) return send(res, errors.missingToken());
    res.locals["tokenClaims"] = tokenClaimsOf(req.headers.authorization);
    const check = await authenticate(req.headers.authorization);
    if (!check.ok) res.locals["tokenProblem"] = check.problem;
    if (!check.ok)
      return send(
        res,
        errors.invalidToken(check, { audience: vaultResourceOf(options.vaultUrl()), issuer: options.issuer }),
      );
    const version = req.query["api-version"];
    if (typeof version !== "string") return send(res, errors.missingApiVersion());
    if (!API_VERSIONS.includes(version)) return send(res, errors.unknownApiVersion(version, LATEST_API_VERSION));
    res.locals["principal"] = check.principal;
    next();
  });

  // 2. Which operation: one table, for every route.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const match = vaultOperation(req.method, req.path);
    if (match.kind === "undecodable") return send(res, errors.badRequestUri());
    if (match.kind === "unsupported") return send(res, errors.unsupportedOperation());
    res.locals["operation"] = match satisfies Matched;
    next();
  });

  // 3. The body, as JSON whatever its content type (as Key Vault reads it).
  const json = express.json({ limit: BODY_LIMIT, type: () => true });
  const restoreJson = express.json({ limit: RESTORE_BODY_LIMIT, type: () => true });
  app.use((req: Request, res: Response, next: NextFunction) =>
    (matched(res)?.operation.name === "Restore Secret" ? restoreJson : json)(req, res, next),
  );
  app.use(wholeRequestsOnly(errors.keyVaultErrors));

  // 4. Authorize: Azure RBAC, the operation's data action at the vault or at one secret.
  const allowed = (res: Response, operation: VaultOperation, secretName?: string): boolean => {
    const resource = secretName ? `${options.resourceId}/secrets/${secretName}` : options.resourceId;
    const principal = res.locals["principal"] as Principal;
    const decision = options.rbac.decide(principal, operation.dataAction, resource);
    res.locals["authorization"] = authorizationOf(decision, operation.dataAction, resource);
    if (decision.allowed) return true;
    send(
      res,
      errors.forbiddenByRbac({
        ...(principal.appId ? { appId: principal.appId } : {}),
        objectId: principal.objectId,
        issuer: options.issuer,
        action: operation.dataAction,
        resource,
        vault: options.name,
        location: options.location,
      }),
    );
    return false;
  };

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
  const list = <T>({ req, res }: Call, listing: string, items: () => T[] | errors.KeyVaultError) => {
    const request = tokens.read(listing, req.query);
    if (!request.ok)
      return send(res, request.problem === "maxresults" ? errors.badMaxResults(request.given) : errors.badSkipToken());
    const all = items();
    if (!Array.isArray(all)) return send(res, all);
    const page = pageOf(all, request);
    const nextLink =
      page.next === undefined
        ? null
        : `${options.vaultUrl()}${req.path}?api-version=${String(req.query["api-version"])}&$skiptoken=${tokens.issue(listing, page.next)}&maxresults=${request.size}`;
    res.json({ value: page.value, nextLink });
  };

  // 5. The operations. Each checks what it is given before it changes anything.
  const operations: Record<VaultOperationName, (call: Call) => void> = {
    "Get Secrets": (call) =>
      list(call, "secrets", () => store.list().map((secret) => properties(secret, latest(secret), false))),

    "Get Secret Versions": (call) =>
      list(call, `versions/${call.secretName.toLowerCase()}`, () => {
        const secret = store.get(call.secretName);
        return secret
          ? secret.versions.map((version) => properties(secret, version))
          : errors.secretNotFound(call.secretName);
      }),

    "Get Secret": ({ res, secretName, secretVersion }) => {
      const secret = store.get(secretName);
      const version = versionOf(secret, secretVersion);
      if (!secret || !version) return send(res, errors.secretNotFound(secretName, secretVersion));
      // Only `enabled` blocks a get. Azure returns expired and not-yet-valid secrets all the same
      // (exp and nbf are informational for secrets): rotation must not rely on them.
      if (!version.enabled) return send(res, errors.disabled());
      res.json(bundle(secret, version, true));
    },

    "Set Secret": ({ req, res, secretName }) => {
      const checked = checkSet(req.body);
      if (!checked.ok) return send(res, checked.error);
      if (store.getDeleted(secretName)) return send(res, errors.deletedNameTaken(secretName));
      const { secret, version } = store.set(secretName, checked.value);
      res.json(bundle(secret, version, true));
    },

    "Update Secret": ({ req, res, secretName, secretVersion }) => {
      const checked = checkUpdate(req.body);
      if (!checked.ok) return send(res, checked.error);
      const secret = store.get(secretName);
      const version = versionOf(secret, secretVersion);
      if (!secret || !version) return send(res, errors.secretNotFound(secretName, secretVersion));
      const updated = store.update(secretName, version.version, checked.value);
      if (!updated) return send(res, errors.secretNotFound(secretName, secretVersion));
      res.json(bundle(secret, updated, false));
    },

    "Delete Secret": ({ res, secretName }) => {
      if (!store.get(secretName)) return send(res, errors.secretNotFound(secretName));
      if (store.getDeleted(secretName)) return send(res, errors.deletedNameTaken(secretName));
      store.delete(secretName);
      res.json(deletedBundle(secretName));
    },

    "Backup Secret": ({ res, secretName }) => {
      const secret = store.get(secretName);
      if (!secret) return send(res, errors.secretNotFound(secretName));
      // Opaque to the caller, like Azure's: only this vault's restore reads it.
      const blob = Buffer.from(JSON.stringify({ format: BACKUP_FORMAT, vault: options.name, secret })).toString(
        "base64url",
      );
      res.json({ value: blob });
    },

    "Restore Secret": ({ res, backup }) => {
      if (!backup) return send(res, errors.badBackup());
      if (store.get(backup.name)) return send(res, errors.alreadyExists(backup.name));
      if (store.getDeleted(backup.name)) return send(res, errors.deletedNameTaken(backup.name));
      const restored = store.restore(backup) ? store.get(backup.name) : undefined;
      if (!restored) return send(res, errors.alreadyExists(backup.name));
      res.json(bundle(restored, latest(restored), false));
    },

    "Get Deleted Secrets": (call) =>
      list(call, "deletedsecrets", () => store.listDeleted().map((deleted) => deletedBundle(deleted.secret.name))),

    "Get Deleted Secret": ({ res, secretName }) => {
      const deleted = deletedBundle(secretName);
      if (!deleted) return send(res, errors.deletedSecretNotFound(secretName));
      res.json(deleted);
    },

    "Recover Deleted Secret": ({ res, secretName }) => {
      if (!store.getDeleted(secretName)) return send(res, errors.deletedSecretNotFound(secretName));
      if (store.get(secretName)) return send(res, errors.deletedSecretConflict(secretName));
      const secret = store.recover(secretName);
      if (!secret) return send(res, errors.deletedSecretNotFound(secretName));
      res.json(bundle(secret, latest(secret), false));
    },

    "Purge Deleted Secret": ({ res, secretName }) => {
      if (!store.purge(secretName)) return send(res, errors.deletedSecretNotFound(secretName));
      res.status(204).end();
    },
  };

  app.use((req: Request, res: Response) => {
    const match = matched(res);
    if (!match) return send(res, errors.unsupportedOperation());
    const { operation, secretName = "", secretVersion } = match;
    // The secret the action is checked on: named in the URL, or for a restore, in the backup (checked whole first).
    if (operation.scope === "secret" && !SECRET_NAME.test(secretName)) return send(res, errors.badName(secretName));
    let backup: StoredSecret | undefined;
    if (operation.scope === "backup") {
      const checked = checkRestore(req.body);
      if (!checked.ok) return send(res, checked.error);
      backup = checked.value;
    }
    const target = operation.scope === "vault" ? undefined : operation.scope === "backup" ? backup?.name : secretName;
    if (!allowed(res, operation, target)) return;
    operations[operation.name]({ req, res, secretName, secretVersion, backup });
  });

  // 6. What Express itself fails on (the body, the URL) or anything thrown: Key Vault's shape, never a stack.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      onError(error);
      req.socket.destroy();
      return;
    }
    const failure = error as { type?: unknown; status?: unknown; expose?: unknown };
    if (failure.type === "entity.parse.failed") return send(res, errors.badJson());
    if (failure.type === "entity.too.large") {
      const restore = matched(res)?.operation.name === "Restore Secret";
      return send(
        res,
        matched(res)?.operation.name === "Set Secret"
          ? errors.valueTooLarge()
          : errors.requestTooLarge(restore ? RESTORE_BODY_LIMIT : BODY_LIMIT),
      );
    }
    if (error instanceof URIError) return send(res, errors.badRequestUri());
    if (failure.expose === true && typeof failure.status === "number" && failure.status >= 400 && failure.status < 500)
      return send(res, errors.unreadableBody());
    onError(error);
    send(res, errors.internalError());
  });
  return app;
}
