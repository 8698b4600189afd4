/**
 * A service principal's tokens, as the Azure CLI gets them after
 * `az login --service-principal`: the client-credentials grant at Entra ID's
 * token endpoint, proving itself with the federated token it was given (a
 * client assertion) or its client secret, for one resource at a time; each
 * token kept in the profile until shortly before it expires.
 */
import type { SandboxEndpoints } from "../endpoints.ts";
import { AzError } from "./azError.ts";
import type { AzProfile, ServicePrincipalLogin } from "./session.ts";
import { send } from "./http.ts";

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface ServicePrincipalToken {
  readonly accessToken: string;
  /** Epoch seconds. */
  readonly expiresOn: number;
}

/**
 * A token for `resource` (with or without `/.default`), from the profile's cache or from Entra ID (then kept in
 * the cache; a login in progress gives none: nothing is kept until it succeeded).
 */
export async function servicePrincipalToken(
  endpoints: Pick<SandboxEndpoints, "authorityHost">,
  login: ServicePrincipalLogin,
  resource: string,
  cache?: AzProfile,
): Promise<ServicePrincipalToken> {
  const bare = resource.replace(/\/\.default$/, "").replace(/\/$/, "");
  const cached = cache?.cachedToken(bare);
  if (cached) return cached;
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: login.clientId,
    scope: `${bare}/.default`,
    ...(login.clientAssertion !== undefined
      ? { client_assertion_type: JWT_BEARER, client_assertion: login.clientAssertion }
      : { client_secret: login.clientSecret ?? "" }),
  });
  const response = await send(`${endpoints.authorityHost}/${encodeURIComponent(login.tenant)}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  }).catch(() => {
    throw new AzError(
      undefined,
      "The sandbox is not running. Start it with npm start in another terminal, then try again.",
    );
  });
  const answer = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    error_description?: string;
  };
  // The Azure CLI prints Entra ID's own words: "AADSTS700213: No matching federated identity record found…".
  if (!response.ok || typeof answer.access_token !== "string")
    throw new AzError(undefined, answer.error_description ?? `Microsoft Entra ID answered ${response.status}.`);
  const token = {
    accessToken: answer.access_token,
    expiresOn: Math.floor(Date.now() / 1000) + (answer.expires_in ?? 3600),
  };
  cache?.cacheToken(bare, token);
  return token;
}
