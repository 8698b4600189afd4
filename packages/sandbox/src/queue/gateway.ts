/**
 * The front door of the sandbox's Queue Storage: it does what Azure does and
 * Azurite doesn't. A request goes through, in order:
 * 1. the request target: it must name this account;
 * 2. authentication: a valid Microsoft Entra token (signature, issuer, tenant,
 *    audience, lifetime, checked as Key Vault checks it); account keys and SAS
 *    are refused, as on an account with key access disabled;
 * 3. the operation table (operations.ts): which data actions the operation needs;
 * 4. RBAC: a role assignment that grants them on the queue or above;
 * 5. Azurite, with the request signed by the gateway's own account key, the
 *    answer streamed back untouched.
 *
 * Its URLs are IP-style, the account in the path as with Azurite:
 * `https://127.0.0.1:<port>/<account>/<queue>`; on Azure the account is in
 * the host name: `https://<account>.queue.core.windows.net/<queue>`.
 */
import { request as httpRequest, type Agent, type IncomingMessage, type ServerResponse } from "node:http";
import { Transform, Writable, finished, pipeline } from "node:stream";
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
import { MAX_HEADER_BYTES, sendError } from "../http/host.ts";
import * as errors from "./errors.ts";
import { queueOperation, type QueueOperation } from "./operations.ts";
import type { SignedHeaders } from "./sharedKey.ts";
import { STORAGE_RESOURCE } from "./roles.ts";

export { STORAGE_RESOURCE } from "./roles.ts";

/** Azure Storage's application id in Microsoft Entra ID: Azure accepts it as an audience too. */
const STORAGE_APP_ID = "e406a681-f3d4-42a8-90b6-c2b029497af1";
/** Azure's largest request to Queue Storage is a 64 KB message; anything much larger is refused before it reaches Azurite. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** An Azurite that has not answered by then is taken for unavailable: the caller gets 503 ServerBusy and may retry. */
const BACKEND_TIMEOUT_MS = 10_000;

/**
 * The audiences Azure Storage accepts for an account's queues: the Storage
 * resource (with or without the slash), its app id, and the account's own
 * queue endpoint (what `getQueueServiceAccountAudience` asks for).
 */
export function storageAudiences(account: string): readonly string[] {
  const endpoint = `https://${account}.queue.core.windows.net`;
  return [STORAGE_RESOURCE, `${STORAGE_RESOURCE}/`, STORAGE_APP_ID, endpoint, `${endpoint}/`];
}

/** A slow Queue Storage, for lessons and graders: allowed requests wait this long before they reach Azurite (only this caller's, when one is named). */
export interface QueueDelay {
  readonly ms: number;
  readonly principalId?: string;
}

/** Where the gateway sends allowed requests: Azurite, while it is up. */
export interface Backend {
  readonly port: number;
  readonly available: boolean;
  /** Signs a request for Azurite with the account key. */
  sign(method: string, url: string, headers: Readonly<Record<string, string | string[] | undefined>>): SignedHeaders;
}

export interface GatewayOptions {
  readonly account: string;
  readonly tokens: TokenValidator;
  readonly rbac: Authorizer;
  /** ARM id of the storage account; queues are `<id>/queueServices/default/queues/<name>`. */
  readonly accountScope: string;
  /** Where Storage tells a caller without a token to get one. */
  readonly authority: () => string;
  readonly backend: () => Backend;
  /** Connections to Azurite, kept alive between requests. */
  readonly agent: Agent;
  /** Where each request is recorded, as Storage's StorageQueueLogs would show it. */
  readonly audit?: AuditSink;
  /** A delay to add now, if any. */
  readonly delay?: () => QueueDelay | undefined;
}

