/**
 * Microsoft Entra ID, as far as the workshop needs it: OpenID configuration,
 * signing keys (JWKS), and the OAuth 2.0 client-credentials grant that a
 * service principal (step 02) uses to get a token for a resource.
 *
 * The tenant answers to its GUID and to the alias `adfs`: with
 * AZURE_TENANT_ID=adfs, @azure/identity treats the authority as already known
 * and skips "instance discovery", a call to Microsoft's public cloud that
 * cannot work offline. Nothing in the app's code changes for it.
 */
import express, { type Express, type Request, type Response } from "express";
import {
  traceContext,
  uriWithoutQuery,
  type AuditCaller,
  type AuditCategory,
  type AuditSink,
  type CredentialKind,
} from "../../audit/log.ts";
import type { Directory } from "./directory.ts";
import { secretsEqual, wholeRequestsOnly } from "../../http/host.ts";
import { entraError, entraErrors, unknownResourceError } from "./errors.ts";
import type { TokenIssuer } from "./tokens.ts";
import { failureOf, formParameters, missingServicePrincipal, resourceOfScope, tokenIdOf } from "./tokenRequests.ts";
import { createUserSignIn, type SignInUser } from "./userSignIn.ts";
import { federatedClientCredentials, type FederationTrust } from "./federation.ts";

export interface TokenServiceOptions {
  readonly issuer: TokenIssuer;
  readonly directory: Directory;
  /** The resources (audiences) tokens can be asked for. */
  readonly resources: readonly string[];
  /** `https://localhost:<port>`, known once the server listens. */
  readonly authorityHost: () => string;
  readonly tenantAlias: string;
  /** Where each sign-in is recorded. */
  readonly audit?: AuditSink;
  /** The users who can sign in themselves (the real `az login -u -p`; see userSignIn.ts). */
  readonly users?: readonly SignInUser[];
  /** The OpenID issuers federated identity credentials can trust (the sandbox's cluster): client assertions need it. */
  readonly federation?: FederationTrust;
}

/** One answer of the token endpoint, and what the sign-in log says of it. */
interface SignIn {
  readonly status: number;
  readonly body: object;
  readonly caller?: AuditCaller;
  readonly resource?: string;
  readonly tokenId?: string;
  /** Which sign-in log, and how the client proved itself: a client secret unless said otherwise. */
  readonly category?: AuditCategory;
  readonly clientCredentialType?: CredentialKind;
  /** A federated sign-in's details: the assertion's issuer and subject, the credential that matched. */
  readonly properties?: Readonly<Record<string, string>>;
}

const refused = (status: number, body: object, caller?: AuditCaller): SignIn => ({
  status,
  body,
  ...(caller ? { caller } : {}),
});

