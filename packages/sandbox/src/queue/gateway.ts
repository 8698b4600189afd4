/**
 * The front door of the sandbox's Queue Storage: it does what Azure does and
 * Azurite doesn't. Every request needs a valid Microsoft Entra token (checked
 * like Key Vault checks it: signature, issuer, tenant, audience, lifetime), and
 * a role assignment that grants the operation's action on the queue or above.
 * Allowed requests pass through to Azurite untouched, streamed both ways.
 *
 * Its URLs are IP-style, the account in the path as with Azurite:
 * `https://127.0.0.1:<port>/<account>/<queue>`; on Azure the account is in
 * the host name: `https://<account>.queue.core.windows.net/<queue>`.
 */
import { randomUUID } from "node:crypto";
import { request as httpsRequest, type Agent } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream";
import type { Authorizer, TokenCheck, TokenProblem, TokenValidator } from "../contracts.ts";
import { queueOperation, type QueueOperation } from "./operations.ts";

export const STORAGE_RESOURCE = "https://storage.azure.com";
/** Azure Storage's application id in Microsoft Entra ID: Azure accepts it as an audience too. */
const STORAGE_APP_ID = "e406a681-f3d4-42a8-90b6-c2b029497af1";
/** Answers carry the request's x-ms-version, as Azure's do; this one when it sent none. */
const DEFAULT_VERSION = "2026-02-06";

/**
 * The audiences Azure Storage accepts for an account's queues: the Storage
 * resource (with or without the slash), its app id, and the account's own
 * queue endpoint (what `getQueueServiceAccountAudience` asks for).
 */
export function storageAudiences(account: string): readonly string[] {
  const endpoint = `https://${account}.queue.core.windows.net`;
  return [STORAGE_RESOURCE, `${STORAGE_RESOURCE}/`, STORAGE_APP_ID, endpoint, `${endpoint}/`];
}

export interface GatewayOptions {
  readonly account: string;
  readonly tokens: TokenValidator;
  readonly rbac: Authorizer;
  /** ARM id of the storage account; queues are `<id>/queueServices/default/queues/<name>`. */
  readonly accountScope: string;
  /** Where Storage tells a caller without a token to get one. */
  readonly authority: () => string;
  readonly backend: () => { readonly port: number; readonly running: boolean };
  /** Connections to Azurite (HTTPS, trusting the sandbox CA), kept alive between requests. */
  readonly agent: Agent;
}

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
  };
  const signature = ["algorithm", "signature", "unknownKey"].includes(check.problem);
  return known[check.problem] ?? `${signature ? "Signature validation failed." : "Token validation failed."} ${check.reason}`;
}

const escapeXml = (text: string) => text.replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c] ?? c);

export function createGatewayHandler(options: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const audiences = storageAudiences(options.account);
  const challenge = () => ({ "www-authenticate": `Bearer authorization_uri=${options.authority()}/oauth2/authorize resource_id=${STORAGE_RESOURCE}` });
  const scopeOf = (target: QueueOperation["target"]) =>
    target === "account" ? options.accountScope : target === "service" ? `${options.accountScope}/queueServices/default` : `${options.accountScope}/queueServices/default/queues/${target.queue}`;

  /** Azure Storage's error answer: XML, with the code also in a header. */
  function storageError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, extra = "", headers: Record<string, string> = {}): void {
    const requestId = randomUUID();
    const version = req.headers["x-ms-version"];
    res.writeHead(status, {
      "content-type": "application/xml",
      server: "Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0",
      "x-ms-error-code": code,
      "x-ms-request-id": requestId,
      "x-ms-version": typeof version === "string" ? version : DEFAULT_VERSION,
      ...headers,
    });
    res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message>${extra}</Error>`);
  }

  /** Any audience Azure accepts; a refusal names the Storage resource, the one the SDKs ask for. */
  async function authenticate(authorization: string): Promise<TokenCheck> {
    const check = await options.tokens.validate(authorization, STORAGE_RESOURCE);
    if (!check.ok && check.problem === "audience" && check.found !== undefined && audiences.includes(check.found)) {
      return options.tokens.validate(authorization, check.found);
    }
    return check;
  }

  function forward(req: IncomingMessage, res: ServerResponse): void {
    const backend = options.backend();
    if (!backend.running) {
      storageError(req, res, 503, "ServerBusy", "The server is currently unable to receive requests. Please retry your request.");
      return;
    }
    const upstream = httpsRequest(
      { host: "127.0.0.1", port: backend.port, method: req.method, path: req.url, headers: req.headers, agent: options.agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        pipeline(answer, res, () => {});
      },
    );
    upstream.once("error", () => {
      if (!res.headersSent) storageError(req, res, 503, "ServerBusy", "The server is currently unable to receive requests. Please retry your request.");
      else res.destroy();
    });
    pipeline(req, upstream, () => {});
  }

  return (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "https://localhost");
      const [account] = url.pathname.split("/").filter(Boolean);
      if (account !== options.account) {
        storageError(req, res, 400, "InvalidResourceName", `The specified resource name is not valid here: the account is ${options.account}.`);
        return;
      }
      // A browser's CORS preflight carries no credentials: Azure answers it anonymously.
      if (req.method === "OPTIONS") {
        forward(req, res);
        return;
      }
      if (!req.headers.authorization) {
        storageError(req, res, 401, "NoAuthenticationInformation", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.", "", challenge());
        return;
      }
      const check = await authenticate(req.headers.authorization);
      if (!check.ok) {
        storageError(
          req,
          res,
          401,
          "InvalidAuthenticationInfo",
          "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
          `<AuthenticationErrorDetail>${escapeXml(authenticationDetail(check))}</AuthenticationErrorDetail>`,
          challenge(),
        );
        return;
      }
      const operation = queueOperation(req.method ?? "GET", url.pathname, url.searchParams);
      const scope = scopeOf(operation.target);
      const allowed = operation.allowedBy.some((actions) => actions.every((action) => options.rbac.isAllowed(check.principal, action, scope)));
      if (!allowed) {
        storageError(req, res, 403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.");
        return;
      }
      forward(req, res);
    })();
  };
}