/** The methods Queue Storage serves: any other is refused before it reaches Azurite. */
const QUEUE_VERBS = new Set(["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]);

/**
 * The request target as a URL, or undefined when it does not parse as one (`//[`, a full URL, `*`) or does not
 * percent-decode (`?a=%c3`: the signature covers the decoded query, and Azure answers InvalidUri).
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

/** The query parameters Queue Storage reads. Azure ignores any other; so does the gateway, which does not forward them. */
const QUEUE_PARAMETERS = new Set([
  "comp",
  "restype",
  "prefix",
  "marker",
  "maxresults",
  "include",
  "timeout",
  "numofmessages",
  "visibilitytimeout",
  "messagettl",
  "popreceipt",
  "peekonly",
]);

/**
 * The query as the gateway forwards and signs it: only Queue Storage's parameters, each once (its first value, the one
 * the operation was authorized for), percent-encoded one way (a space as %20, never +), none without a value. Sent as
 * they came, `?x=` or `?a=b+c` made Azurite refuse the gateway's own signature (the Storage SDK's signer leaves out
 * empty values and reads + as itself; Azurite does neither), and `?hasOwnProperty=1` made Azurite fail.
 */
function forwardedQuery(parameters: URLSearchParams): string {
  const kept = [...QUEUE_PARAMETERS].flatMap((name) => {
    const value = parameters.get(name);
    return value ? [`${name}=${encodeURIComponent(value)}`] : [];
  });
  return kept.length > 0 ? `?${kept.join("&")}` : "";
}

/**
 * Whether a target is one Queue Storage has: `/<account>`, `/<account>/<queue>`, `/<account>/<queue>/messages[/<id>]`,
 * with a comp (and restype) that fits that level. Azurite picks its operation by comp and restype whatever the path,
 * while the gateway authorizes by the path: `PUT /<account>/<queue>?restype=service&comp=properties` was authorized as
 * Create Queue and ran as Set Queue Service Properties, so whoever may write one queue could change the account's CORS.
 */
function targetMisfit(url: URL): "path" | "query" | undefined {
  const [, queue, messages, messageId, ...more] = url.pathname.split("/").filter(Boolean);
  if (
    more.length > 0 ||
    (messages !== undefined && messages !== "messages") ||
    (messageId !== undefined && messages === undefined)
  )
    return "path";
  const comp = url.searchParams.get("comp")?.toLowerCase();
  const restype = url.searchParams.get("restype")?.toLowerCase();
  const fits = !queue
    ? (comp === undefined || ["list", "properties", "stats"].includes(comp)) &&
      (restype === undefined || restype === "service")
    : restype === undefined && (comp === undefined || (!messages && ["metadata", "acl"].includes(comp)));
  return fits ? undefined : "query";
}

/** Account keys and SAS tokens: what an account with key access disabled refuses. */
function usesAccountKey(req: IncomingMessage, url: URL): boolean {
  return /^SharedKey(Lite)?\s/i.test(req.headers.authorization ?? "") || url.searchParams.has("sig");
}

/** Queue Storage's bodies are shallow XML (a message, an ACL, the service's properties); Azurite's parser fails (500) on deep nesting. */
const MAX_XML_DEPTH = 32;

/** How deep the elements of an XML text nest (an estimate that never undercounts: comments and CDATA are read as text). */
export function xmlDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const [, closing, selfClosing] of text.matchAll(/<(\/)?[A-Za-z_][^<>]*?(\/)?>/g)) {
    if (closing) depth = Math.max(0, depth - 1);
    else if (!selfClosing) deepest = Math.max(deepest, ++depth);
  }
  return deepest;
}

/**
 * Azure takes metadata (`x-ms-meta-<name>`) only when each name is a C# identifier. Azurite takes
 * any name, and then fails on every queue listing that shows it (a name is an XML element there).
 */
function metadataNamesValid(req: IncomingMessage): boolean {
  return Object.keys(req.headers).every(
    (header) => !header.startsWith("x-ms-meta-") || /^[a-z_][a-z0-9_]*$/.test(header.slice("x-ms-meta-".length)),
  );
}