export function createTokenService({
  issuer,
  directory,
  resources,
  authorityHost,
  tenantAlias,
  audit,
  federation,
  users = [],
}: TokenServiceOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.urlencoded({ extended: false }));
  app.use(wholeRequestsOnly(entraErrors));

  const isTenant = (tenant: string | undefined) => tenant === issuer.tenantId || tenant === tenantAlias;
  const userSignIn = createUserSignIn({ issuer, users, resources, isTenant, ...(audit ? { audit } : {}) });

  const openIdConfiguration = (req: Request, res: Response) => {
    const tenant = String(req.params["tenant"]);
    if (!isTenant(tenant)) {
      res
        .status(400)
        .json(
          entraError(
            "invalid_tenant",
            90002,
            `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`,
            "the sandbox tenant is 'adfs'",
          ),
        );
      return;
    }
    const base = `${authorityHost()}/${tenant}`;
    res.json({
      issuer: issuer.issuer,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      end_session_endpoint: `${base}/oauth2/logout`,
      jwks_uri: `${base}/discovery/keys`,
      response_types_supported: ["code", "token"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      grant_types_supported: ["client_credentials", "password", "refresh_token"],
      tenant_region_scope: "WW",
    });
  };
  app.get("/:tenant/.well-known/openid-configuration", openIdConfiguration);
  app.get("/:tenant/v2.0/.well-known/openid-configuration", openIdConfiguration);
  app.get(["/:tenant/discovery/keys", "/:tenant/discovery/v2.0/keys", "/common/discovery/keys"], (_req, res) => {
    res.json(issuer.jwks());
  });

  /** The client-credentials grant, step by step as Entra ID checks it; each refusal with its AADSTS code. */
  async function clientCredentials(req: Request): Promise<SignIn> {
    const tenant = String(req.params["tenant"]);
    if (!isTenant(tenant))
      return refused(
        400,
        entraError(
          "invalid_request",
          90002,
          `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`,
          "check AZURE_TENANT_ID",
        ),
      );
    const body = formParameters(req.body);
    if (!body.ok)
      return refused(
        400,
        entraError("invalid_request", 90100, `The ${body.repeated} parameter is repeated or not valid: send it once.`),
      );
    const missing = ["grant_type", "client_id", "scope"].find((name) => body.values[name] === undefined);
    if (missing)
      return refused(
        400,
        entraError("invalid_request", 900144, `The request body must contain the following parameter: '${missing}'.`),
      );
    if (body.values["grant_type"] !== "client_credentials") {
      return refused(
        400,
        entraError(
          "unsupported_grant_type",
          70003,
          `The app requested an unsupported grant type '${body.values["grant_type"]}'.`,
        ),
      );
    }
    // A client assertion instead of a secret: workload identity federation (see federation.ts).
    if (
      federation &&
      (body.values["client_assertion"] !== undefined || body.values["client_assertion_type"] !== undefined)
    ) {
      return federatedClientCredentials(body.values, { issuer, directory, resources, trust: federation });
    }
    const clientId = body.values["client_id"] ?? "";
    const servicePrincipal = directory.servicePrincipalByClientId(clientId);
    if (!servicePrincipal) {
      const missing = missingServicePrincipal(directory, clientId, issuer.tenantId);
      if (missing) return refused(400, missing, { appId: clientId.slice(0, 64) });
      const description = `Application with identifier '${clientId}' was not found in the directory '${issuer.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`;
      return refused(400, entraError("unauthorized_client", 700016, description, "check AZURE_CLIENT_ID"), {
        appId: clientId.slice(0, 64),
      });
    }
    const caller = { objectId: servicePrincipal.objectId, appId: clientId };
    if (body.values["client_secret"] === undefined)
      return refused(
        400,
        entraError(
          "invalid_client",
          7000216,
          "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        ),
        caller,
      );
    // An app registration without a secret (a keyless one: it signs in with federated credentials) matches none.
    if (servicePrincipal.secret === "" || !secretsEqual(body.values["client_secret"], servicePrincipal.secret)) {
      const description = `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`;
      return refused(401, entraError("invalid_client", 7000215, description, "check AZURE_CLIENT_SECRET"), caller);
    }
    const scope = body.values["scope"] ?? "";
    const resource = resourceOfScope(scope.split(" ")[0] ?? "");
    if (!scope.endsWith("/.default") || !resources.includes(resource))
      return refused(400, unknownResourceError(resource, issuer.tenantId, resources), caller);
    const lifetime = issuer.defaultLifetimeSeconds;
    const accessToken = await issuer.issue({
      audience: resource,
      objectId: servicePrincipal.objectId,
      appId: clientId,
    });
    return {
      status: 200,
      body: { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken },
      caller,
      resource,
      tokenId: tokenIdOf(accessToken),
    };
  }

  app.post(["/:tenant/oauth2/token", "/:tenant/oauth2/v2.0/token"], async (req, res) => {
    // A user signing in (password, then refresh tokens) is answered and logged apart: userSignIn.ts.
    if (userSignIn.handles((req.body as Record<string, unknown> | undefined)?.["grant_type"]))
      return userSignIn.answer(req, res);
    const started = performance.now();
    const signIn = await clientCredentials(req);
    if (signIn.status === 200) res.set("Cache-Control", "no-store");
    res.status(signIn.status).json(signIn.body);
    audit?.record({
      category: signIn.category ?? "ServicePrincipalSignInLogs",
      operationName: "Sign-in activity",
      resultType: signIn.status === 200 ? "Success" : "Failure",
      statusCode: signIn.status,
      clientCredentialType: signIn.clientCredentialType ?? "clientSecret",
      ...(signIn.caller ? { caller: signIn.caller } : {}),
      ...(signIn.resource ? { resource: signIn.resource } : {}),
      ...(signIn.tokenId ? { uniqueTokenIdentifier: signIn.tokenId } : {}),
      ...(signIn.status !== 200 ? failureOf(signIn.body) : {}),
      ...(signIn.properties ? { properties: signIn.properties } : {}),
      requestUri: uriWithoutQuery(req.originalUrl),
      httpMethod: "POST",
      durationMs: Math.round(performance.now() - started),
      ...traceContext(req.headers.traceparent),
    });
  });

  return app;
}
