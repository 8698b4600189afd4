/**
 * Microsoft Graph's error answers, `{"error": {"code", "message", "innerError":
 * {"date", "request-id", "client-request-id"}}}` (the Azure CLI prints the
 * message), and the checks Graph makes of a federated identity credential.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ErrorAnswer, ServiceErrors } from "../../http/host.ts";

/** A federated identity credential of an application, as Graph shows it. */
export interface FederatedIdentityCredential {
  readonly id: string;
  readonly name: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly description: string | null;
}

/** A refusal in Graph's words, thrown by the registrations and answered by the Graph service. */
export class GraphFailure extends Error {
  override name = "GraphFailure";
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function graphError(status: number, code: string, message: string, req?: IncomingMessage): ErrorAnswer {
  const clientRequestId = req?.headers["client-request-id"];
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ""),
          "request-id": randomUUID(),
          "client-request-id":
            typeof clientRequestId === "string" && /^[0-9a-f-]{36}$/i.test(clientRequestId)
              ? clientRequestId
              : randomUUID(),
        },
      },
    },
  };
}

export const graphErrors: ServiceErrors = {
  notFound: (req) => graphError(400, "BadRequest", `Resource not found for the segment '${segmentOf(req)}'.`, req),
  badRequest: (reason, req) =>
    reason === "body" || reason === "bodyTooLarge"
      ? graphError(
          400,
          "BadRequest",
          "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
          req,
        )
      : graphError(400, "BadRequest", "The request could not be read.", req),
  internal: (req) => graphError(500, "UnknownError", "", req),
};

/** The last segment of a path Graph does not know, as its "Resource not found for the segment" names it. */
function segmentOf(req: IncomingMessage): string {
  const path = (req.url ?? "").split("?")[0] ?? "";
  const segments = path.split("/").filter((segment) => segment !== "");
  return (segments.at(-1) ?? "").slice(0, 64);
}

/** What a federated identity credential's body may hold (Graph refuses any other property). */
const PROPERTIES = ["name", "issuer", "subject", "audiences", "description"] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/;
const MAX_LENGTH = 600;

const invalid = (property: string) =>
  new GraphFailure(
    400,
    "Request_BadRequest",
    `Invalid value specified for property '${property}' of resource 'FederatedIdentityCredential'.`,
  );

/** Why a federated credential's fields cannot be kept, in a sentence; undefined when they can (shared with Resource Manager's). */
export function federatedCredentialProblem(input: {
  readonly name?: unknown;
  readonly issuer?: unknown;
  readonly subject?: unknown;
  readonly audiences?: unknown;
}): { property: string; reason: string } | undefined {
  const { name, issuer, subject, audiences } = input;
  if (typeof name !== "string" || !NAME.test(name))
    return {
      property: "name",
      reason: "a name is 3 to 120 characters, letters, digits, '-' and '_', starting with a letter or a digit",
    };
  if (typeof issuer !== "string" || issuer.length > MAX_LENGTH || issuer.trim() !== issuer || !isHttpsUrl(issuer))
    return { property: "issuer", reason: "the issuer is an https URL of at most 600 characters, without spaces" };
  if (typeof subject !== "string" || subject === "" || subject.length > MAX_LENGTH || subject.trim() !== subject)
    return { property: "subject", reason: "the subject is 1 to 600 characters, without spaces around it" };
  if (
    !Array.isArray(audiences) ||
    audiences.length !== 1 ||
    typeof audiences[0] !== "string" ||
    audiences[0] === "" ||
    audiences[0].length > MAX_LENGTH
  )
    return { property: "audiences", reason: "exactly one audience is allowed: api://AzureADTokenExchange" };
  return undefined;
}

const isHttpsUrl = (value: string) => URL.canParse(value) && new URL(value).protocol === "https:";

/** A Graph body for a new federated identity credential, checked whole: the credential to keep (without its id). */
export function checkFederatedCredential(body: unknown): Omit<FederatedIdentityCredential, "id"> {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new GraphFailure(400, "BadRequest", "Empty Payload. JSON content expected.");
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).find(
    (key) => !(PROPERTIES as readonly string[]).includes(key) && !key.startsWith("@odata."),
  );
  if (unknown !== undefined)
    throw new GraphFailure(
      400,
      "BadRequest",
      `Property '${unknown.slice(0, 64)}' does not exist on type 'microsoft.graph.federatedIdentityCredential'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
    );
  const problem = federatedCredentialProblem(fields);
  if (problem) throw invalid(problem.property);
  const { description } = fields;
  if (
    description !== undefined &&
    description !== null &&
    (typeof description !== "string" || description.length > MAX_LENGTH)
  )
    throw invalid("description");
  return {
    name: fields["name"] as string,
    issuer: fields["issuer"] as string,
    subject: fields["subject"] as string,
    audiences: [...(fields["audiences"] as string[])],
    description: typeof description === "string" ? description : null,
  };
}
