/**
 * Azure Storage's error answers, one function per error code: XML
 * `<Error><Code>…</Code><Message>…</Message></Error>`, the code also in the
 * `x-ms-error-code` header, with Azure's own wording, so that a search for the
 * code finds Microsoft's documentation.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ErrorAnswer, ServiceErrors } from "../http/host.ts";
import type { TokenCheck, TokenProblem } from "../contracts.ts";

/** Answers carry the request's x-ms-version, as Azure's do; this one when it sent none. */
const DEFAULT_VERSION = "2026-02-06";
export const STORAGE_SERVER = "Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0";

const escapeXml = (text: string) => text.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c] ?? c);

function storageError(
  req: IncomingMessage | undefined,
  status: number,
  code: string,
  message: string,
  extra = "",
  headers: Record<string, string> = {},
): ErrorAnswer {
  const requestId = randomUUID();
  const version = req?.headers["x-ms-version"];
  return {
    status,
    headers: {
      "content-type": "application/xml",
      server: STORAGE_SERVER,
      "x-ms-error-code": code,
      "x-ms-request-id": requestId,
      "x-ms-version": typeof version === "string" && /^[\w-]{1,32}$/.test(version) ? version : DEFAULT_VERSION,
      ...headers,
    },
    body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message>${extra}</Error>`,
  };
}

export const serverBusy = (req?: IncomingMessage) =>
  storageError(
    req,
    503,
    "ServerBusy",
    "The server is currently unable to receive requests. Please retry your request.",
  );

export const internalError = (req?: IncomingMessage) =>
  storageError(req, 500, "InternalError", "The server encountered an internal error. Please retry the request.");

export const invalidUri = (req?: IncomingMessage) =>
  storageError(req, 400, "InvalidUri", "The requested URI does not represent any resource on the server.");

export const invalidResourceName = (req: IncomingMessage, account: string) =>
  storageError(
    req,
    400,
    "InvalidResourceName",
    `The specified resource name is not valid here: the account is ${account}.`,
  );

export const requestBodyTooLarge = (req?: IncomingMessage) =>
  storageError(
    req,
    413,
    "RequestBodyTooLarge",
    "The request body is too large and exceeds the maximum permissible limit.",
  );

export const invalidHeaderValue = (
  req?: IncomingMessage,
  detail = "the request's headers are larger than Azure accepts",
) =>
  storageError(
    req,
    400,
    "InvalidHeaderValue",
    `The value for one of the HTTP headers is not in the correct format: ${detail}.`,
  );

export const invalidQueryParameterValue = (req?: IncomingMessage) =>
  storageError(
    req,
    400,
    "InvalidQueryParameterValue",
    "Value for one of the query parameters specified in the request URI is invalid.",
  );

export const invalidMetadata = (req?: IncomingMessage) =>
  storageError(
    req,
    400,
    "InvalidMetadata",
    "The metadata specified is invalid. It has characters that are not permitted.",
  );

export const invalidXmlDocument = (req?: IncomingMessage) =>
  storageError(req, 400, "InvalidXmlDocument", "XML specified is not syntactically valid.");

export const unsupportedHttpVerb = (req?: IncomingMessage) =>
  storageError(req, 405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.");

/** What Azurite refused without an error code of its own: Azure's code for that status. */
export function backendRefusal(req: IncomingMessage, status: number): ErrorAnswer {
  if (status === 404) return storageError(req, 404, "ResourceNotFound", "The specified resource does not exist.");
  if (status === 405) return unsupportedHttpVerb(req);
  if (status === 413) return requestBodyTooLarge(req);
  if (status === 431) return invalidHeaderValue(req);
  if (status >= 500) return internalError(req);
  return storageError(req, status, "InvalidInput", "One of the request inputs is not valid.");
}

export const requestTimeout = () =>
  storageError(undefined, 408, "OperationTimedOut", "The client did not send its whole request in time.");

/** Who to ask for a token: the answer to a request without one, and to a refused one. */
const challenge = (authority: string, resource: string) => ({
  "www-authenticate": `Bearer authorization_uri=${authority}/oauth2/authorize resource_id=${resource}`,
});

export const noAuthenticationInformation = (req: IncomingMessage, authority: string, resource: string) =>
  storageError(
    req,
    401,
    "NoAuthenticationInformation",
    "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
    "",
    challenge(authority, resource),
  );

/**
 * Azure Storage's AuthenticationErrorDetail. Azure's own words where they are
 * known; otherwise the same kind of sentence with the sandbox's reason.
 */
function authenticationDetail(check: TokenCheck & { ok: false }): string {
  const known: Partial<Record<TokenProblem, string>> = {
    audience: "Audience validation failed. Audience did not match.",
    issuer: "Issuer validation failed. Issuer did not match.",
    tenant: "Issuer validation failed. Issuer did not match.",
    expired: "Lifetime validation failed. The token is expired.",
    notYetValid: "Lifetime validation failed. The token is not yet valid.",
    lifetime: "Lifetime validation failed. The token's lifetime is longer than Microsoft Entra ID issues.",
  };
  const signature = ["algorithm", "signature", "unknownKey"].includes(check.problem);
  return (
    known[check.problem] ?? `${signature ? "Signature validation failed." : "Token validation failed."} ${check.reason}`
  );
}

export const invalidAuthenticationInfo = (
  req: IncomingMessage,
  check: TokenCheck & { ok: false },
  authority: string,
  resource: string,
) =>
  storageError(
    req,
    401,
    "InvalidAuthenticationInfo",
    "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
    `<AuthenticationErrorDetail>${escapeXml(authenticationDetail(check))}</AuthenticationErrorDetail>`,
    challenge(authority, resource),
  );

/** What Azure answers an account key or a SAS when the account allows Microsoft Entra authorization only (AllowSharedKeyAccess false). */
export const keyBasedAuthenticationNotPermitted = (req: IncomingMessage) =>
  storageError(
    req,
    403,
    "KeyBasedAuthenticationNotPermitted",
    "Key based authentication is not permitted on this storage account.",
  );

export const authorizationPermissionMismatch = (req: IncomingMessage) =>
  storageError(
    req,
    403,
    "AuthorizationPermissionMismatch",
    "This request is not authorized to perform this operation using this permission.",
  );

/** What the host answers for Queue Storage when a request never reaches the gateway's own checks. */
export const queueErrors: ServiceErrors = {
  notFound: (req) => invalidUri(req),
  badRequest: (reason, req) =>
    reason === "headersTooLarge"
      ? invalidHeaderValue(req)
      : reason === "header"
        ? invalidHeaderValue(
            req,
            "each must parse, with a Host, no Expect but 100-continue, and no Transfer-Encoding but chunked",
          )
        : reason === "method"
          ? unsupportedHttpVerb(req)
          : reason === "bodyTooLarge"
            ? requestBodyTooLarge(req)
            : reason === "timeout"
              ? requestTimeout()
              : invalidUri(req),
  internal: (req) => internalError(req),
};
