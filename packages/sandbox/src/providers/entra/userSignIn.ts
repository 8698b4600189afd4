/**
 * A user's own sign-in to Microsoft Entra ID, as the real Azure CLI does it
 * offline: `az login --username <upn> --password <password>` (OAuth 2.0's
 * resource owner password grant, "ROPC"), then a refresh token for every
 * later token (`az account get-access-token`, any command). Each answer is
 * recorded in the sign-in log as a user's sign-in (SignInLogs).
 *
 * Entra ID allows this grant only for public clients a user signs in to:
 * here the Azure CLI and Azure PowerShell, by their well-known client ids.
 * Like Azure, it refuses it for an account that needs more than a password
 * (none here) and answers every wrong username or password alike.
 */
import { secretsEqual } from "../../http/host.ts";
import type { Request, Response } from "express";
import { traceContext, uriWithoutQuery, type AuditRecord, type AuditSink } from "../../audit/log.ts";
import { entraError, unknownResourceError } from "./errors.ts";
import { failureOf, formParameters, resourceOfScope, tokenIdOf } from "./tokenRequests.ts";
import type { TokenIssuer } from "./tokens.ts";

/** The Azure CLI's and Azure PowerShell's client ids: public clients that may sign a user in with a password. */
export const PUBLIC_CLIENTS: Readonly<Record<string, string>> = {
  "04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Microsoft Azure CLI",
  "1950a258-227b-4e31-a9cf-717495945fc2": "Microsoft Azure PowerShell",
};

/** OpenID Connect's own scopes, which MSAL adds to every user sign-in: they name no resource. */
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
/** The audience of the sandbox's refresh tokens: no service accepts them as access tokens. */
const REFRESH_TOKEN_AUDIENCE = "urn:keyless:entra:refresh-token";
/** Refresh tokens last as long as the longest token Entra ID signs here (a day); a new one comes with every use. */
const REFRESH_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

export interface SignInUser {
  readonly userPrincipalName: string;
  readonly objectId: string;
  /** Only a user with a password in tenant.json can sign in with one. */
  readonly password?: string;
}

export interface UserSignInOptions {
  readonly issuer: TokenIssuer;
  readonly users: readonly SignInUser[];
  /** The resources tokens can be asked for (read at each request: the vault's is added once it listens). */
  readonly resources: readonly string[];
  /** Whether a tenant in the URL is this directory (its GUID or `adfs`). */
  isTenant(tenant: string): boolean;
  readonly audit?: AuditSink;
}

/** One answer of the token endpoint for a user's grant, and what the sign-in log says of it. */
interface Answer {
  readonly status: number;
  readonly body: object;
  readonly user?: SignInUser;
  readonly clientId?: string;
  readonly resource?: string;
  readonly tokenId?: string;
}

