/**
 * The live view's calls to the sandbox, made the way `az` makes them, so
 * that each is recorded where Azure records it: Resource Manager's REST API
 * for role assignments and function keys (the Activity log), and Key Vault's
 * data plane, each as the developer with a token from `az login`'s sign-in
 * (Entra ID's sign-in log, then Key Vault's AuditEvent).
 */
import { request } from "node:https";
import { MANAGEMENT_RESOURCE, VAULT_RESOURCE, type Sandbox } from "@keyless/sandbox";
/** Key Vault's REST API version the calls use. */
const API_VERSION = "7.6";

/** An answer that was not a success: the service's own code and message. */
export class SandboxCallError extends Error {
  override name = "SandboxCallError";
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

interface Call {
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** One HTTPS call to a sandbox service: the sandbox's CA trusted, `*.localhost` on loopback, JSON both ways. */
function call<T>(sandbox: Sandbox, { url, method, headers = {}, body }: Call): Promise<T> {
  const target = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: target.port,
        servername: target.hostname,
        path: `${target.pathname}${target.search}`,
        method,
        ca: sandbox.certificates.caPem,
        headers: {
          host: target.host,
          accept: "application/json",
          ...(payload
            ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) }
            : {}),
          ...headers,
        },
        timeout: 10_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          let answer: unknown;
          try {
            answer = text ? JSON.parse(text) : undefined;
          } catch {
            answer = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(answer as T);
          const error = (answer as { error?: { code?: string; message?: string } } | undefined)?.error;
          reject(new SandboxCallError(status, error?.code, error?.message ?? `HTTP ${status}`));
        });
      },
    );
    req.once("timeout", () => req.destroy(new Error(`${method} ${target.pathname} did not answer in time.`)));
    req.once("error", reject);
    req.end(payload);
  });
}

/** The sandbox's admin API, as the sandbox's `az` calls it: here only for `az login`'s token. */
function admin<T>(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<T> {
  const { url, key } = sandbox.endpoints.admin;
  return call<T>(sandbox, { url: `${url}${path}`, method, headers: { "x-keyless-admin-key": key }, body });
}

/** A token as the developer for a resource, as `az login` gets one: a sign-in in Entra ID's log. */
const developerToken = async (sandbox: Sandbox, resource: string) =>
  (await admin<{ accessToken: string }>(sandbox, "POST", "/developer-token", { resource })).accessToken;

/** Resource Manager's REST API as the developer, as `az role assignment create` calls it: the Activity log records it. */
export async function armAsDeveloper<T>(
  sandbox: Sandbox,
  method: string,
  path: string,
  apiVersion: string,
  body?: unknown,
): Promise<T> {
  const accessToken = await developerToken(sandbox, MANAGEMENT_RESOURCE);
  const separator = path.includes("?") ? "&" : "?";
  return call<T>(sandbox, {
    url: `${sandbox.endpoints.resourceManager}${path}${separator}api-version=${apiVersion}`,
    method,
    headers: { authorization: `Bearer ${accessToken}` },
    body,
  });
}

/** Key Vault's data plane as the developer: a token from `az login` (a sign-in), then the request (an AuditEvent). */
export async function vaultAsDeveloper<T>(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<T> {
  const accessToken = await developerToken(sandbox, VAULT_RESOURCE);
  const separator = path.includes("?") ? "&" : "?";
  return call<T>(sandbox, {
    url: `${sandbox.endpoints.keyVaultUrl}${path}${separator}api-version=${API_VERSION}`,
    method,
    headers: { authorization: `Bearer ${accessToken}` },
    body,
  });
}
