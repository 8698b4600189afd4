/**
 * One request pipeline for every data plane that takes Microsoft Entra tokens
 * (Key Vault's secrets, Queue Storage's messages), read top to bottom as
 * Azurite's QueueRequestListenerFactory reads:
 *
 *   1. target        the request names this service (the vault in the host, the account in the path)
 *   2. authenticate  a bearer token for one of its audiences; none: the challenge that says where to get one
 *   3. operation     one table says which operation a request calls and which actions it needs, on which resource
 *   4. body          read whole, up to the operation's limit, and checked, before anything acts on it
 *   5. authorize     Azure RBAC: a role assignment at the resource or above grants the actions
 *   6. handle        the operation, which checks its input before it changes anything
 *   7. audit         one record per request, in the service's log, whatever happened
 *   8. errors        everything refused or thrown is answered in the service's own Azure shape
 *
 * A data plane is the table and the handlers (and its error factory); the
 * order, the checks and the log are here, the same for every service.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type AuditSink,
  type AuthorizationDecision,
  authorizationOf,
  traceContext,
  tokenClaimsOf,
  uriWithoutQuery,
} from "./audit/log.ts";
import type { Authorizer, Principal, RbacDecision, TokenCheck } from "./contracts.ts";
import type { ErrorAnswer } from "./http/host.ts";

/** An answer, ready to write: JSON bodies as objects, XML and text as strings. */
export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer | object;
  /** Azure's error code, for the log (the service's body may hold it deep inside). */
  readonly errorCode?: string;
  /** Azure's error message, as the caller got it, for the log. */
  readonly errorMessage?: string;
}

/** One row of a data plane's operation table. */
export interface Operation {
  /** Its name in Azure's REST reference: "Get Secret", "Put Message". */
  readonly name: string;
  /** The operationName the service's log gives it: SecretGet, PutMessage. */
  readonly auditName: string;
  /** Azure allows it when the caller holds every action of at least one of these sets. */
  readonly allowedBy: readonly (readonly string[])[];
  /** The largest body it reads, in bytes; a request without a body reads none. */
  readonly bodyLimit?: number;
}

/** A request matched to its operation: the operation, the resource its actions are checked on, and its parameters. */
export interface Match<Op extends Operation> {
  readonly operation: Op;
  /** The ARM id of what the actions are checked on: the vault, a secret, a queue. */
  readonly resource: string;
  readonly params: Readonly<Record<string, string>>;
}

/** What a handler is given: the request, read whole, and who sent it. */
export interface Call<Op extends Operation> extends Match<Op> {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  /** The body as the service reads it (JSON, XML), once `check` has parsed it. */
  readonly parsed?: unknown;
  readonly principal: Principal;
}

/** How a data plane words the pipeline's refusals. */
export interface DataPlaneErrors {
  /** A request target that is no URL. */
  badTarget(req: IncomingMessage): Answer;
  /** No token: 401 with the challenge (where to get a token, for which resource). */
  missingToken(req: IncomingMessage): Answer;
  /** A token refused: its audience, issuer, lifetime, signature… */
  invalidToken(req: IncomingMessage, check: TokenCheck & { ok: false }): Answer;
  /** RBAC said no. */
  forbidden(req: IncomingMessage, denied: { principal: Principal; action: string; resource: string }): Answer;
  /** The body is larger than the operation reads, or was cut short. */
  badBody(req: IncomingMessage, reason: "bodyTooLarge" | "body", operation: Operation): Answer;
  /** Something inside failed: the caller learns no more than that. */
  internal(req: IncomingMessage): Answer;
}