export interface UserSignIn {
  /** The grants this answers: `password` and `refresh_token`. */
  handles(grantType: unknown): boolean;
  /** Answers a POST to the token endpoint and records it. */
  answer(req: Request, res: Response): Promise<void>;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

export function createUserSignIn(options: UserSignInOptions): UserSignIn {
  const { issuer, users, resources } = options;
  const refused = (status: number, body: object, extra: Partial<Answer> = {}): Answer => ({ status, body, ...extra });
  const userNamed = (name: string) => users.find((user) => user.userPrincipalName.toLowerCase() === name.toLowerCase());
  const userWithId = (objectId: string) => users.find((user) => user.objectId === objectId);
  const refreshTokens = issuer.validator();

  /** The resource the scopes ask for: one `<resource>/.default`, beside OpenID Connect's own scopes. */
  function resourceOf(scope: string): { ok: true; resource: string; scopes: string[] } | { ok: false; body: object } {
    const asked = scope.split(" ").filter((name) => name !== "" && !OIDC_SCOPES.has(name));
    const resource = resourceOfScope(asked[0] ?? "");
    if (asked.length !== 1 || !asked[0]?.endsWith("/.default")) {
      return {
        ok: false,
        body: entraError(
          "invalid_scope",
          70011,
          `The provided value for the input parameter 'scope' is not valid. The scope ${asked.join(" ") || "(none)"} is not valid: ask for one resource's /.default scope.`,
        ),
      };
    }
    if (!resources.includes(resource))
      return { ok: false, body: unknownResourceError(resource.slice(0, 256), issuer.tenantId, resources) };
    return { ok: true, resource, scopes: asked };
  }

  /** An access token, an ID token and a refresh token for the user, as Entra ID's v1 endpoint answers a public client. */
  async function tokensFor(
    user: SignInUser,
    clientId: string,
    resource: string,
    scopes: string[],
    requested: Readonly<Record<string, string>>,
  ): Promise<Answer> {
    const lifetime = issuer.defaultLifetimeSeconds;
    const person = {
      upn: user.userPrincipalName,
      unique_name: user.userPrincipalName,
      name: user.userPrincipalName.split("@")[0] ?? "",
    };
    const accessToken = await issuer.issue({
      audience: resource,
      objectId: user.objectId,
      appId: clientId,
      // A public client (appidacr 0), signed in with a password, acting for the user.
      claims: { ...person, appidacr: "0", amr: ["pwd"], scp: "user_impersonation", idtyp: "user" },
    });
    // The ID token tells the client who signed in; MSAL keeps the account under it.
    const idToken = await issuer.issue({
      audience: clientId,
      objectId: user.objectId,
      claims: { ...person, preferred_username: user.userPrincipalName, ver: "1.0" },
    });
    const refreshToken = await issuer.issue({
      audience: REFRESH_TOKEN_AUDIENCE,
      objectId: user.objectId,
      appId: clientId,
      lifetimeSeconds: REFRESH_TOKEN_LIFETIME_SECONDS,
    });
    const body = {
      token_type: "Bearer",
      scope: scopes.join(" "),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
      refresh_token: refreshToken,
      id_token: idToken,
      // What MSAL asks for (client_info=1): who the account is, in which tenant.
      ...(requested["client_info"] === "1"
        ? { client_info: base64url({ uid: user.objectId, utid: issuer.tenantId }) }
        : {}),
    };
    const tokenId = tokenIdOf(accessToken);
    return { status: 200, body, user, clientId, resource, ...(tokenId ? { tokenId } : {}) };
  }

  /** The checks common to both grants: the tenant, a form with each parameter once, the required ones, a public client. */
  function common(
    req: Request,
    required: readonly string[],
  ): { ok: true; values: Readonly<Record<string, string>>; clientId: string } | { ok: false; answer: Answer } {
    const tenant = String(req.params["tenant"]);
    if (!options.isTenant(tenant))
      return {
        ok: false,
        answer: refused(
          400,
          entraError(
            "invalid_request",
            90002,
            `Tenant '${tenant.slice(0, 64)}' not found. Check to make sure you have the correct tenant ID.`,
          ),
        ),
      };
    const form = formParameters(req.body);
    if (!form.ok)
      return {
        ok: false,
        answer: refused(
          400,
          entraError(
            "invalid_request",
            90100,
            `The ${form.repeated} parameter is repeated or not valid: send it once.`,
          ),
        ),
      };
    const missing = required.find((name) => form.values[name] === undefined);
    if (missing)
      return {
        ok: false,
        answer: refused(
          400,
          entraError("invalid_request", 900144, `The request body must contain the following parameter: '${missing}'.`),
        ),
      };
    const clientId = form.values["client_id"] ?? "";
    if (!PUBLIC_CLIENTS[clientId]) {
      const description = `Application with identifier '${clientId.slice(0, 64)}' was not found in the directory '${issuer.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`;
      return {
        ok: false,
        answer: refused(
          400,
          entraError(
            "unauthorized_client",
            700016,
            description,
            "a user signs in here through the Azure CLI or Azure PowerShell",
          ),
        ),
      };
    }
    return { ok: true, values: form.values, clientId };
  }

  /** `az login -u <upn> -p <password>`: the resource owner password grant. */
  async function password(req: Request): Promise<Answer> {
    const checked = common(req, ["grant_type", "client_id", "username", "password", "scope"]);
    if (!checked.ok) return checked.answer;
    const { values, clientId } = checked;
    const user = userNamed(values["username"] ?? "");
    if (!user) {
      const description = `The user account {EUII Hidden} does not exist in the ${issuer.tenantId} directory. To sign into this application, the account must be added to the directory.`;
      return refused(400, entraError("invalid_grant", 50034, description, "the sandbox's user is in tenant.json"), {
        clientId,
      });
    }
    if (user.password === undefined || !secretsEqual(values["password"] ?? "", user.password)) {
      return refused(
        400,
        entraError("invalid_grant", 50126, "Error validating credentials due to invalid username or password."),
        { user, clientId },
      );
    }
    const scope = resourceOf(values["scope"] ?? "");
    if (!scope.ok) return refused(400, scope.body, { user, clientId });
    return tokensFor(user, clientId, scope.resource, scope.scopes, values);
  }

  /** Every later token: the refresh token from the sign-in, for any resource. */
  async function refresh(req: Request): Promise<Answer> {
    const checked = common(req, ["grant_type", "client_id", "refresh_token", "scope"]);
    if (!checked.ok) return checked.answer;
    const { values, clientId } = checked;
    const check = await refreshTokens.validate(`Bearer ${values["refresh_token"] ?? ""}`, REFRESH_TOKEN_AUDIENCE);
    if (!check.ok) {
      // A token of an earlier sandbox (another signing key), or expired: sign in again, as after a revocation.
      const [code, description] =
        check.problem === "expired"
          ? [700082, "The refresh token has expired due to inactivity."]
          : check.problem === "unknownKey" || check.problem === "signature"
            ? [
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
              ]
            : [9002313, "Invalid request. Request is malformed or invalid."];
      return refused(400, entraError("invalid_grant", code, description, "sign in again: az login"), { clientId });
    }
    const user = userWithId(check.principal.objectId);
    if (!user)
      return refused(
        400,
        entraError(
          "invalid_grant",
          50034,
          `The user account {EUII Hidden} does not exist in the ${issuer.tenantId} directory.`,
        ),
        { clientId },
      );
    if (check.principal.appId !== clientId) {
      return refused(
        400,
        entraError(
          "invalid_grant",
          70000,
          "Provided grant is invalid or malformed: the refresh token was issued to another client.",
        ),
        { user, clientId },
      );
    }
    const scope = resourceOf(values["scope"] ?? "");
    if (!scope.ok) return refused(400, scope.body, { user, clientId });
    return tokensFor(user, clientId, scope.resource, scope.scopes, values);
  }

  return {
    handles: (grantType) => grantType === "password" || grantType === "refresh_token",
    async answer(req, res) {
      const started = performance.now();
      const grant = (req.body as Record<string, unknown> | undefined)?.["grant_type"];
      const answer = grant === "password" ? await password(req) : await refresh(req);
      if (answer.status === 200) res.set("Cache-Control", "no-store");
      res.status(answer.status).json(answer.body);
      const record: AuditRecord = {
        category: "SignInLogs",
        operationName: "Sign-in activity",
        resultType: answer.status === 200 ? "Success" : "Failure",
        statusCode: answer.status,
        ...(grant === "password"
          ? { authenticationProtocol: "ropc" as const }
          : { incomingTokenType: "refreshToken" as const }),
        ...(answer.user || answer.clientId
          ? {
              caller: {
                ...(answer.user ? { objectId: answer.user.objectId, displayName: answer.user.userPrincipalName } : {}),
                ...(answer.clientId ? { appId: answer.clientId.slice(0, 64) } : {}),
                type: "User" as const,
              },
            }
          : {}),
        ...(answer.resource ? { resource: answer.resource } : {}),
        ...(answer.tokenId ? { uniqueTokenIdentifier: answer.tokenId } : {}),
        ...(answer.status !== 200 ? failureOf(answer.body) : {}),
        requestUri: uriWithoutQuery(req.originalUrl),
        httpMethod: "POST",
        durationMs: Math.round(performance.now() - started),
        ...traceContext(req.headers.traceparent),
      };
      options.audit?.record(record);
    },
  };
}
