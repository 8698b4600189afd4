import type { ServiceErrors } from "../../http/host.ts";
import { randomUUID } from "node:crypto";

/**
 * An error answer in Microsoft Entra ID's shape, with its AADSTS code, so a
 * learner who searches for the code finds Microsoft's documentation.
 */
export function entraError(error: string, code: number, description: string, hint?: string) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return {
    error,
    error_description: `AADSTS${code}: ${description}${hint ? ` (sandbox hint: ${hint})` : ""} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

/** AADSTS500011: a token was asked for a resource the tenant does not know. */
export function unknownResourceError(resource: string, tenantId: string, knownResources: readonly string[]) {
  return entraError(
    "invalid_resource",
    500011,
    `The resource principal named ${resource || "(none)"} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    `resources here: ${knownResources.join(", ")}`,
  );
}

/** What the host answers for Microsoft Entra ID when a request never reaches a route: Entra's JSON, with an AADSTS code. */
export const entraErrors: ServiceErrors = {
  notFound: (req) => ({
    status: 404,
    body: entraError(
      "invalid_request",
      90011,
      `The endpoint ${(req.url ?? "").split("?")[0]} does not exist on this authority.`,
    ),
  }),
  badRequest: (reason) => ({
    status: 400,
    body:
      reason === "headersTooLarge"
        ? entraError("invalid_request", 90015, "The request's headers are larger than Microsoft Entra ID accepts.")
        : entraError(
            "invalid_request",
            90100,
            "The request could not be read: its target, body or timing is not valid.",
          ),
  }),
  internal: () => ({
    status: 500,
    body: entraError("temporarily_unavailable", 90033, "A transient error has occurred. Please try again."),
  }),
};
