/**
 * App Service's front ends, in the sandbox: one HTTPS server that answers for
 * every site by its host name, as Azure's do.
 *
 *   https://<site>.azurewebsites.localhost:<port>/...       the site's code (proxied to where it listens)
 *   https://<site>.scm.azurewebsites.localhost:<port>/api/  its deployment service (Kudu): zip deployments
 *
 * A zip deployment (`POST /api/publish?type=zip`, what `az webapp deploy
 * --type zip` sends, or `/api/zipdeploy`) needs a Microsoft Entra token for
 * Resource Manager and a role that may publish to the site
 * (`Microsoft.Web/sites/publish/Action`: Website Contributor, Contributor,
 * Owner). Basic-auth publishing credentials are refused when the site's
 * `basicPublishingCredentialsPolicies/scm` forbids them, as the template sets.
 */
import { type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AuditSink } from "../../audit/log.ts";
import type { Authorizer, Principal, TokenValidator } from "../../contracts.ts";
import { type ErrorAnswer, type ServiceErrors, sendError } from "../../http/host.ts";
import { MAX_PACKAGE_BYTES } from "./siteRunner.ts";

export const HOST_SUFFIX = "azurewebsites.localhost";

/** How a plain-text answer is written. */
const text = (status: number, body: string, headers: Record<string, string> = {}): ErrorAnswer => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  body,
});

/** The front end's own refusals: plain text, as App Service's are. */
export const frontDoorErrors: ServiceErrors = {
  notFound: () => text(404, "404 Not Found: no site answers on this host name here."),
  badRequest: () => text(400, "400 Bad Request"),
  internal: () => text(500, "500 Internal Server Error"),
};

export interface FrontDoorOptions {
  /** The site of that name (its ARM id), when Resource Manager holds one. */
  readonly site: (name: string) => { readonly id: string; readonly name: string } | undefined;
  /** Where a site's code listens now, if anywhere. */
  readonly backendOf: (site: string) => number | undefined;
  /** Whether basic-auth publishing credentials are allowed on a site's SCM endpoint. */
  readonly basicAuthAllowed: (siteId: string) => boolean;
  readonly tokens: TokenValidator;
  /** The audiences an SCM bearer token may name: Resource Manager's. */
  readonly audiences: readonly string[];
  readonly rbac: Authorizer;
  readonly audit?: AuditSink;
  /** Deploys a zip to a site: its Kudu deployment status, or why it failed. */
  readonly deploy: (site: { id: string; name: string }, zip: Uint8Array, deployer: Principal) => Promise<object>;
  /** The deployments of a site, newest first. */
  readonly deployments: (site: string) => object[];
}

/** The site and endpoint a host name names: `app.azurewebsites.localhost` or `app.scm.azurewebsites.localhost`. */
function addressOf(req: IncomingMessage): { site: string; scm: boolean } | undefined {
  const host = (req.headers.host ?? "").split(":")[0]?.toLowerCase() ?? "";
  if (!host.endsWith(`.${HOST_SUFFIX}`)) return undefined;
  const labels = host.slice(0, -HOST_SUFFIX.length - 1).split(".");
  if (labels.length === 1 && labels[0]) return { site: labels[0], scm: false };
  if (labels.length === 2 && labels[1] === "scm" && labels[0]) return { site: labels[0], scm: true };
  return undefined;
}

/**
 * The request's target as a URL: a path (`//` and all: `new URL("//", base)` reads it as a host, and throws), or the
 * absolute form a proxy sends; undefined when it is neither.
 */
function targetOf(target: string): URL | undefined {
  const url = target.startsWith("/") ? `https://scm${target}` : target;
  return URL.canParse(url) ? new URL(url) : undefined;
}

/** The package a request carries: too large for App Service, or cut short (its client gone before the end). */
async function readBody(req: IncomingMessage): Promise<Buffer | "tooLarge" | "cutShort"> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_PACKAGE_BYTES) return "tooLarge";
      chunks.push(chunk as Buffer);
    }
  } catch {
    // The client closed the connection before its body's end (Node's "aborted"): the package never arrived.
    return "cutShort";
  }
  return req.complete ? Buffer.concat(chunks) : "cutShort";
}

