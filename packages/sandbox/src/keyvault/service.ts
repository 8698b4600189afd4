/**
 * Azure Key Vault's secrets data plane (REST API as used by
 * @azure/keyvault-secrets). Every request is authenticated (the first one
 * without a token gets the 401 challenge that tells the SDK where to get a
 * token and for which resource) and authorized with Azure RBAC.
 */
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Authorizer, Principal, TokenValidator } from "../contracts.ts";
import * as errors from "./errors.ts";
import { latest, versionOf, type SecretStore, type SecretVersion, type StoredSecret } from "./store.ts";

export const VAULT_RESOURCE = "https://vault.localhost";
/** The api-versions accepted, oldest first: the SDKs of the last years. */
const API_VERSIONS = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01"];
const LATEST_API_VERSION = API_VERSIONS.at(-1) ?? "";
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** Azure's limit: 25 KB, counted as 25,600 characters. */
const MAX_VALUE_LENGTH = 25_600;
const PAGE_SIZE = 25;
const ACTION = "Microsoft.KeyVault/vaults/secrets";

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
}


const seconds = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

export function createKeyVault(options: VaultOptions): Express {
  const { store } = options;
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");

  const send = (res: Response, failure: errors.KeyVaultError) => {
    if (failure.status === 401) {
      res.set("WWW-Authenticate", `Bearer authorization="${options.authority()}", resource="${VAULT_RESOURCE}"`);
    }
    res.status(failure.status).json(failure.body);
  };

  // 1. Authenticate: no token → the challenge; a bad token → 401 with the reason.
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const vaultName = req.hostname.split(".")[0]?.toLowerCase();
    if (vaultName !== options.name.toLowerCase()) {
      res.status(404).json({ error: { code: "VaultNotFound", message: `No vault named ${vaultName} here. The vault is ${options.name}.` } });
      return;
    }
    if (!req.headers.authorization) {
      send(res, errors.missingToken());
      return;
    }
    const check = await options.tokens.validate(req.headers.authorization, VAULT_RESOURCE);
    if (!check.ok) {
      send(res, errors.invalidToken(check, { audience: VAULT_RESOURCE, issuer: options.issuer }));
      return;
    }
    const version = req.query["api-version"];
    if (typeof version !== "string") return send(res, errors.missingApiVersion());
    if (!API_VERSIONS.includes(version)) return send(res, errors.unknownApiVersion(version, LATEST_API_VERSION));
    res.locals["principal"] = check.principal;
    next();
  });
  app.use(express.json({ limit: "200kb", type: () => true }));

  // 2. Authorize: Azure RBAC, for one data action at the vault or one secret.
  const allowed = (res: Response, action: string, secretName?: string): boolean => {
    const resource = secretName ? `${options.resourceId}/secrets/${secretName}` : options.resourceId;
    const principal = res.locals["principal"] as Principal;
    if (options.rbac.isAllowed(principal, `${ACTION}/${action}`, resource)) return true;
    send(
      res,
      errors.forbiddenByRbac({
        ...(principal.appId ? { appId: principal.appId } : {}),
        objectId: principal.objectId,
        issuer: options.issuer,
        action: `${ACTION}/${action}`,
        resource,
        vault: options.name,
        location: options.location,
      }),
    );
    return false;
  };
  const validName = (res: Response, name: string): boolean => {
    if (SECRET_NAME.test(name)) return true;
    send(res, errors.badName(name));
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
  /** One page of a listing, with a nextLink the SDK follows. */
  const page = <T>(req: Request, items: T[]) => {
    const size = Math.min(Number(req.query["maxresults"]) || PAGE_SIZE, PAGE_SIZE);
    const skip = Number(req.query["$skiptoken"]) || 0;
    const next = skip + size < items.length ? `${options.vaultUrl()}${req.path}?api-version=${req.query["api-version"]}&$skiptoken=${skip + size}&maxresults=${size}` : null;
    return { value: items.slice(skip, skip + size), nextLink: next };
  };

  app.get("/secrets", (req, res) => {
    if (!allowed(res, "readMetadata/action")) return;
    res.json(page(req, store.list().map((secret) => properties(secret, latest(secret), false))));
  });

  app.post("/secrets/restore", (req, res) => {
    const blob = (req.body as { value?: unknown } | undefined)?.value;
    let secret: StoredSecret;
    try {
      secret = JSON.parse(Buffer.from(String(blob), "base64url").toString("utf8")).secret as StoredSecret;
      if (!secret?.name || !Array.isArray(secret.versions) || secret.versions.length === 0) throw new Error("empty");
    } catch {
      return send(res, errors.badBackup());
    }
    if (!allowed(res, "restore/action", secret.name)) return;
    if (store.get(secret.name)) return send(res, errors.alreadyExists(secret.name));
    if (store.getDeleted(secret.name)) return send(res, errors.deletedNameTaken(secret.name));
    store.restore(secret);
    res.json(bundle(secret, latest(secret), false));
  });

  app.get("/secrets/:name/versions", (req, res) => {
    const name = req.params.name;
    if (!validName(res, name) || !allowed(res, "readMetadata/action", name)) return;
    const secret = store.get(name);
    if (!secret) return send(res, errors.secretNotFound(name));
    res.json(page(req, secret.versions.map((version) => properties(secret, version))));
  });

  app.get("/secrets/:name{/:version}", (req, res) => {
    const { name, version: wanted } = req.params;
    if (!validName(res, name) || !allowed(res, "getSecret/action", name)) return;
    const secret = store.get(name);
    const version = versionOf(secret, wanted);
    if (!secret || !version) return send(res, errors.secretNotFound(name, wanted));
    // Only `enabled` blocks a get. Azure returns expired and not-yet-valid secrets all the same
    // (exp and nbf are informational for secrets): rotation must not rely on them.
    if (!version.enabled) return send(res, errors.disabled());
    res.json(bundle(secret, version, true));
  });

  app.put("/secrets/:name", (req, res) => {
    const name = req.params.name;
    if (!validName(res, name) || !allowed(res, "setSecret/action", name)) return;
    const body = (req.body ?? {}) as { value?: unknown; contentType?: unknown; tags?: unknown; attributes?: Record<string, unknown> };
    if (typeof body.value !== "string") return send(res, errors.badBody("Property value is required and must be a string."));
    if (body.value.length > MAX_VALUE_LENGTH) return send(res, errors.valueTooLarge());
    if (store.getDeleted(name)) return send(res, errors.deletedNameTaken(name));
    const notBefore = seconds(body.attributes?.["nbf"]);
    const expires = seconds(body.attributes?.["exp"]);
    const { secret, version } = store.set(name, {
      value: body.value,
      ...(typeof body.contentType === "string" ? { contentType: body.contentType } : {}),
      ...(body.tags && typeof body.tags === "object" ? { tags: body.tags as Record<string, string> } : {}),
      ...(typeof body.attributes?.["enabled"] === "boolean" ? { enabled: body.attributes["enabled"] } : {}),
      ...(notBefore !== undefined ? { notBefore } : {}),
      ...(expires !== undefined ? { expires } : {}),
    });
    res.json(bundle(secret, version, true));
  });

  app.patch("/secrets/:name{/:version}", (req, res) => {
    const { name, version: wanted } = req.params;
    if (!validName(res, name) || !allowed(res, "update/action", name)) return;
    const secret = store.get(name);
    const version = versionOf(secret, wanted);
    if (!secret || !version) return send(res, errors.secretNotFound(name, wanted));
    const body = (req.body ?? {}) as { contentType?: unknown; tags?: unknown; attributes?: Record<string, unknown> };
    if (typeof body.contentType === "string") version.contentType = body.contentType;
    if (body.tags && typeof body.tags === "object") version.tags = body.tags as Record<string, string>;
    if (typeof body.attributes?.["enabled"] === "boolean") version.enabled = body.attributes["enabled"];
    const notBefore = seconds(body.attributes?.["nbf"]);
    const expires = seconds(body.attributes?.["exp"]);
    if (notBefore !== undefined) version.notBefore = notBefore;
    if (expires !== undefined) version.expires = expires;
    version.updated = Math.floor(Date.now() / 1000);
    res.json(bundle(secret, version, false));
  });

  app.delete("/secrets/:name", (req, res) => {
    const name = req.params.name;
    if (!validName(res, name) || !allowed(res, "delete", name)) return;
    if (!store.delete(name)) return send(res, errors.secretNotFound(name));
    res.json(deletedBundle(name));
  });

  app.post("/secrets/:name/backup", (req, res) => {
    const name = req.params.name;
    if (!validName(res, name) || !allowed(res, "backup/action", name)) return;
    const secret = store.get(name);
    if (!secret) return send(res, errors.secretNotFound(name));
    // Opaque to the caller, like Azure's: only this vault's restore reads it.
    const blob = Buffer.from(JSON.stringify({ format: "keyless-sandbox-backup-1", vault: options.name, secret })).toString("base64url");
    res.json({ value: blob });
  });

  app.get("/deletedsecrets", (req, res) => {
    if (!allowed(res, "readMetadata/action")) return;
    res.json(page(req, store.listDeleted().map((deleted) => deletedBundle(deleted.secret.name))));
  });

  app.get("/deletedsecrets/:name", (req, res) => {
    const name = req.params.name;
    if (!validName(res, name) || !allowed(res, "readMetadata/action", name)) return;
    const deleted = deletedBundle(name);
    if (!deleted) return send(res, errors.deletedSecretNotFound(name));
    res.json(deleted);
  });

  app.post("/deletedsecrets/:name/recover", (req, res) => {
    const name = req.params.name;
    if (!validName(res, name) || !allowed(res, "recover/action", name)) return;
    const secret = store.recover(name);
    if (!secret) return send(res, errors.deletedSecretNotFound(name));
    res.json(bundle(secret, latest(secret), false));
  });

  app.delete("/deletedsecrets/:name", (req, res) => {
    const name = req.params.name;
    if (!validName(res, name) || !allowed(res, "purge/action", name)) return;
    if (!store.purge(name)) return send(res, errors.deletedSecretNotFound(name));
    res.status(204).end();
  });

  app.use((_req: Request, res: Response) => {
    send(res, errors.badBody("The requested operation is not supported by this vault."));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    send(res, status === 413 ? errors.valueTooLarge() : errors.badBody("The request body is not valid JSON."));
  });
  return app;
}
