/**
 * Workload identity federation: the client-credentials grant with a client
 * assertion issued by someone else (the sandbox's AKS cluster, or GitHub
 * Actions' OIDC provider) instead of a client secret. Entra ID accepts the
 * assertion when a federated identity credential of the client (an app
 * registration, or a user-assigned managed identity) names its issuer, its
 * subject and one of its audiences, and the issuer's published keys verify
 * its signature. Each refusal has Entra ID's AADSTS code, checked in Entra
 * ID's order: the client, the assertion's form, its issuer, its signature and
 * lifetime, its subject, its audience, then the resource.
 *
 * Entra ID fetches the issuer's keys from its OpenID discovery document; the
 * sandbox looks up the issuers it runs itself (the cluster's, GitHub's), which
 * publish the same keys at the same URLs.
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
import type { FederatedCredential as TenantFederatedCredential } from "../../tenant.ts";
import type { Directory, UserAssignedIdentity } from "./directory.ts";
import { entraError, unknownResourceError } from "./errors.ts";
import { CLOCK_SKEW_SECONDS } from "./clockSkew.ts";
import type { TokenIssuer } from "./tokens.ts";
import { missingServicePrincipal, resourceOfScope, tokenIdOf } from "./tokenRequests.ts";

/** The only client assertion type Entra ID takes: a JWT. */
export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const FEDERATION_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

/** A federated identity credential, wherever it is kept; `issuerOf` names the sandbox's cluster whose issuer it trusts. */
export type FederatedCredential = TenantFederatedCredential & { readonly id?: string };

/** The client an assertion signs in: a user-assigned managed identity, or an app registration's service principal. */
export type FederatedClient =
  | { readonly kind: "UserAssigned"; readonly identity: UserAssignedIdentity }
  | { readonly kind: "Application"; readonly appId: string };

/** An OpenID issuer the sandbox runs: its published keys, and what a client does when its token has expired. */
export interface TrustedIssuer {
  readonly keys: JSONWebKeySet;
  readonly renewal: string;
}

/** The OpenID issuers the sandbox runs, and where each client's federated identity credentials are kept. */
export interface FederationTrust {
  /** The issuer URL of the sandbox's cluster of that name (a credential's `issuerOf`). */
  clusterIssuer(name: string): string | undefined;
  /** The issuer at that URL, if the sandbox runs it. */
  issuer(url: string): TrustedIssuer | undefined;
  /** A client's federated identity credentials. */
  credentialsOf(client: FederatedClient): readonly FederatedCredential[];
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
  /** The assertion's issuer and subject, and the credential that matched: what the sign-in log's federated details show. */
  readonly properties?: Readonly<Record<string, string>>;
}

/** A federated credential with its issuer resolved. */
export type ResolvedCredential = FederatedCredential & { readonly issuer: string };

/** Federated credentials with `issuerOf` replaced by the cluster's issuer URL (those of a cluster that is not running are left out). */
export function federatedCredentialsOf(
  credentials: readonly FederatedCredential[],
  clusterIssuer: (name: string) => string | undefined,
): ResolvedCredential[] {
  return credentials.flatMap((credential) => {
    const issuer = credential.issuer ?? (credential.issuerOf ? clusterIssuer(credential.issuerOf) : undefined);
    return issuer ? [{ ...credential, issuer }] : [];
  });
}

const audiencesOf = (claims: JWTPayload): string[] =>
  Array.isArray(claims.aud) ? claims.aud : typeof claims.aud === "string" ? [claims.aud] : [];
const CHECK_CREDENTIAL =
  "Check your federated identity credential Subject, Audience and Issuer against the presented assertion.";
const noMatch = (code: number, what: string, value: string) =>
  entraError(
    "invalid_client",
    code,
    `No matching federated identity record found for presented assertion ${what} '${value.slice(0, 256)}'. ${CHECK_CREDENTIAL} ${FEDERATION_DOCS}`,
  );
/** AADSTS7002138: since 2024, subjects compare case included; one that differs only by case is named as such. */
const caseMismatch = (subject: string) =>
  entraError(
    "invalid_client",
    7002138,
    `No matching federated identity record found for presented assertion subject '${subject.slice(0, 256)}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. ${CHECK_CREDENTIAL} See documentation at: ${FEDERATION_DOCS}. See breaking change notification and remediation at: https://learn.microsoft.com/en-us/entra/identity-platform/reference-breaking-changes#august-2024.`,
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
    const missing = missingServicePrincipal(directory, clientId, issuer.tenantId);
    if (missing) return answer(400, missing, { caller: { appId: clientId.slice(0, 64) } });
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
  // What the sign-in log shows of the assertion: whom it names, never the token.
  const presented = {
    assertionIssuer: String(claims.iss ?? "").slice(0, 256),
    assertionSubject: String(claims.sub ?? "").slice(0, 256),
  };
  const refuse = (body: object) => answer(400, body, { caller, properties: presented });

  // Which of the client's credentials trust this issuer; then that issuer's keys must verify the token.
  const federatedClient: FederatedClient = managed
    ? { kind: "UserAssigned", identity: managed }
    : { kind: "Application", appId: clientId };
  const credentials = federatedCredentialsOf(trust.credentialsOf(federatedClient), trust.clusterIssuer).filter(
    (credential) => credential.issuer === claims.iss,
  );
  if (credentials.length === 0) return refuse(noMatch(700211, "issuer", String(claims.iss ?? "")));
  const trusted = trust.issuer(String(claims.iss));
  if (!trusted) {
    return refuse(
      entraError(
        "invalid_request",
        50166,
        `Request to External OIDC endpoint failed: the metadata of issuer '${String(claims.iss).slice(0, 256)}' could not be retrieved.`,
      ),
    );
  }
  try {
    await jwtVerify(assertion, createLocalJWKSet(trusted.keys), {
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
      return refuse(entraError("invalid_client", 700024, description, trusted.renewal));
    }
    if (
      error instanceof errors.JWSSignatureVerificationFailed ||
      error instanceof errors.JWKSNoMatchingKey ||
      error instanceof errors.JOSEAlgNotAllowed
    ) {
      return refuse(entraError("invalid_client", 700027, "Client assertion failed signature validation."));
    }
    return refuse(entraError("invalid_request", 50027, "JWT token is invalid or malformed."));
  }
  // Subjects and audiences are compared exactly, case included.
  const subject = String(claims.sub ?? "");
  const forSubject = credentials.filter((credential) => credential.subject === subject);
  if (forSubject.length === 0) {
    const differsByCase = credentials.some((credential) => credential.subject.toLowerCase() === subject.toLowerCase());
    return refuse(differsByCase ? caseMismatch(subject) : noMatch(700213, "subject", subject));
  }
  const audiences = audiencesOf(claims);
  const matched = forSubject.find((credential) =>
    credential.audiences.some((audience) => audiences.includes(audience)),
  );
  if (!matched) return refuse(noMatch(700212, "audience", audiences.join(", ")));
  const properties = {
    ...presented,
    federatedCredentialId: matched.id ?? matched.name,
  };

  const resource = resourceOfScope((values["scope"] ?? "").split(" ")[0] ?? "");
  if (!(values["scope"] ?? "").endsWith("/.default") || !resources.includes(resource))
    return answer(400, unknownResourceError(resource, issuer.tenantId, resources), { caller, properties });
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
    { caller, resource, properties, ...(tokenId ? { tokenId } : {}) },
  );
}