export function createFrontDoor(options: FrontDoorOptions) {
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
  };

  /** The SCM endpoint: who may deploy, and the deployment itself. */
  const scm = async (req: IncomingMessage, res: ServerResponse, site: { id: string; name: string }) => {
    const url = targetOf(req.url ?? "/");
    if (!url) return sendError(res, frontDoorErrors.badRequest("target", req));
    const authorization = req.headers.authorization ?? "";
    const unauthorized = (why: string) =>
      sendError(res, text(401, `401 Unauthorized: ${why}`, { "www-authenticate": 'Bearer realm="scm"' }));
    if (/^basic /i.test(authorization)) {
      // The template turns basic auth off (basicPublishingCredentialsPolicies/scm allow: false), as Azure recommends.
      return unauthorized(
        options.basicAuthAllowed(site.id)
          ? "the publishing credentials are not valid."
          : `basic authentication is disabled for ${site.name}'s SCM site (basicPublishingCredentialsPolicies/scm: allow false). Deploy with a Microsoft Entra token: az webapp deploy signs in for you.`,
      );
    }
    // A token for Resource Manager (with or without its trailing slash), as Kudu takes Entra tokens.
    let check = await options.tokens.validate(authorization, options.audiences[0] ?? "");
    if (!check.ok && check.problem === "audience" && check.found && options.audiences.includes(check.found))
      check = await options.tokens.validate(authorization, check.found);
    if (!check.ok) return unauthorized(check.reason);
    const caller = check.principal;
    const route = `${req.method} ${url.pathname.toLowerCase().replace(/\/+$/, "")}`;
    if (route === "GET /api/deployments") return json(res, 200, options.deployments(site.name));
    if (route === "GET /api/deployments/latest") {
      const [latest] = options.deployments(site.name);
      return latest ? json(res, 200, latest) : sendError(res, text(404, "404 Not Found: no deployment yet."));
    }
    const zipDeploy =
      route === "POST /api/zipdeploy" || (route === "POST /api/publish" && url.searchParams.get("type") === "zip");
    if (!zipDeploy)
      return sendError(
        res,
        text(404, "404 Not Found: this SCM site serves /api/publish?type=zip, /api/zipdeploy and /api/deployments."),
      );
    const action = "Microsoft.Web/sites/publish/Action";
    if (!options.rbac.isAllowed(caller, action, site.id))
      return sendError(
        res,
        text(
          403,
          `403 Forbidden: the client '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${site.id}'. Grant it a role that may publish to the app (Website Contributor on the app is the least).`,
        ),
      );
    const zip = await readBody(req);
    if (zip === "tooLarge") return sendError(res, text(413, "413 Request Entity Too Large"));
    if (zip === "cutShort") return sendError(res, text(400, "400 Bad Request: the package was cut short."));
    const status = await options.deploy(site, zip, caller);
    json(res, (status as { status?: number }).status === 4 ? 200 : 400, status);
  };

  /** The site's own code, reached through the front end as on Azure (with its X-Forwarded headers). */
  const proxy = (req: IncomingMessage, res: ServerResponse, site: string) => {
    const port = options.backendOf(site);
    if (port === undefined)
      return sendError(
        res,
        text(
          503,
          `503 Service Unavailable: ${site} runs no code in this sandbox. npm start runs the steps' apps; az webapp deploy runs a package of yours.`,
        ),
      );
    const forwarded = request(
      {
        host: "127.0.0.1",
        port,
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          "x-forwarded-proto": "https",
          "x-forwarded-for": req.socket.remoteAddress ?? "",
          "x-original-host": req.headers.host ?? "",
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The site's code is not answering (it crashed, or is restarting): App Service's 502.
    forwarded.on("error", () => sendError(res, text(502, "502 Bad Gateway: the app did not answer.")));
    req.pipe(forwarded);
  };

  return async (req: IncomingMessage, res: ServerResponse, done: (error?: unknown) => void) => {
    const address = addressOf(req);
    const site = address ? options.site(address.site) : undefined;
    if (!address || !site) return done();
    if (address.scm) return scm(req, res, site);
    proxy(req, res, site.name);
  };
}
