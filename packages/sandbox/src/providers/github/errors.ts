/**
 * GitHub's error answers. Two services of GitHub's are played here, and each
 * answers in its own shape; both carry a `message`, which is what a client
 * shows (`@actions/core` prints a token request's `message` after
 * "Failed to get ID Token."):
 *
 * - the token request is the Actions service's (Azure DevOps' lineage):
 *   `{"$id", "innerException", "message", "typeName", "typeKey", "errorCode", "eventId"}`;
 * - the rest (the issuer's documents, the runner's registrations) GitHub's REST
 *   shape: `{"message", "documentation_url"}`.
 */
import type { ErrorAnswer, ServiceErrors } from "../../http/host.ts";

const REST_DOCS = "https://docs.github.com/rest";

/** GitHub's REST error: `{"message", "documentation_url"}`. */
export const restError = (status: number, message: string, extra: object = {}): ErrorAnswer => ({
  status,
  body: { message, ...extra, documentation_url: REST_DOCS },
});

/** The Actions service's error, as its pipelines API words them. */
export const actionsError = (status: number, typeKey: string, typeName: string, message: string): ErrorAnswer => ({
  status,
  body: {
    $id: "1",
    innerException: null,
    message,
    typeName: `${typeName}, Microsoft.TeamFoundation.Framework.Server`,
    typeKey,
    errorCode: 0,
    eventId: 3000,
  },
});

/** A token request without the job's own request token (a wrong one, one from another job, one whose job ended). */
export const unauthorizedTokenRequest = () =>
  actionsError(
    401,
    "UnauthorizedRequestException",
    "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException",
    "TF400813: The user '' is not authorized to access this resource.",
  );

export const apiVersionOutOfRange = (given: string) =>
  actionsError(
    400,
    "VssVersionOutOfRangeException",
    "Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException",
    `The requested REST API version of ${given.slice(0, 20) || "(none)"} is out of range for this server. The latest REST API version this server supports is 2.0.`,
  );

export const invalidAudience = (reason: string) =>
  actionsError(400, "ArgumentException", "System.ArgumentException", `The audience is not valid: ${reason}`);

/** What the host answers for GitHub when no route does. */
export const gitHubErrors: ServiceErrors = {
  notFound: () => restError(404, "Not Found"),
  badRequest: (reason) =>
    reason === "body" || reason === "bodyTooLarge"
      ? restError(400, "Problems parsing JSON")
      : restError(400, "Bad request: the request could not be read."),
  internal: () => restError(500, "Server Error"),
};