export interface DataPlane<Op extends Operation> {
  /** In the sandbox's own messages: "Azure Key Vault". */
  readonly name: string;
  /** The log its requests are recorded in (AuditEvent, StorageQueueLogs). */
  readonly category: string;
  /** The ARM id recorded for a request that got no further than its target. */
  readonly resourceId: (req: IncomingMessage) => string;
  readonly errors: DataPlaneErrors;
  /** 1. Whether the request names this service; an answer refuses it. */
  readonly target?: (req: IncomingMessage) => Answer | undefined;
  /** 2. The token, checked for the service's audiences (a service may accept several). */
  readonly authenticate: (req: IncomingMessage, authorization: string) => Promise<TokenCheck>;
  /** What must hold of an authenticated request before its operation is looked up (the api-version). */
  readonly afterAuthentication?: (req: IncomingMessage, query: URLSearchParams) => Answer | undefined;
  /** 3. The operation table: a match, or the service's answer to a request it does not serve. */
  readonly match: (req: IncomingMessage, method: string, path: string, query: URLSearchParams) => Match<Op> | Answer;
  /**
   * 4½. What must hold of the request, body and all, before RBAC is asked: a name that is valid, a
   * body that parses. It may name the resource anew (a restore's secret is named in its body).
   */
  readonly check?: (call: Call<Op>) => Answer | Call<Op>;
  /** 6. The operation. */
  readonly handle: (call: Call<Op>) => Answer | Promise<Answer>;
  /** Told of anything unexpected that was thrown (the caller got a 500 in the service's shape). */
  readonly onError?: (error: unknown) => void;
}

export interface PipelineOptions {
  readonly rbac: Authorizer;
  readonly audit?: AuditSink;
}

const isAnswer = (value: object): value is Answer => "status" in value && !("operation" in value);

/** What the pipeline learned of a request, for its audit record. */
interface Trail {
  operation?: Operation;
  resource?: string;
  principal?: Principal;
  authorization?: AuthorizationDecision;
  tokenProblem?: TokenCheck extends infer T ? (T extends { ok: false; problem: infer P } ? P : never) : never;
}

/** A data plane's Node handler, for `host()`. */
export function pipeline<Op extends Operation>(
  plane: DataPlane<Op>,
  options: PipelineOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const onError =
    plane.onError ??
    ((error: unknown) =>
      console.error(`sandbox: ${plane.name} failed: ${error instanceof Error ? error.message : String(error)}`));

  const run = async (req: IncomingMessage, trail: Trail): Promise<Answer> => {
    if (!URL.canParse(req.url ?? "/", "http://sandbox")) return plane.errors.badTarget(req);
    const url = new URL(req.url ?? "/", "http://sandbox");
    const refused = plane.target?.(req);
    if (refused) return refused;

    const authorization = req.headers.authorization;
    if (!authorization) return plane.errors.missingToken(req);
    const check = await plane.authenticate(req, authorization);
    if (!check.ok) {
      trail.tokenProblem = check.problem;
      return plane.errors.invalidToken(req, check);
    }
    trail.principal = check.principal;
    const notNow = plane.afterAuthentication?.(req, url.searchParams);
    if (notNow) return notNow;

    const matched = plane.match(req, req.method ?? "GET", url.pathname, url.searchParams);
    if (isAnswer(matched)) return matched;
    trail.operation = matched.operation;
    trail.resource = matched.resource;

    const body = await readBody(req, matched.operation.bodyLimit ?? 0);
    if (body === "bodyTooLarge" || body === "body") return plane.errors.badBody(req, body, matched.operation);

    const given: Call<Op> = {
      ...matched,
      req,
      method: (req.method ?? "GET").toUpperCase(),
      query: url.searchParams,
      body,
      principal: check.principal,
    };
    const call = plane.check ? plane.check(given) : given;
    if (isAnswer(call)) return call;
    trail.resource = call.resource;

    const decision = decide(options.rbac, check.principal, call);
    trail.authorization = authorizationOf(decision.decision, decision.action, call.resource);
    if (!decision.decision.allowed) {
      return plane.errors.forbidden(req, {
        principal: check.principal,
        action: decision.action,
        resource: call.resource,
      });
    }
    return plane.handle(call);
  };

  return async (req, res) => {
    const started = performance.now();
    const trail: Trail = {};
    let answer: Answer;
    try {
      answer = await run(req, trail);
    } catch (error) {
      onError(error);
      answer = plane.errors.internal(req);
    }
    // Stamped before the answer leaves: an app that awaits this call and then answers its own caller must find
    // this event earlier than its answer, however late this process gets to record it (exercise 04's order check).
    const answeredAt = new Date().toISOString();
    write(res, answer);
    options.audit?.record({
      time: answeredAt,
      category: plane.category,
      operationName: trail.operation?.auditName ?? (answer.status === 401 ? "Authentication" : "Unknown"),
      resultType: answer.status < 400 ? "Success" : "Failure",
      statusCode: answer.status,
      ...(answer.errorCode ? { errorCode: answer.errorCode } : {}),
      ...(answer.errorCode && answer.errorMessage ? { resultDescription: answer.errorMessage } : {}),
      // What the live view and `az sandbox denials` explain a refusal with: the token's claims, and why it was refused.
      ...(answer.status === 401 || answer.status === 403
        ? { tokenClaims: tokenClaimsOf(req.headers.authorization) }
        : {}),
      ...(trail.tokenProblem ? { tokenProblem: trail.tokenProblem } : {}),
      ...(trail.principal
        ? {
            caller: {
              objectId: trail.principal.objectId,
              ...(trail.principal.appId ? { appId: trail.principal.appId } : {}),
            },
            clientCredentialType: "bearerToken" as const,
          }
        : {}),
      ...(trail.principal?.tokenId ? { uniqueTokenIdentifier: trail.principal.tokenId } : {}),
      resource: trail.resource ?? plane.resourceId(req),
      ...(trail.authorization ? { authorization: trail.authorization } : {}),
      requestUri: uriWithoutQuery(req.url),
      httpMethod: req.method ?? "",
      durationMs: Math.round(performance.now() - started),
      ...traceContext(req.headers.traceparent),
    });
  };
}

