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

/** The elements Azure adds after an error's message to say what exactly was wrong. */
const details = (fields: Readonly<Record<string, string>>) =>
  Object.entries(fields)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join("");

/**
 * What every answer of Queue Storage says about itself: its request id, the version it answered in, its server, and
 * the caller's own request id (x-ms-client-request-id) back, as Azure echoes it.
 */
export function answerHeaders(req: IncomingMessage | undefined, requestId = randomUUID()): Record<string, string> {
  const version = req?.headers["x-ms-version"];
  const clientRequestId = req?.headers["x-ms-client-request-id"];
  return {
    server: STORAGE_SERVER,
    "x-ms-request-id": requestId,
    "x-ms-version": typeof version === "string" && /^[\w-]{1,32}$/.test(version) ? version : DEFAULT_VERSION,
    // Only what a header may hold: Node parsed it from one, but a value is checked again before it is written.
    ...(typeof clientRequestId === "string" && /^[\t\x20-\x7e\x80-\xff]*$/.test(clientRequestId)
      ? { "x-ms-client-request-id": clientRequestId }
      : {}),
  };
}

function storageError(
  req: IncomingMessage | undefined,
  status: number,
  code: string,
  message: string,
  extra = "",
  headers: Record<string, string> = {},
): ErrorAnswer {
  const requestId = randomUUID();
  return {
    status,
    headers: {
      "content-type": "application/xml",
      ...answerHeaders(req, requestId),
      "x-ms-error-code": code,
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

/** A body larger than Azure reads (`maxLimit`: the largest message, in bytes, when it was a message that was too large). */
export const requestBodyTooLarge = (req?: IncomingMessage, maxLimit?: number) =>
  storageError(
    req,
    413,
    "RequestBodyTooLarge",
    "The request body is too large and exceeds the maximum permissible limit.",
    maxLimit === undefined ? "" : details({ MaxLimit: String(maxLimit) }),
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

/** A query parameter Azure cannot read, with which one and why when it is one parameter's fault. */
export const invalidQueryParameterValue = (
  req?: IncomingMessage,
  parameter?: { readonly name: string; readonly value: string; readonly reason: string },
) =>
  storageError(
    req,
    400,
    "InvalidQueryParameterValue",
    "Value for one of the query parameters specified in the request URI is invalid.",
    parameter
      ? details({ QueryParameterName: parameter.name, QueryParameterValue: parameter.value, Reason: parameter.reason })
      : "",
  );

export const outOfRangeQueryParameterValue = (
  req: IncomingMessage | undefined,
  parameter: { readonly name: string; readonly value: string; readonly min: number; readonly max: number },
) =>
  storageError(
    req,
    400,
    "OutOfRangeQueryParameterValue",
    "One of the query parameters specified in the request URI is outside the permissible range.",
    details({
      QueryParameterName: parameter.name,
      QueryParameterValue: parameter.value,
      MinimumAllowed: String(parameter.min),
      MaximumAllowed: String(parameter.max),
    }),
  );

export const missingRequiredQueryParameter = (req: IncomingMessage | undefined, name: string) =>
  storageError(
    req,
    400,
    "MissingRequiredQueryParameter",
    "A query parameter that's mandatory for this request is not specified.",
    details({ QueryParameterName: name }),
  );

/** A header Azure cannot read, named with the value it got. */
export const invalidHeaderValueOf = (req: IncomingMessage, name: string, value: string) =>
  storageError(
    req,
    400,
    "InvalidHeaderValue",
    "The value for one of the HTTP headers is not in the correct format.",
    details({ HeaderName: name, HeaderValue: value }),
  );

export const invalidMetadata = (req?: IncomingMessage) =>
  storageError(
    req,
    400,
    "InvalidMetadata",
    "The metadata specified is invalid. It has characters that are not permitted.",
  );

export const metadataTooLarge = (req?: IncomingMessage) =>
  storageError(req, 400, "MetadataTooLarge", "The size of the specified metadata exceeds the maximum size permitted.");

export const invalidXmlDocument = (req?: IncomingMessage) =>
  storageError(req, 400, "InvalidXmlDocument", "XML specified is not syntactically valid.");

// Queue Storage's own codes (Azure's table "Queue Storage error codes"), and the queue names it refuses.

export const queueNotFound = (req: IncomingMessage) =>
  storageError(req, 404, "QueueNotFound", "The specified queue does not exist.");

export const queueAlreadyExists = (req: IncomingMessage) =>
  storageError(req, 409, "QueueAlreadyExists", "The specified queue already exists.");

export const messageNotFound = (req: IncomingMessage) =>
  storageError(req, 404, "MessageNotFound", "The specified message does not exist.");

export const popReceiptMismatch = (req: IncomingMessage) =>
  storageError(
    req,
    400,
    "PopReceiptMismatch",
    "The specified pop receipt did not match the pop receipt for a dequeued message.",
  );

/** A queue name outside 3 to 63 characters. */
export const outOfRangeInput = (req: IncomingMessage) =>
  storageError(req, 400, "OutOfRangeInput", "The specified resource name length is not within the permissible limits.");

/** A queue name with characters Azure does not take (anything but a-z, 0-9 and single hyphens inside). */
export const invalidQueueName = (req: IncomingMessage) =>
  storageError(req, 400, "InvalidResourceName", "The specified resource name contains invalid characters.");

/** Get Queue Service Stats on the primary endpoint: Azure serves it on the secondary one only. */
export const statsOnPrimary = (req: IncomingMessage) =>
  storageError(
    req,
    400,
    "InvalidQueryParameterValue",
    "Value for one of the query parameters specified in the request URI is invalid.",
    details({
      QueryParameterName: "comp",
      QueryParameterValue: "stats",
      Reason: "The service statistics are served on the account's secondary endpoint only.",
    }),
  );

// CORS, as Azure answers a browser's preflight request (OPTIONS).

export const corsHeaderMissing = (req: IncomingMessage, header: string) =>
  storageError(
    req,
    400,
    "InvalidHeaderValue",
    "A required CORS header is not present.",
    details({ MessageDetails: `The required CORS header ${header} is missing.` }),
  );

export const corsPreflightFailure = (req: IncomingMessage) =>
  storageError(
    req,
    403,
    "CorsPreflightFailure",
    "CORS not enabled or no matching rule found for this request.",
    details({ MessageDetails: "No CORS rule matches this request." }),
  );

export const unsupportedHttpVerb = (req?: IncomingMessage) =>
  storageError(req, 405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.");

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
