/**
 * Workload identity federation: the client-credentials grant with a client
 * assertion issued by someone else (here, the sandbox's AKS cluster) instead
 * of a client secret. Entra ID accepts the assertion when a federated identity
 * credential of the client (an app registration or a user-assigned managed
 * identity) names its issuer, its subject and one of its audiences, and the
 * issuer's published keys verify its signature. Each refusal has Entra ID's
 * AADSTS code, checked in Entra ID's order: the client, the assertion's form,
 * its issuer, its signature and lifetime, its subject, its audience, then the
 * resource.
 *
 * Entra ID fetches the issuer's keys from its OpenID discovery document; the
 * sandbox looks up the issuers it runs itself (the cluster's), which publish
 * the same keys at the same URLs.
 */
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from "jose";
import type { AuditCaller, AuditCategory } from "../../audit/log.ts";
import type { Directory } from "./directory.ts";
import type { SeedFederatedCredential } from "../../seed.ts";
import { entraError, unknownResourceError } from "./errors.ts";
import { CLOCK_SKEW_SECONDS, type TokenIssuer } from "./tokens.ts";
import { resourceOfScope, tokenIdOf } from "./tokenService.ts";

/** The only client assertion type Entra ID takes: a JWT. */
export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const FEDERATION_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

/** The OpenID issuers the sandbox runs, which federated identity credentials can trust. */
export interface FederationTrust {
  /** The issuer URL of the sandbox's cluster of that name (a credential's `issuerOf`). */
  clusterIssuer(name: string): string | undefined;
  /** The signing keys an issuer publishes at its jwks_uri, if the sandbox runs it. */
  keysOf(issuer: string): JSONWebKeySet | undefined;
}

/** One answer of the token endpoint to a client assertion, and what the sign-in log says of it. */
export interface FederatedSignIn {
  readonly status: number;
  readonly body: object;
  readonly caller?: AuditCaller;
  readonly resource?: string;
  readonly tokenId?: string;
  /** A managed identity's sign-ins are in ManagedIdentitySignInLogs, an app registration's in ServicePrincipalSignInLogs. */
  readonly category: AuditCategory;
  readonly clientCredentialType: "federatedIdentityCredential";
}

/** A federated credential with its issuer resolved. */
export interface ResolvedCredential extends SeedFederatedCredential {
  readonly issuer: string;
}

/** A client's federated identity credentials, with `issuerOf` replaced by the cluster's issuer URL. */
export function federatedCredentialsOf(
  credentials: readonly SeedFederatedCredential[],
  trust: FederationTrust,
): ResolvedCredential[] {
  return credentials.flatMap((credential) => {
    const issuer = credential.issuer ?? (credential.issuerOf ? trust.clusterIssuer(credential.issuerOf) : undefined);
    return issuer ? [{ ...credential, issuer }] : [];
  });
}

const audiencesOf = (claims: JWTPayload): string[] =>
  Array.isArray(claims.aud) ? claims.aud : typeof claims.aud === "string" ? [claims.aud] : [];
const noMatch = (code: number, what: string, value: string) =>
  entraError(
    "invalid_client",
    code,
    `No matching federated identity record found for presented assertion ${what} '${value.slice(0, 256)}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FEDERATION_DOCS}`,
  );