/**
 * RBAC for an operation allowed by any one of several sets of actions: the
 * first set the caller holds whole; for a denial, the first action of the
 * first set, which is what Azure's message names.
 */
function decide(
  rbac: Authorizer,
  principal: Principal,
  matched: Match<Operation>,
): { decision: RbacDecision; action: string } {
  let denied: { decision: RbacDecision; action: string } | undefined;
  for (const actions of matched.operation.allowedBy) {
    const decisions = actions.map((action) => ({ action, decision: rbac.decide(principal, action, matched.resource) }));
    const missing = decisions.find((entry) => !entry.decision.allowed);
    if (!missing) return decisions[0] ?? { action: "", decision: { allowed: true } };
    denied ??= missing;
  }
  return denied ?? { action: "", decision: { allowed: false } };
}

/** The request's body, read to its end; a body over the limit or cut short is refused before anything acts on it. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "bodyTooLarge" | "body"> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    req.resume();
    return "bodyTooLarge";
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        req.resume();
        return "bodyTooLarge";
      }
      chunks.push(chunk as Buffer);
    }
  } catch {
    return "body";
  }
  return req.complete ? Buffer.concat(chunks) : "body";
}

/** Writes an answer: JSON for objects, as given for text and bytes. */
function write(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { body } = answer;
  const json = body !== undefined && typeof body === "object" && !Buffer.isBuffer(body);
  const payload = body === undefined ? undefined : json ? JSON.stringify(body) : body;
  if (json) res.setHeader("content-type", "application/json; charset=utf-8");
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  if (payload !== undefined) res.setHeader("content-length", String(Buffer.byteLength(payload as string | Buffer)));
  res.writeHead(answer.status);
  res.end(payload);
}

/** An error answer from a service's error factory, as the pipeline writes it. */
export const answerOf = (answer: ErrorAnswer, errorCode?: string, errorMessage?: string): Answer => ({
  status: answer.status,
  ...(answer.headers ? { headers: answer.headers } : {}),
  body: answer.body,
  ...(errorCode ? { errorCode } : {}),
  ...(errorMessage ? { errorMessage } : {}),
});
