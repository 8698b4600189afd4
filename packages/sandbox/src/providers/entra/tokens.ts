/**
 * Access tokens as Microsoft Entra ID issues them: RS256 JWTs signed with a
 * key published as JWKS, with the v1 issuer `https://sts.windows.net/<tenant>/`
 * (the one Azure Storage, and so Azurite, accepts), the resource as audience,
 * and the caller's object id. Every sandbox service validates them the same way.
 */
import { randomUUID, type webcrypto } from "node:crypto";
import {
  SignJWT,
  createLocalJWKSet,
  decodeJwt,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from "jose";
import type { TokenCheck, TokenValidator } from "../../contracts.ts";
import { CLOCK_SKEW_SECONDS } from "./clockSkew.ts";
import type { StateStore } from "../../state/store.ts";

export interface IssueOptions {
  /** The resource the token is for, e.g. `https://vault.localhost`. */
  readonly audience: string;
  /** `oid`: who the token is for. */
  readonly objectId: string;
  /** `appid`: the client id, for service principals and managed identities. */
  readonly appId?: string;
  readonly lifetimeSeconds?: number;
  /** Claims to add or override: tests mint tokens Azure would refuse (nbf in the future, another tenant). */
  readonly claims?: Readonly<JWTPayload>;
}

/** The v1 issuer: Azure Storage (and so Azurite) accepts only this form, Key Vault both. */
export const issuerFor = (tenantId: string, issuerHost = "sts.windows.net") => `https://${issuerHost}/${tenantId}/`;

export class TokenIssuer {
  readonly tenantId: string;
  readonly issuer: string;
  readonly defaultLifetimeSeconds: number;
  readonly #privateKey: webcrypto.CryptoKey;
  readonly #publicJwk: JWK;

  private constructor(
    tenantId: string,
    issuerHost: string,
    privateKey: webcrypto.CryptoKey,
    publicJwk: JWK,
    lifetimeSeconds: number,
  ) {
    this.tenantId = tenantId;
    this.issuer = issuerFor(tenantId, issuerHost);
    this.defaultLifetimeSeconds = lifetimeSeconds;
    this.#privateKey = privateKey;
    this.#publicJwk = publicJwk;
  }

  /**
   * The tenant's signing key: kept in the state store when one is given, so that a token
   * issued before a restart still validates after it (Entra ID rolls its keys over weeks, not
   * at every start); a new one each time otherwise, and after a reset.
   */
  static async create(options: {
    tenantId: string;
    issuerHost?: string;
    lifetimeSeconds?: number;
    state?: StateStore;
  }): Promise<TokenIssuer> {
    const kept = options.state?.collection<{ privateJwk: JWK; publicJwk: JWK }>("signingKeys");
    let pair = kept?.get(options.tenantId);
    if (!pair) {
      const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
      const kid = randomUUID();
      pair = {
        privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "RS256" },
        publicJwk: { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" },
      };
      kept?.put(options.tenantId, pair);
    }
    const privateKey = (await importJWK(pair.privateJwk, "RS256")) as webcrypto.CryptoKey;
    return new TokenIssuer(
      options.tenantId,
      options.issuerHost ?? "sts.windows.net",
      privateKey,
      pair.publicJwk,
      options.lifetimeSeconds ?? 3600,
    );
  }

  async issue({ audience, objectId, appId, lifetimeSeconds, claims }: IssueOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      aud: audience,
      iss: this.issuer,
      iat: now,
      nbf: now,
      exp: now + (lifetimeSeconds ?? this.defaultLifetimeSeconds),
      oid: objectId,
      sub: objectId,
      tid: this.tenantId,
      ...(appId ? { appid: appId, appidacr: "1" } : {}),
      ver: "1.0",
      uti: randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.#publicJwk.kid })
      .sign(this.#privateKey);
  }

  /** The signing keys, as the token service publishes them at `jwks_uri`. */
  jwks(): JSONWebKeySet {
    return { keys: [this.#publicJwk] };
  }

  validator(): TokenValidator {
    return createTokenValidator(this.jwks(), this.tenantId, this.issuer);
  }
}

/** Microsoft Entra ID's longest-lived access tokens (managed identities') last 24 hours: nothing it signs lives longer. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/**
 * Validates bearer tokens the way Azure's resource providers do: signature,
 * issuer and tenant, audience, and lifetime (`exp`, `nbf` and `iat` required,
 * within the clock skew, no longer than Entra ID issues).
 */
export function createTokenValidator(
  jwks: JSONWebKeySet,
  tenantId: string,
  expectedIssuer = issuerFor(tenantId),
): TokenValidator {
  const keys = createLocalJWKSet(jwks);
  return {
    async validate(authorization, audience): Promise<TokenCheck> {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
      if (!token) return { ok: false, problem: "missing", reason: "The request has no bearer token." };
      const claims = decodeClaims(token);
      if (!claims) return { ok: false, problem: "malformed", reason: "The token is not a well-formed JWT." };
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: ["RS256"],
          issuer: expectedIssuer,
          audience,
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ["exp", "nbf", "iat"],
          // Also refuses an `iat` in the future (beyond the skew).
          maxTokenAge: MAX_TOKEN_LIFETIME_SECONDS,
        });
        const lifetime = Number(payload.exp) - Math.min(Number(payload.iat), Number(payload.nbf));
        if (lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
          return {
            ok: false,
            problem: "lifetime",
            reason: `The token lives ${Math.round(lifetime / 3600)} hours; Microsoft Entra ID issues none longer than ${MAX_TOKEN_LIFETIME_SECONDS / 3600}.`,
          };
        }
        if (payload["tid"] !== tenantId) {
          return {
            ok: false,
            problem: "tenant",
            found: String(payload["tid"]),
            reason: `The token is from tenant ${String(payload["tid"])}, not ${tenantId}.`,
          };
        }
        if (typeof payload["oid"] !== "string")
          return { ok: false, problem: "malformed", reason: "The token has no oid claim." };
        const appId = typeof payload["appid"] === "string" ? payload["appid"] : undefined;
        const tokenId = typeof payload["uti"] === "string" ? payload["uti"] : undefined;
        return {
          ok: true,
          principal: {
            objectId: payload["oid"],
            tenantId,
            ...(appId ? { appId } : {}),
            ...(tokenId ? { tokenId } : {}),
          },
        };
      } catch (error) {
        return explain(error, claims, audience, expectedIssuer);
      }
    },
  };
}

function decodeClaims(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

const isoTime = (seconds: unknown) => {
  const time = new Date(Number(seconds) * 1000);
  return Number.isNaN(time.getTime()) ? String(seconds) : time.toISOString();
};

function explain(error: unknown, claims: JWTPayload, audience: string, issuer: string): TokenCheck & { ok: false } {
  const found = (value: unknown) => (Array.isArray(value) ? value.join(", ") : String(value ?? "(none)"));
  if (error instanceof errors.JWTExpired) {
    return { ok: false, problem: "expired", reason: `The token expired at ${isoTime(claims.exp)}.` };
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud")
      return {
        ok: false,
        problem: "audience",
        found: found(claims.aud),
        reason: `The token's audience is ${found(claims.aud)}, expected ${audience}.`,
      };
    if (error.claim === "iss")
      return {
        ok: false,
        problem: "issuer",
        found: found(claims.iss),
        reason: `The token's issuer is ${found(claims.iss)}, expected ${issuer}.`,
      };
    if (error.reason === "missing")
      return { ok: false, problem: "malformed", reason: `The token has no ${error.claim} claim.` };
    if (error.claim === "nbf") {
      return { ok: false, problem: "notYetValid", reason: `The token is not valid before ${isoTime(claims.nbf)}.` };
    }
    if (error.claim === "iat") {
      const future = Number(claims.iat) > Date.now() / 1000;
      return future
        ? {
            ok: false,
            problem: "notYetValid",
            reason: `The token says it was issued at ${isoTime(claims.iat)}, in the future.`,
          }
        : {
            ok: false,
            problem: "expired",
            reason: `The token was issued at ${isoTime(claims.iat)}, longer ago than any token lives.`,
          };
    }
    return { ok: false, problem: "malformed", reason: `The token's ${error.claim} claim is not valid.` };
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return {
      ok: false,
      problem: "algorithm",
      reason: "The token is not signed with RS256 (alg 'none' and other algorithms are refused).",
    };
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return { ok: false, problem: "unknownKey", reason: "The token is signed with a key this tenant does not publish." };
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return {
      ok: false,
      problem: "signature",
      reason: "The token's signature does not match the tenant's signing key.",
    };
  }
  return { ok: false, problem: "malformed", reason: "The token is malformed." };
}
