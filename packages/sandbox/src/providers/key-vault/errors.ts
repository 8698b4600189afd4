import type { TokenProblem } from "../../contracts.ts";
import type { ServiceErrors } from "../../http/host.ts";

/** Key Vault's error bodies: `{"error": {"code", "message", "innererror"?}}`, with Azure's codes and wording. */
export interface KeyVaultError {
  readonly status: number;
  readonly body: {
    readonly error: {
      readonly code: string;
      readonly message: string;
      readonly innererror?: { readonly code: string };
    };
  };
}

const error = (status: number, code: string, message: string, inner?: string): KeyVaultError => ({
  status,
  body: { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } },
});

/** A host name that names no vault: on Azure, its DNS name would not resolve. */
export const vaultNotFound = (given: string) =>
  error(
    404,
    "VaultNotFound",
    `No vault named ${given.slice(0, 64)} exists in this sandbox: create it (az keyvault create, or a deployment), or check the vault's name in the URL.`,
  );
export const missingToken = () => error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
/**
 * A refused token, in Key Vault's words where Azure's are known (AKV10022
 * audience, AKV10032 issuer, AKV10046 signing key), with the sandbox's reason
 * after them so a learner sees what to fix.
 */
export function invalidToken(
  check: { readonly problem: TokenProblem; readonly reason: string; readonly found?: string },
  expected: { audience: string; issuer: string },
): KeyVaultError {
  const known: Partial<Record<TokenProblem, string>> = {
    audience: `AKV10022: Invalid audience. Expected ${expected.audience}, found: ${check.found ?? ""}.`,
    issuer: `AKV10032: Invalid issuer. Expected one of ${expected.issuer}, found ${check.found ?? ""}.`,
    tenant: `AKV10032: Invalid issuer. Expected one of ${expected.issuer}, found ${check.found ?? ""}.`,
    unknownKey: "AKV10046: Unable to resolve the key used for signature validation.",
    missing: "AKV10000: Request is missing a Bearer or PoP token.",
  };
  return error(401, "Unauthorized", known[check.problem] ?? `Token validation failed. ${check.reason}`);
}
/** Azure Resource Manager's wording; the vault's own is not documented. */
export const missingApiVersion = () =>
  error(
    400,
    "MissingApiVersionParameter",
    "The api-version query parameter (?api-version=) is required for all requests.",
  );
export const unknownApiVersion = (given: string, latest: string) =>
  error(
    400,
    "BadParameter",
    `The specified version (${given}) is not recognized. Consider using the latest supported version (${latest}).`,
  );
export const badName = (name: string) =>
  error(
    400,
    "BadParameter",
    `The request URI contains an invalid name: ${name}. Secret names may contain only 0-9, a-z, A-Z and -, up to 127 characters.`,
  );
export const missingValue = () => error(400, "BadParameter", "Property value is required and must be a string.");
export const valueTooLarge = () =>
  error(400, "BadParameter", "Secret is beyond the maximum permitted length of 25600 characters.");
export const secretNotFound = (name: string, version?: string) =>
  error(
    404,
    "SecretNotFound",
    `A secret with (name/id) ${version ? `${name}/${version}` : name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
export const deletedSecretNotFound = (name: string) =>
  error(404, "SecretNotFound", `Deleted Secret not found: ${name}`);
export const disabled = () =>
  error(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
export const deletedNameTaken = (name: string) =>
  error(
    409,
    "Conflict",
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
export const alreadyExists = (name: string) => error(409, "Conflict", `Secret ${name} already exists.`);
export const badBackup = () => error(400, "BadParameter", "Backup blob contains invalid or corrupt version.");
/** A property of the request body that Azure would refuse: the wrong type, or beyond Azure's limits. */
export const invalidProperty = (property: string, reason: string) =>
  error(400, "BadParameter", `Property ${property} has invalid value. ${reason}`);
export const notAnObject = () => error(400, "BadParameter", "The request body must be a JSON object.");
export const badMaxResults = (given: string) =>
  error(
    400,
    "BadParameter",
    `Invalid value for maxresults: '${given.length > 40 ? `${given.slice(0, 40)}…` : given}'. The maximum number of results in a page is an integer from 1 to 25.`,
  );
export const badSkipToken = () =>
  error(400, "BadParameter", "The $skiptoken is not valid: use the nextLink of the previous page as it is.");
export const deletedSecretConflict = (name: string) =>
  error(409, "Conflict", `Secret ${name} already exists; a deleted secret of that name cannot be recovered over it.`);

// What the HTTP layer fails on before an operation runs.
export const unsupportedOperation = () =>
  error(400, "BadParameter", "The requested operation is not supported by this vault.");
export const badRequestUri = () =>
  error(400, "BadParameter", "The request URI is not valid: it does not decode as UTF-8.");
export const badJson = () => error(400, "BadParameter", "The request body is not valid JSON.");
export const unreadableBody = () =>
  error(
    400,
    "BadParameter",
    "The request body could not be read: send JSON, in UTF-8, without a content encoding or compressed with gzip or deflate.",
  );
export const requestTooLarge = (limit: string) =>
  error(400, "BadParameter", `The request body is larger than this vault accepts (${limit}).`);
/** Anything unexpected: Azure's generic 500, never the error itself (no stack, no path). */
export const internalError = () =>
  error(500, "InternalServerError", "The service encountered an internal error. Please try again.");

/** Azure's RBAC denial, word for word: it names the caller, the action and the resource. */
export function forbiddenByRbac(options: {
  readonly appId?: string;
  readonly objectId: string;
  readonly issuer: string;
  readonly action: string;
  readonly resource: string;
  readonly vault: string;
  readonly location: string;
}): KeyVaultError {
  const message = [
    "Caller is not authorized to perform action on resource.",
    "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
    `Caller: appid=${options.appId ?? "(user)"};oid=${options.objectId};iss=${options.issuer}`,
    `Action: '${options.action}'`,
    `Resource: '${options.resource.toLowerCase()}'`,
    "Assignment: (not found)",
    "DenyAssignmentId: null",
    "DecisionReason: 'DeniedWithNoValidRBAC' ",
    `Vault: ${options.vault};location=${options.location}`,
    "",
  ].join("\r\n");
  return error(403, "Forbidden", message, "ForbiddenByRbac");
}

/** What the host answers for the vault when a request never reaches its routes (a target Node cannot parse, headers too large). */
export const keyVaultErrors: ServiceErrors = {
  notFound: () => unsupportedOperation(),
  badRequest: (reason) =>
    reason === "headersTooLarge"
      ? error(400, "BadParameter", "The request's headers are larger than Key Vault accepts.")
      : reason === "header"
        ? error(
            400,
            "BadParameter",
            "A request header is not valid: each must parse, with a Host, no Expect but 100-continue, and no Transfer-Encoding but chunked.",
          )
        : reason === "method"
          ? unsupportedOperation()
          : reason === "bodyTooLarge"
            ? requestTooLarge("the request's limit")
            : reason === "body"
              ? badJson()
              : badRequestUri(),
  internal: () => internalError(),
};