/** The client-credentials grant with a client assertion (the form's parameters, already read once each). */
export async function federatedClientCredentials(
  values: Readonly<Record<string, string>>,
  options: {
    readonly issuer: TokenIssuer;
    readonly directory: Directory;
    readonly resources: readonly string[];
    readonly trust: FederationTrust;
  },
): Promise<FederatedSignIn> {
  const { issuer, directory, resources, trust } = options;
  const clientId = (values["client_id"] ?? "").toLowerCase();
  const managed = [...directory.userAssigned.values()].find((identity) => identity.appId.toLowerCase() === clientId);
  const registration = managed ? undefined : directory.servicePrincipalByClientId(clientId);
  const category: AuditCategory = managed ? "ManagedIdentitySignInLogs" : "ServicePrincipalSignInLogs";
  const answer = (status: number, body: object, extra: Partial<FederatedSignIn> = {}): FederatedSignIn => ({
    status,
    body,
    category,
    clientCredentialType: "federatedIdentityCredential",
    ...extra,
  });
  const client = managed ?? registration;
  if (!client) {
    const description = `Application with identifier '${clientId.slice(0, 64)}' was not found in the directory '${issuer.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`;
    return answer(400, entraError("unauthorized_client", 700016, description, "check AZURE_CLIENT_ID"), {
      caller: { appId: clientId.slice(0, 64) },
    });
  }
  const caller: AuditCaller = { objectId: client.objectId, appId: client.appId ?? clientId };
  if (values["client_assertion_type"] !== JWT_BEARER) {
    return answer(
      400,
      entraError(
        "invalid_client",
        7000216,
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        `client_assertion_type must be ${JWT_BEARER}`,
      ),
      { caller },
    );
  }
  const assertion = values["client_assertion"] ?? "";
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
    decodeProtectedHeader(assertion);
  } catch {
    return answer(400, entraError("invalid_request", 50027, "JWT token is invalid or malformed."), { caller });
  }

  // Which of the client's credentials trust this issuer; then that issuer's keys must verify the token.
  const credentials = federatedCredentialsOf(managed?.federatedIdentityCredentials ?? [], trust).filter(
    (credential) => credential.issuer === claims.iss,
  );
  if (credentials.length === 0) return answer(400, noMatch(700211, "issuer", String(claims.iss ?? "")), { caller });
  const keys = trust.keysOf(String(claims.iss));
  if (!keys) {
    return answer(
      400,
      entraError(
        "invalid_request",
        50166,
        `Request to External OIDC endpoint failed: the metadata of issuer '${String(claims.iss).slice(0, 256)}' could not be retrieved.`,
      ),
      { caller },
    );
  }
  try {
    await jwtVerify(assertion, createLocalJWKSet(keys), {
      algorithms: ["RS256"],
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp", "sub", "aud"],
    });
  } catch (error) {
    if (
      error instanceof errors.JWTExpired ||
      (error instanceof errors.JWTClaimValidationFailed && (error.claim === "nbf" || error.claim === "iat"))
    ) {
      const time = (seconds: unknown) =>
        typeof seconds === "number" ? new Date(seconds * 1000).toISOString() : "(none)";
      const description = `Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}, assertion valid from ${time(claims.nbf ?? claims.iat)}, expiry time of assertion ${time(claims.exp)}.`;
      return answer(
        400,
        entraError(
          "invalid_client",
          700024,
          description,
          "the projected token file is renewed by the cluster: read it again",
        ),
        { caller },
      );
    }
    if (
      error instanceof errors.JWSSignatureVerificationFailed ||
      error instanceof errors.JWKSNoMatchingKey ||
      error instanceof errors.JOSEAlgNotAllowed
    ) {
      return answer(400, entraError("invalid_client", 700027, "Client assertion failed signature validation."), {
        caller,
      });
    }
    return answer(400, entraError("invalid_request", 50027, "JWT token is invalid or malformed."), { caller });
  }
  // Subjects and audiences are compared exactly, case included.
  const forSubject = credentials.filter((credential) => credential.subject === claims.sub);
  if (forSubject.length === 0) return answer(400, noMatch(700213, "subject", String(claims.sub ?? "")), { caller });
  const audiences = audiencesOf(claims);
  if (!forSubject.some((credential) => credential.audiences.some((audience) => audiences.includes(audience)))) {
    return answer(400, noMatch(700212, "audience", audiences.join(", ")), { caller });
  }

  const resource = resourceOfScope((values["scope"] ?? "").split(" ")[0] ?? "");
  if (!(values["scope"] ?? "").endsWith("/.default") || !resources.includes(resource))
    return answer(400, unknownResourceError(resource, issuer.tenantId, resources), { caller });
  const lifetime = issuer.defaultLifetimeSeconds;
  // appidacr 2: the client proved itself with an assertion, not a secret.
  const accessToken = await issuer.issue({
    audience: resource,
    objectId: client.objectId,
    appId: client.appId ?? clientId,
    claims: { appidacr: "2" },
  });
  const tokenId = tokenIdOf(accessToken);
  return answer(
    200,
    { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken },
    { caller, resource, ...(tokenId ? { tokenId } : {}) },
  );
}
