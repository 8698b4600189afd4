/**
 * Azure Resource Manager's error answers: `{"error": {"code", "message"}}`,
 * which `az` prints as `(code) message`, with ARM's own codes, so a search for
 * one finds Microsoft's documentation.
 */
import type { IncomingMessage } from "node:http";
import type { TokenCheck } from "../contracts.ts";
import type { ErrorAnswer, ServiceErrors } from "../http/host.ts";

export const armAnswer = (
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): ErrorAnswer & { body: { error: { code: string; message: string } } } => ({
  status,
  ...(headers ? { headers } : {}),
  body: { error: { code, message } },
});

const path = (req?: IncomingMessage) => (req?.url ?? "").split("?")[0]?.slice(0, 256) ?? "";

/** What the Resource Manager host answers for anything no route handled. */
export const resourceManagerErrors: ServiceErrors = {
  notFound: (req) =>
    armAnswer(
      404,
      "NotFound",
      `The sandbox's Resource Manager has no ${req.method} ${path(req)}: it serves tenants, subscriptions, and the resources of its providers in them (az resource list shows them).`,
    ),
  badRequest: (reason) =>
    reason === "body" || reason === "bodyTooLarge"
      ? armAnswer(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
      : armAnswer(400, "BadRequest", "The request could not be read."),
  internal: () => armAnswer(500, "InternalServerError", "Encountered internal server error. Please try again."),
};

export const missingApiVersion = () =>
  armAnswer(
    400,
    "MissingApiVersionParameter",
    "The api-version query parameter (?api-version=) is required for all requests.",
  );

export const invalidApiVersion = (given: string) =>
  armAnswer(
    400,
    "InvalidApiVersionParameter",
    `The api-version '${given.slice(0, 64)}' is invalid. The supported versions are dates, like '2022-12-01' or '2021-04-01-preview'.`,
  );

/**
 * A request without a valid token for Resource Manager, in ARM's words; the
 * WWW-Authenticate header names the authority, as ARM's does.
 */
export function authenticationFailed(
  check: TokenCheck & { ok: false },
  expected: { audiences: readonly string[]; issuer: string; tenantId: string; authority: string },
): ErrorAnswer {
  const headers = {
    "www-authenticate": `Bearer authorization_uri="${expected.authority}", error="invalid_token", error_description="${check.problem === "missing" ? "The authentication failed because of missing 'Authorization' header." : "The access token is invalid."}"`,
  };
  const answer = (code: string, message: string) => armAnswer(401, code, message, headers);
  switch (check.problem) {
    case "missing":
      return answer("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
    case "expired":
      return answer(
        "ExpiredAuthenticationToken",
        `The access token expiry UTC time is earlier than current UTC time. ${check.reason}`,
      );
    case "audience":
      return answer(
        "InvalidAuthenticationTokenAudience",
        `The access token has been obtained for wrong audience or resource '${check.found ?? ""}'. It should exactly match with one of the allowed audiences ${expected.audiences.map((audience) => `'${audience}'`).join(",")}.`,
      );
    case "issuer":
    case "tenant":
      return answer(
        "InvalidAuthenticationTokenTenant",
        `The access token is from the wrong issuer '${check.found ?? ""}'. It must match the tenant '${expected.issuer}' associated with this subscription. Please use the authority (URL) '${expected.authority}' to get the token.`,
      );
    default:
      return answer("InvalidAuthenticationToken", `The access token is invalid. ${check.reason}`);
  }
}

export const subscriptionNotFound = (id: string) =>
  armAnswer(404, "SubscriptionNotFound", `The subscription '${id.slice(0, 64)}' could not be found.`);

export const resourceGroupNotFound = (name: string) =>
  armAnswer(404, "ResourceGroupNotFound", `Resource group '${name.slice(0, 90)}' could not be found.`);

/** A caller with no role assignment in a scope: ARM's AuthorizationFailed, with the action and scope. */
export const authorizationFailed = (objectId: string, action: string, scope: string) =>
  armAnswer(
    403,
    "AuthorizationFailed",
    `The client '${objectId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
