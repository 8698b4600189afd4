/**
 * How the `az` CLI reaches the running sandbox: `<stateDir>/endpoints.json`,
 * written by `npm start` (`KEYLESS_SANDBOX_DIR` points elsewhere). Like
 * `az login`, it decides who the CLI acts as: the developer user of tenant.json,
 * or the service principal `az login --service-principal` signed in (session.ts).
 */
import { readFileSync, unlinkSync } from "node:fs";
import tls from "node:tls";
import type { AccessToken, TokenCredential } from "@azure/identity";
import type { AdminAccount } from "../providers/resources/admin.ts";
import type { SandboxEndpoints } from "../endpoints.ts";
import { MANAGEMENT_RESOURCE } from "../providers/resources/audiences.ts";
// The vault lives at https://<name>.vault.localhost: resolve it as the steps do.
import { isAlive } from "../processes.ts";
import "../dnsPreload.mjs";
import { AzError } from "./azError.ts";
import { servicePrincipalToken } from "./servicePrincipal.ts";

export { AzError } from "./azError.ts";
import { AzProfile, type ServicePrincipalLogin } from "./session.ts";
import { type AnswerHeaders, send } from "./http.ts";

/** Resource Manager's answer as it came: its status, headers and text (a deployment's error is printed raw). */
export interface ArmAnswer {
  readonly status: number;
  readonly headers: AnswerHeaders;
  readonly text: string;
}

export interface Connection {
  readonly endpoints: SandboxEndpoints;
  /** The sandbox's own API, for what Azure has no REST API for here (`az login`'s token, the audit log, Graph's stand-in). */
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  /**
   * Resource Manager's REST API, as the real az calls it: `path` is a resource id (and action, and
   * query), with the signed-in developer's token for the management resource. ARM's errors throw as
   * az prints them.
   */
  arm<T>(method: string, path: string, apiVersion: string, body?: unknown): Promise<T>;
  /** The same request, answered whatever its status; a string body is sent as it is (az's inline template). */
  armRequest(method: string, path: string, apiVersion: string, body?: unknown): Promise<ArmAnswer>;
  /** The subscription az is signed in to (what `az login` keeps in its profile). */
  subscriptionId(): Promise<string>;
  account(): Promise<AdminAccount>;
  /** Like `az login`: tokens for whoever is signed in (the developer user, or a service principal), for any sandbox resource. */
  readonly credential: TokenCredential;
  /** Where the login is kept (AZURE_CONFIG_DIR, or `azure/` in the state folder). */
  readonly profile: AzProfile;
  /** The service principal `az login --service-principal` signed in; undefined when az acts as the developer. */
  readonly login: ServicePrincipalLogin | undefined;
}

/** No sandbox to talk to: exit code 1, like every error az reports (a stale file is named, and removed). */
const notRunning = (stale = false) =>
  new AzError(
    undefined,
    stale
      ? "The sandbox is not running (an npm start that did not stop cleanly left its endpoints file behind; removed now). Start it with npm start in another terminal, then try again."
      : "The sandbox is not running. Start it with npm start in another terminal, then try again.",
  );

/** A file left by an `npm start` that is gone: removed, unless a new one was written meanwhile. */
function removeStale(file: string, text: string): never {
  try {
    if (readFileSync(file, "utf8") === text) unlinkSync(file);
  } catch {
    // already gone
  }
  throw notRunning(true);
}

/**
 * The CA files this process trusts already. An az call adds its sandbox's CA to the process's default
 * trust and never takes one away: two calls at once, on two sandboxes, both keep theirs.
 */
const trusted = new Set<string>();
function trust(caPem: string): void {
  if (trusted.has(caPem)) return;
  trusted.add(caPem);
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), caPem]);
}

