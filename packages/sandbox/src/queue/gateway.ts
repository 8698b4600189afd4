/**
 * The front door of the sandbox's Queue Storage: the request pipeline, read
 * top to bottom. A request goes through, in order:
 * 1. the request target: it must name this account and one of Queue Storage's
 *    operations (operations.ts), with a valid queue name;
 * 2. a browser's CORS preflight is answered here, without credentials;
 * 3. authentication: a valid Microsoft Entra token (signature, issuer, tenant,
 *    audience, lifetime, checked as Key Vault checks it); account keys and SAS
 *    are refused, as on an account with key access disabled;
 * 4. RBAC: a role assignment that grants the operation's data actions on the
 *    queue or above;
 * 5. the operation itself (dataPlane.ts), once the whole request has arrived,
 *    its change committed before the answer.
 *
 * Its URLs are IP-style, the account in the path:
 * `https://127.0.0.1:<port>/<account>/<queue>`; on Azure the account is in
 * the host name: `https://<account>.queue.core.windows.net/<queue>`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { finished } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  authorizationOf,
  tokenClaimsOf,
  traceContext,
  uriWithoutQuery,
  type AuditSink,
  type AuthorizationDecision,
  type TokenClaims,
} from "../audit/log.ts";
import type { Authorizer, Principal, TokenCheck, TokenProblem, TokenValidator } from "../contracts.ts";
import { sendError } from "../http/host.ts";
import { MAX_TOKEN_LIFETIME_SECONDS } from "../providers/entra/tokens.ts";
import { corsHeaders, preflight } from "./cors.ts";
import type { Answer, RunOperation } from "./dataPlane.ts";
import * as errors from "./errors.ts";
import type { CorsRule } from "./model.ts";
import { pathParts, queueOperation, type OperationName, type QueueOperation } from "./operations.ts";
import { Refusal } from "./parameters.ts";
import { STORAGE_RESOURCE } from "./roles.ts";

export { STORAGE_RESOURCE } from "./roles.ts";

/** Azure Storage's application id in Microsoft Entra ID: Azure accepts it as an audience too. */
const STORAGE_APP_ID = "e406a681-f3d4-42a8-90b6-c2b029497af1";
/** Azure's largest request to Queue Storage is a 64 KB message (larger once XML-escaped); anything much larger is refused unread. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The audiences Azure Storage accepts for an account's queues: the Storage
 * resource (with or without the slash), its app id, and the account's own
 * queue endpoint (what `getQueueServiceAccountAudience` asks for).
 */
export function storageAudiences(account: string): readonly string[] {
  const endpoint = `https://${account}.queue.core.windows.net`;
  return [STORAGE_RESOURCE, `${STORAGE_RESOURCE}/`, STORAGE_APP_ID, endpoint, `${endpoint}/`];
}

/** A slow Queue Storage, for lessons and graders: allowed requests wait this long before they run (only this caller's, when one is named). */
export interface QueueDelay {
  readonly ms: number;
  readonly principalId?: string;
}

/** Whether Queue Storage serves: running; stopped (up, but answering 503 ServerBusy, as Azure does when Storage is unavailable); down (connections refused). */
export type QueueAvailability = "running" | "stopped" | "down";

export interface GatewayOptions {
  readonly account: string;
  readonly tokens: TokenValidator;
  readonly rbac: Authorizer;
  /** ARM id of the storage account; queues are `<id>/queueServices/default/queues/<name>`. */
  readonly accountScope: string;
  /** Where Storage tells a caller without a token to get one. */
  readonly authority: () => string;
  /** Runs an authorized operation: Azure's answer once its change is committed, or a `Refusal`. */
  readonly run: RunOperation;
  /** The account's CORS rules, now. */
  readonly corsRules: () => readonly CorsRule[];
  readonly availability: () => QueueAvailability;
  /** Where each request is recorded, as Storage's StorageQueueLogs would show it. */
  readonly audit?: AuditSink;
  /** A delay to add now, if any. */
  readonly delay?: () => QueueDelay | undefined;
}