/** Counts a body as it streams, and fails it once it is larger than Azure accepts. */
function limitBody(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > maxBytes ? Object.assign(new Error("body too large"), { code: "BODY_TOO_LARGE" }) : null, chunk);
    },
  });
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

  /** Any audience Azure accepts; a refusal names the Storage resource, the one the SDKs ask for. */
  async function authenticate(authorization: string): Promise<TokenCheck> {
    const check = await options.tokens.validate(authorization, STORAGE_RESOURCE);
    if (!check.ok && check.problem === "audience" && check.found !== undefined && audiences.includes(check.found)) {
      return options.tokens.validate(authorization, check.found);
    }
    return check;
  }

  function forward(req: IncomingMessage, res: ServerResponse, url: URL) {
    const backend = options.backend();
    if (!backend.available) return sendError(res, errors.serverBusy(req));
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) return sendError(res, errors.requestBodyTooLarge(req));
    const path = `${url.pathname}${forwardedQuery(url.searchParams)}`;
    // Only Put Message, Update Message and the settings (ACLs, service properties) take a body. Any other's is not
    // forwarded: Azurite answers a CORS preflight and closes the connection while a body is still on its way, and the
    // gateway lost the answer (a 503 ServerBusy for a refused preflight with a large body).
    const withBody = req.method === "PUT" || req.method === "POST";
    const {
      authorization: _token,
      host: _host,
      "content-length": _length,
      "transfer-encoding": _encoding,
      ...bodiless
    } = req.headers;
    /** Sends the request to Azurite, with its whole body (read first: a body Azurite cannot parse is refused here). */
    const send = (body?: Buffer) => {
      const headers = body ? { ...bodiless, "content-length": String(body.length) } : bodiless;
      const signed = backend.sign(req.method ?? "GET", `http://127.0.0.1:${backend.port}${path}`, headers);
      const upstream = httpRequest(
        // Azurite echoes x-ms-client-request-id: its answer's headers can be as large as the request's (Node reads 16 KB by default, and a 30 KB id was a 503).
        {
          host: "127.0.0.1",
          port: backend.port,
          method: req.method,
          path,
          headers: { ...headers, ...signed },
          agent: options.agent,
          timeout: BACKEND_TIMEOUT_MS,
          maxHeaderSize: 2 * MAX_HEADER_BYTES,
        },
        (answer) => {
          // The caller may be gone by the time Azurite answers (it gave up waiting, or sent half a request and closed):
          // piping into its closed response threw, uncaught, and ended the sandbox's process.
          if (res.destroyed) {
            answer.resume();
            return;
          }
          // Azurite refusing the gateway's own signature would be the sandbox's fault, never the caller's.
          if (
            answer.statusCode === 403 &&
            /^Authoriz|^Authentication/.test(String(answer.headers["x-ms-error-code"]))
          ) {
            answer.resume();
            console.error(`sandbox: Queue Storage refused the gateway's signature for ${req.method} ${url.pathname}`);
            return sendError(res, errors.internalError(req));
          }
          // Azurite refuses some requests without Storage's error (a path it cannot route, a CORS preflight it turns down): the caller gets Storage's shape all the same.
          const status = answer.statusCode ?? 502;
          if (status >= 400 && answer.headers["x-ms-error-code"] === undefined) {
            answer.resume();
            return sendError(res, errors.backendRefusal(req, status));
          }
          res.writeHead(status, { ...answer.headers, server: errors.STORAGE_SERVER });
          pipeline(answer, res, () => {});
        },
      );
      upstream.once("timeout", () => upstream.destroy());
      upstream.once("error", () => sendError(res, errors.serverBusy(req)));
      upstream.end(body);
    };
    if (!withBody) {
      // Acted on once it has arrived whole, its body unread: a request cut short is refused (400), and must change nothing.
      req.resume();
      finished(req, (error) => error || send());
      return;
    }
    const chunks: Buffer[] = [];
    const collect = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        chunks.push(chunk);
        done();
      },
    });
    pipeline(req, limitBody(MAX_BODY_BYTES), collect, (error) => {
      if ((error as NodeJS.ErrnoException | undefined)?.code === "BODY_TOO_LARGE")
        return sendError(res, errors.requestBodyTooLarge(req));
      // A request cut short: the caller is gone, or will be told by the host.
      if (error) return;
      const body = Buffer.concat(chunks);
      if (xmlDepth(body.toString("utf8")) > MAX_XML_DEPTH) return sendError(res, errors.invalidXmlDocument(req));
      send(body);
    });
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

  return async (req, res) => {
    const started = performance.now();
    const seen: Seen = {};
    res.on("finish", () => record(req, res, started, seen));
    const url = parseTarget(req.url);
    if (!url) return sendError(res, errors.invalidUri(req));
    const [account] = url.pathname.split("/").filter(Boolean);
    if (account !== options.account) return sendError(res, errors.invalidResourceName(req, options.account));
    if (!QUEUE_VERBS.has(req.method ?? "")) return sendError(res, errors.unsupportedHttpVerb(req));
    const misfit = targetMisfit(url);
    if (misfit)
      return sendError(res, misfit === "path" ? errors.invalidUri(req) : errors.invalidQueryParameterValue(req));
    // A browser's CORS preflight carries no credentials: Azure answers it anonymously.
    if (req.method === "OPTIONS") return forward(req, res, url);
    if (usesAccountKey(req, url)) return sendError(res, errors.keyBasedAuthenticationNotPermitted(req));
    if (!req.headers.authorization)
      return sendError(res, errors.noAuthenticationInformation(req, options.authority(), STORAGE_RESOURCE));
    const check = await authenticate(req.headers.authorization);
    const tokenClaims = tokenClaimsOf(req.headers.authorization);
    if (tokenClaims) seen.tokenClaims = tokenClaims;
    if (!check.ok) seen.tokenProblem = check.problem;
    if (!check.ok)
      return sendError(res, errors.invalidAuthenticationInfo(req, check, options.authority(), STORAGE_RESOURCE));
    seen.principal = check.principal;
    const operation = queueOperation(req.method ?? "GET", url.pathname, url.searchParams);
    seen.operation = operation;
    const { allowed, ...authorization } = authorize(check.principal, operation);
    seen.authorization = authorization;
    if (!allowed) return sendError(res, errors.authorizationPermissionMismatch(req));
    if (!metadataNamesValid(req)) return sendError(res, errors.invalidMetadata(req));
    const delay = options.delay?.();
    if (delay && (!delay.principalId || delay.principalId === check.principal.objectId))
      await sleep(Math.min(delay.ms, 30_000));
    forward(req, res, url);
  };
}