/** The sandbox whose endpoints.json is in `dir`, and the login kept for it (AZURE_CONFIG_DIR in `env`, see session.ts). */
export function connect(dir: string, env: Readonly<Record<string, string | undefined>>): Connection {
  const file = `${dir}/endpoints.json`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw notRunning();
  }
  let endpoints: SandboxEndpoints & { readonly pid?: number };
  try {
    endpoints = JSON.parse(text) as typeof endpoints;
  } catch {
    removeStale(file, text);
  }
  // `npm start` writes its pid: when that process is gone, so is the sandbox (it was killed, and could not remove the file).
  const launcher = endpoints.pid;
  if (typeof launcher === "number" && !isAlive(launcher)) removeStale(file, text);
  // The CLI trusts the sandbox's CA as the steps do (they through NODE_EXTRA_CA_CERTS), only in this process.
  trust(readFileSync(endpoints.caFile, "utf8"));

  const profile = AzProfile.of(dir, env);
  const login = profile.login();
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    // A signed-in service principal's requests carry its token: the sandbox then acts as it, with its roles only.
    const acting = login
      ? {
          authorization: `Bearer ${(await servicePrincipalToken(endpoints, login, MANAGEMENT_RESOURCE, profile)).accessToken}`,
        }
      : {};
    const response = await send(`${endpoints.admin.url}${path}`, {
      method,
      headers: { "content-type": "application/json", "x-keyless-admin-key": endpoints.admin.key, ...acting },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch((error: unknown) => {
      // Nothing listens where the file says: the npm start that wrote it is gone (its pid taken by another process since).
      const refused = (error as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED";
      if (refused && typeof launcher === "number") removeStale(file, text);
      throw notRunning();
    });
    const answer = (await response.json()) as unknown;
    if (!response.ok) {
      // Resource Manager answers {"error": {"code", "message"}}; Entra ID {"error", "error_description"}.
      const failure = answer as { error?: { code?: string; message?: string } | string; error_description?: string };
      if (typeof failure.error === "object")
        throw new AzError(failure.error.code, failure.error.message ?? `HTTP ${response.status}`);
      throw new AzError(undefined, failure.error_description ?? `HTTP ${response.status}`);
    }
    return answer as T;
  };

  let account: Promise<AdminAccount> | undefined;
  const accountOnce = (): Promise<AdminAccount> => (account ??= admin<AdminAccount>("GET", "/account"));
  /** One sign-in per resource and process, as az keeps its tokens. */
  const tokens = new Map<string, Promise<DeveloperToken>>();
  const developerToken = (resource: string, tenant?: string): Promise<DeveloperToken> => {
    const key = `${resource}|${tenant ?? ""}`;
    let token = tokens.get(key);
    if (!token) {
      token = admin<DeveloperToken>("POST", "/developer-token", { resource, ...(tenant ? { tenant } : {}) });
      tokens.set(key, token);
      token.catch(() => tokens.delete(key));
    }
    return token;
  };
  const credential: TokenCredential = {
    async getToken(scopes, options): Promise<AccessToken> {
      const resource = (Array.isArray(scopes) ? scopes[0] : scopes) ?? "";
      if (login) {
        const token = await servicePrincipalToken(endpoints, login, resource, profile);
        return { token: token.accessToken, expiresOnTimestamp: token.expiresOn * 1000, tokenType: "Bearer" };
      }
      const token = await developerToken(resource, options?.tenantId);
      return { token: token.accessToken, expiresOnTimestamp: token.expiresOn * 1000, tokenType: "Bearer" };
    },
  };
  const armRequest = async (method: string, path: string, apiVersion: string, body?: unknown): Promise<ArmAnswer> => {
    // Whoever is signed in: the developer, or the service principal `az login --service-principal` kept.
    const accessToken = (await credential.getToken(MANAGEMENT_RESOURCE))?.token ?? "";
    const url = new URL(path, endpoints.resourceManager);
    url.searchParams.set("api-version", apiVersion);
    const response = await send(url, {
      method,
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    }).catch(() => {
      throw notRunning();
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const arm = async <T>(method: string, path: string, apiVersion: string, body?: unknown): Promise<T> => {
    const answer = await armRequest(method, path, apiVersion, body);
    const parsed = parseJson(answer.text);
    if (answer.status >= 400) {
      const failure = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new AzError(failure?.code, failure?.message ?? `HTTP ${answer.status}`, answer.status);
    }
    return parsed as T;
  };
  return {
    endpoints,
    admin,
    arm,
    armRequest,
    // A service principal's subscription is the sandbox's one subscription, as `az login` lists it.
    subscriptionId: async () =>
      login ? (await accountOnce()).subscription.id : (await developerToken(MANAGEMENT_RESOURCE)).subscription,
    account: accountOnce,
    credential,
    profile,
    login,
  };
}

/** A body as JSON, or undefined when there is none (or it is not JSON: then the status speaks). */
function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** What the sandbox's `az login` stand-in answers: a token as the developer, and their subscription. */
interface DeveloperToken {
  readonly accessToken: string;
  readonly expiresOn: number;
  readonly tenant: string;
  readonly subscription: string;
}