/** The methods Queue Storage serves: any other is refused before anything else. */
const QUEUE_VERBS = new Set(["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]);

/** The operations that take a body; any other's is read and dropped. */
const WITH_BODY = new Set<OperationName>([
  "Put Message",
  "Update Message",
  "Set Queue ACL",
  "Set Queue Service Properties",
]);

/**
 * The request target as a URL, or undefined when it does not parse as one (`//[`, a full URL, `*`) or does not
 * percent-decode (`?a=%c3`: Azure answers InvalidUri).
 */
function parseTarget(target: string | undefined): URL | undefined {
  if (!target?.startsWith("/")) return undefined;
  try {
    const url = new URL(`http://gateway${target}`);
    decodeURIComponent(`${url.pathname}${url.search}`);
    return url;
  } catch {
    return undefined;
  }
}

/** Azure's queue names: 3 to 63 characters of a-z, 0-9 and hyphens, no hyphen first, last or twice in a row. */
function queueNameProblem(name: string): "length" | "characters" | undefined {
  if (name.length < 3 || name.length > 63) return "length";
  return /^[a-z0-9]+(-[a-z0-9]+)*$/.test(name) ? undefined : "characters";
}

/** Account keys and SAS tokens: what an account with key access disabled refuses. */
function usesAccountKey(req: IncomingMessage, url: URL): boolean {
  return /^SharedKey(Lite)?\s/i.test(req.headers.authorization ?? "") || url.searchParams.has("sig");
}

/** Azure takes metadata (`x-ms-meta-<name>`) only when each name is a C# identifier (it is an XML element in a listing). */
function metadataNamesValid(req: IncomingMessage): boolean {
  return Object.keys(req.headers).every(
    (header) => !header.startsWith("x-ms-meta-") || /^[a-z_][a-z0-9_]*$/.test(header.slice("x-ms-meta-".length)),
  );
}

/** A service version is a date (`2025-11-05`): anything else is a header Azure cannot read. */
const versionValid = (version: string | string[] | undefined) =>
  version === undefined || (typeof version === "string" && /^\d{4}-\d{2}-\d{2}$/.test(version));

/**
 * Calls `then` with the request's whole body once it has arrived; a request cut short gets nothing (the host answers
 * it, or the caller is gone). A body larger than Azure reads is read to its end, unkept, and refused (413).
 */
function wholeBody(req: IncomingMessage, res: ServerResponse, keep: boolean, then: (body: Buffer) => void): void {
  if (keep && Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
    sendError(res, errors.requestBodyTooLarge(req));
    return;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  req.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (keep && bytes <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  finished(req, (error) => {
    if (error) return;
    if (bytes > MAX_BODY_BYTES && keep) sendError(res, errors.requestBodyTooLarge(req));
    else then(keep ? Buffer.concat(chunks) : Buffer.alloc(0));
  });
}

/**
 * When each success started to leave, for its audit event: an app that awaits a send and then answers its own
 * caller must find the send logged before its answer (exercise 04's order check), however late this process gets
 * to the response's "finish", where the event is recorded.
 */
const answeredAt = new WeakMap<ServerResponse, string>();

/** Writes a success: Azure's own headers, the operation's, an XML body when there is one (HEAD: the headers alone). */
function respond(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  answeredAt.set(res, new Date().toISOString());
  const body = answer.body ?? "";
  const headers = {
    ...errors.answerHeaders(req),
    ...answer.headers,
    ...(answer.body !== undefined ? { "content-type": "application/xml" } : {}),
    "content-length": String(Buffer.byteLength(body)),
  };
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.writeHead(answer.status);
  res.end(body);
}

export function createGatewayHandler(
  options: GatewayOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const audiences = storageAudiences(options.account);
  const scopeOf = (target: QueueOperation["target"]) =>
    target === "account"
      ? options.accountScope
      : target === "service"
        ? `${options.accountScope}/queueServices/default`
        : `${options.accountScope}/queueServices/default/queues/${target.queue}`;

  /**
   * Tokens already validated, each until it expires (at most five minutes): checking a signature is the costliest
   * step of a request, and a client sends the same token for an hour. Azure's front ends cache them too.
   */
  const validated = new Map<string, { readonly principal: Principal; readonly until: number }>();
  function remember(authorization: string, principal: Principal, claims: TokenClaims | undefined): void {
    const seconds = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value * 1000 : 0);
    const until = Math.min(
      seconds(claims?.exp),
      seconds(claims?.iat) + MAX_TOKEN_LIFETIME_SECONDS * 1000,
      Date.now() + 5 * 60_000,
    );
    if (validated.size >= 1000) validated.clear();
    validated.set(authorization, { principal, until });
  }

  /** Any audience Azure accepts; a refusal names the Storage resource, the one the SDKs ask for. */
  async function authenticate(authorization: string, claims: TokenClaims | undefined): Promise<TokenCheck> {
    const known = validated.get(authorization);
    if (known && Date.now() < known.until) return { ok: true, principal: known.principal };
    let check = await options.tokens.validate(authorization, STORAGE_RESOURCE);
    if (!check.ok && check.problem === "audience" && check.found !== undefined && audiences.includes(check.found))
      check = await options.tokens.validate(authorization, check.found);
    if (check.ok) remember(authorization, check.principal, claims);
    return check;
  }

  /** Azure allows an operation when one of its sets of actions is granted whole; the log shows the set that decided. */
  function authorize(principal: Principal, operation: QueueOperation): AuthorizationDecision & { allowed: boolean } {
    const scope = scopeOf(operation.target);
    const decisions = operation.allowedBy.map((actions) =>
      actions.map((action) => ({ action, decision: options.rbac.decide(principal, action, scope) })),
    );
    const granted = decisions.find((set) => set.every(({ decision }) => decision.allowed));
    const shown = granted?.[0] ?? decisions.flat().find(({ decision }) => decision.pending) ?? decisions[0]?.[0];
    const recorded = shown
      ? authorizationOf(shown.decision, shown.action, scope)
      : { decision: "Denied" as const, action: "", scope };
    return { ...recorded, decision: granted ? "Allowed" : "Denied", allowed: granted !== undefined };
  }

  /** What the steps found out about a request, for its log entry: the token's claims and why it was refused, for the denials' explanations. */
  type Seen = {
    operation?: QueueOperation;
    principal?: Principal;
    authorization?: AuthorizationDecision;
    tokenClaims?: TokenClaims;
    tokenProblem?: TokenProblem;
  };

  function record(req: IncomingMessage, res: ServerResponse, started: number, seen: Seen): void {
    const errorCode = res.getHeader("x-ms-error-code");
    const { principal, authorization } = seen;
    options.audit?.record({
      time: answeredAt.get(res),
      category: "StorageQueueLogs",
      // Storage's OperationName: PutMessage, GetMessages, CreateQueue...
      operationName: seen.operation?.name.replace(/ /g, "") ?? "Unknown",
      resultType: res.statusCode < 400 ? "Success" : "Failure",
      statusCode: res.statusCode,
      ...(typeof errorCode === "string" ? { errorCode } : {}),
      ...(seen.tokenClaims ? { tokenClaims: seen.tokenClaims } : {}),
      ...(seen.tokenProblem ? { tokenProblem: seen.tokenProblem } : {}),
      ...(principal
        ? {
            caller: { objectId: principal.objectId, ...(principal.appId ? { appId: principal.appId } : {}) },
            clientCredentialType: "bearerToken" as const,
          }
        : {}),
      ...(principal?.tokenId ? { uniqueTokenIdentifier: principal.tokenId } : {}),
      resource: authorization?.scope ?? options.accountScope,
      ...(authorization ? { authorization } : {}),
      requestUri: uriWithoutQuery(req.url),
      httpMethod: req.method ?? "",
      durationMs: Math.round(performance.now() - started),
      ...traceContext(req.headers.traceparent),
    });
  }

  /**
   * Runs the operation once its request has arrived whole, if Queue Storage still serves and the caller still waits:
   * a request that never got its answer then changed nothing, as far as it is up to the sandbox.
   */
  function run(req: IncomingMessage, res: ServerResponse, operation: QueueOperation, url: URL, secondary: boolean) {
    const name = operation.name;
    wholeBody(req, res, WITH_BODY.has(name), (body) => {
      if (res.destroyed) return;
      const availability = options.availability();
      if (availability === "down") return void res.destroy();
      if (availability === "stopped") return sendError(res, errors.serverBusy(req));
      if (name === "Preflight Request") {
        const answer = preflight(req, options.corsRules());
        return answer.ok ? respond(req, res, { status: 200, headers: answer.headers }) : sendError(res, answer.answer);
      }
      const [, queue = "", , messageId = ""] = pathParts(url.pathname) ?? [];
      const request = { req, query: url.searchParams, queue, messageId, body, secondary };
      const stillWanted = () => !res.destroyed && options.availability() !== "down";
      options.run(name, request, stillWanted).then(
        (answer) => (answer ? respond(req, res, answer) : res.destroy()),
        (error: unknown) => {
          if (error instanceof Refusal) return sendError(res, error.answer);
          // One line for whoever runs the sandbox, as the host writes it; the caller learns no more than "internal error".
          console.error(
            `sandbox: Queue Storage failed on ${req.method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`,
          );
          sendError(res, errors.internalError(req));
        },
      );
    });
  }

  return async (req, res) => {
    const started = performance.now();
    const seen: Seen = {};
    res.on("finish", () => record(req, res, started, seen));
    // Queue Storage taken down: whatever reached it as it went is not answered.
    if (options.availability() === "down") return void res.destroy();

    // 1. The target: this account, one of Queue Storage's operations, a queue name Azure takes.
    const url = parseTarget(req.url);
    const parts = url && pathParts(url.pathname);
    if (!url || !parts) return sendError(res, errors.invalidUri(req));
    const [account = "", queue] = parts;
    const secondary = account === `${options.account}-secondary`;
    if (account !== options.account && !secondary)
      return sendError(res, errors.invalidResourceName(req, options.account));
    if (!QUEUE_VERBS.has(req.method ?? "")) return sendError(res, errors.unsupportedHttpVerb(req));
    const operation = queueOperation(req.method ?? "GET", url.pathname, url.searchParams);
    if (operation === "path") return sendError(res, errors.invalidUri(req));
    if (operation === "query") return sendError(res, errors.invalidQueryParameterValue(req));
    if (operation === "verb") return sendError(res, errors.unsupportedHttpVerb(req));
    seen.operation = operation;
    // The secondary endpoint serves the replication's statistics, and nothing else here.
    if (secondary && operation.name !== "Get Queue Service Stats")
      return sendError(res, errors.invalidResourceName(req, options.account));
    const nameProblem = queue === undefined ? undefined : queueNameProblem(queue);
    if (nameProblem)
      return sendError(res, nameProblem === "length" ? errors.outOfRangeInput(req) : errors.invalidQueueName(req));
    if (!versionValid(req.headers["x-ms-version"]))
      return sendError(res, errors.invalidHeaderValueOf(req, "x-ms-version", String(req.headers["x-ms-version"])));
    // A browser's request from an allowed origin can read every answer from here on, refusals included.
    if (req.headers.origin !== undefined)
      for (const [header, value] of Object.entries(corsHeaders(req, options.corsRules()))) res.setHeader(header, value);

    // 2. A browser's CORS preflight carries no credentials: Azure answers it anonymously.
    if (operation.name === "Preflight Request") return run(req, res, operation, url, secondary);

    // 3. Authentication: Microsoft Entra tokens only.
    if (usesAccountKey(req, url)) return sendError(res, errors.keyBasedAuthenticationNotPermitted(req));
    if (!req.headers.authorization)
      return sendError(res, errors.noAuthenticationInformation(req, options.authority(), STORAGE_RESOURCE));
    const tokenClaims = tokenClaimsOf(req.headers.authorization);
    const check = await authenticate(req.headers.authorization, tokenClaims);
    if (tokenClaims) seen.tokenClaims = tokenClaims;
    if (!check.ok) seen.tokenProblem = check.problem;
    if (!check.ok)
      return sendError(res, errors.invalidAuthenticationInfo(req, check, options.authority(), STORAGE_RESOURCE));
    seen.principal = check.principal;

    // 4. Azure RBAC.
    const { allowed, ...authorization } = authorize(check.principal, operation);
    seen.authorization = authorization;
    if (!allowed) return sendError(res, errors.authorizationPermissionMismatch(req));
    if (!metadataNamesValid(req)) return sendError(res, errors.invalidMetadata(req));

    // 5. The operation, after the delay a lesson asked for.
    const delay = options.delay?.();
    if (delay && (!delay.principalId || delay.principalId === check.principal.objectId))
      await sleep(Math.min(delay.ms, 30_000));
    run(req, res, operation, url, secondary);
  };
}
