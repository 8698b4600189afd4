/**
 * Microsoft Graph, as far as app registrations go: what `az ad app create`,
 * `az ad sp create` and `az ad app federated-credential create|list|show|delete`
 * send (read from the Azure CLI's own Graph client):
 *
 *   GET|POST  /v1.0/applications[?$filter=appId eq '…']
 *   GET|DELETE /v1.0/applications/{id}
 *   GET|POST  /v1.0/applications/{id}/federatedIdentityCredentials
 *   GET|DELETE /v1.0/applications/{id}/federatedIdentityCredentials/{id or name}
 *   GET|POST  /v1.0/servicePrincipals[?$filter=appId eq '…']
 *
 * Every request needs a token for Graph (the resource is this service's URL,
 * the cloud's `microsoftGraphResourceId`). A user may register apps and give
 * them credentials, as the tenant's default lets its members; a service
 * principal has no Graph permission here (a deployer needs none), so Graph
 * refuses it: Authorization_RequestDenied.
 */
import express, { type Express, type Request, type Response } from "express";
import type { Principal, TokenValidator } from "../../contracts.ts";
import { sendError, wholeRequestsOnly } from "../../http/host.ts";
import { guid } from "../../arm/template/index.ts";

/** A GUID derived from what it names, as a template's guid() derives it. */
const nameBasedGuid = (...parts: string[]) => guid(parts);
import type { Application, ApplicationServicePrincipal, FederatedIdentityCredential } from "./applications.ts";
import type { Directory } from "./directory.ts";
import { GraphFailure, graphError, graphErrors } from "./graphErrors.ts";

export interface GraphOptions {
  readonly directory: Directory;
  readonly tokens: TokenValidator;
  /** `https://localhost:<port>`: the resource tokens for Graph name, and where it listens. */
  readonly url: () => string;
  readonly tenantId: string;
}

/** One clause of a `$filter` the Azure CLI sends, as a test of a Graph object's fields. */
type Clause = (object: Record<string, unknown>) => boolean;
const QUOTED = "'((?:[^']|'')*)'";
/** Reads `$filter` into clauses; undefined when it is not one the sandbox understands. */
export function parseFilter(filter: string): Clause[] | undefined {
  const clauses: Clause[] = [];
  for (const part of filter.split(/\s+and\s+/i)) {
    const text = part.trim();
    const equals = new RegExp(`^(appId|displayName|id) eq ${QUOTED}$`, "i").exec(text);
    if (equals) {
      const field = (equals[1] ?? "").toLowerCase();
      const value = (equals[2] ?? "").replace(/''/g, "'");
      const key = field === "appid" ? "appId" : field === "displayname" ? "displayName" : "id";
      clauses.push((object) => object[key] === (key === "displayName" ? value : value.toLowerCase()));
      continue;
    }
    const starts = new RegExp(`^startswith\\(displayName,\\s*${QUOTED}\\)$`, "i").exec(text);
    if (starts) {
      const prefix = (starts[1] ?? "").replace(/''/g, "'").toLowerCase();
      clauses.push((object) => String(object["displayName"]).toLowerCase().startsWith(prefix));
      continue;
    }
    const any = new RegExp(`^(identifierUris|servicePrincipalNames)/any\\((\\w+):\\2 eq ${QUOTED}\\)$`, "i").exec(text);
    if (any) {
      const collection = (any[1] ?? "").toLowerCase() === "identifieruris" ? "identifierUris" : "servicePrincipalNames";
      const value = (any[3] ?? "").replace(/''/g, "'").toLowerCase();
      clauses.push((object) =>
        ((object[collection] as string[] | undefined) ?? []).some((name) => name.toLowerCase() === value),
      );
      continue;
    }
    return undefined;
  }
  return clauses;
}

export function createGraph({ directory, tokens, url, tenantId }: GraphOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.set("case sensitive routing", false);
  const registrations = directory.registrations;
  const fail = (req: Request, res: Response, status: number, code: string, message: string) =>
    sendError(res, graphError(status, code, message, req));

  // 1. A token for Graph, from a user (the tenant's members may register apps; a service principal has no Graph role here).
  app.use(async (req, res, next) => {
    const check = await tokens.validate(req.headers.authorization, url());
    if (!check.ok) {
      const message =
        check.problem === "missing"
          ? "Access token is empty."
          : check.problem === "expired"
            ? "Lifetime validation failed, the token is expired."
            : check.problem === "audience"
              ? `Invalid audience. ${check.reason}`
              : "Access token validation failure.";
      return fail(req, res, 401, "InvalidAuthenticationToken", message);
    }
    if (!directory.users.some((user) => user.objectId === check.principal.objectId))
      return fail(req, res, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    res.locals["principal"] = check.principal satisfies Principal;
    next();
  });
  app.use(express.json({ limit: "64kb" }));
  app.use(wholeRequestsOnly(graphErrors));

  const context = (path: string) => `${url()}/v1.0/$metadata#${path}`;
  const shownApplication = (application: Application) => {
    const secret = directory.servicePrincipals.find((sp) => sp.appId === application.appId)?.secret ?? "";
    return {
      id: application.id,
      deletedDateTime: null,
      appId: application.appId,
      createdDateTime: application.createdDateTime,
      displayName: application.displayName,
      identifierUris: [],
      publisherDomain: directory.users[0]?.displayName.split("@")[1] ?? "keyless.local",
      signInAudience: application.signInAudience,
      keyCredentials: [],
      // What Graph shows of a client secret: its id, its dates and its first three characters, never the value.
      passwordCredentials:
        secret === ""
          ? []
          : [
              {
                customKeyIdentifier: null,
                displayName: null,
                endDateTime: "2027-01-01T00:00:00Z",
                hint: secret.slice(0, 3),
                keyId: nameBasedGuid("password", application.appId),
                secretText: null,
                startDateTime: "2026-01-01T00:00:00Z",
              },
            ],
      requiredResourceAccess: [],
    };
  };
  const shownPrincipal = (principal: ApplicationServicePrincipal) => ({
    id: principal.objectId,
    accountEnabled: true,
    appDisplayName: principal.displayName,
    appId: principal.appId,
    appOwnerOrganizationId: tenantId,
    createdDateTime: principal.createdDateTime,
    displayName: principal.displayName,
    servicePrincipalNames: [principal.appId],
    servicePrincipalType: "Application",
    signInAudience: "AzureADMyOrg",
  });
  const shownCredential = (applicationId: string, credential: FederatedIdentityCredential) => ({
    "@odata.context": context(`applications('${applicationId}')/federatedIdentityCredentials/$entity`),
    ...credential,
  });
  /** The objects a `$filter` keeps, or a refusal for a filter the sandbox does not understand. */
  const filtered = <T>(req: Request, res: Response, objects: T[]): T[] | undefined => {
    const filter = req.query["$filter"];
    if (filter === undefined) return objects;
    const clauses = typeof filter === "string" ? parseFilter(filter) : undefined;
    if (!clauses) {
      fail(
        req,
        res,
        400,
        "BadRequest",
        "Invalid filter clause: the sandbox's Graph filters on appId, displayName, id, startswith(displayName,'…'), identifierUris and servicePrincipalNames.",
      );
      return undefined;
    }
    return objects.filter((object) => clauses.every((clause) => clause(object as Record<string, unknown>)));
  };
  /** Runs a change; a GraphFailure is answered in Graph's words and changes nothing. */
  const change = (req: Request, res: Response, work: () => void) => {
    try {
      work();
    } catch (error) {
      if (!(error instanceof GraphFailure)) throw error;
      fail(req, res, error.status, error.code, error.message);
    }
  };
  const applicationOr404 = (req: Request, res: Response): Application | undefined => {
    const id = String(req.params["id"]);
    const application = registrations.list().find((candidate) => candidate.id === id.toLowerCase());
    if (!application)
      fail(
        req,
        res,
        404,
        "Request_ResourceNotFound",
        `Resource '${id.slice(0, 64)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return application;
  };

  app.get("/v1.0/applications", (req, res) => {
    const value = filtered(req, res, registrations.list().map(shownApplication));
    if (value) res.json({ "@odata.context": context("applications"), value });
  });
  app.post("/v1.0/applications", (req, res) =>
    change(req, res, () => {
      const { displayName } = (req.body ?? {}) as { displayName?: unknown };
      if (typeof displayName !== "string")
        throw new GraphFailure(
          400,
          "Request_BadRequest",
          "Invalid value specified for property 'displayName' of resource 'Application'.",
        );
      const application = registrations.create(displayName);
      res.status(201).json({ "@odata.context": context("applications/$entity"), ...shownApplication(application) });
    }),
  );
  app.get("/v1.0/applications/:id", (req, res) => {
    const application = applicationOr404(req, res);
    if (application) res.json({ "@odata.context": context("applications/$entity"), ...shownApplication(application) });
  });
  app.delete("/v1.0/applications/:id", (req, res) => {
    const application = applicationOr404(req, res);
    if (!application) return;
    if (!registrations.delete(application.id))
      return fail(req, res, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    res.status(204).end();
  });

  app.get("/v1.0/applications/:id/federatedIdentityCredentials", (req, res) => {
    const application = applicationOr404(req, res);
    if (!application) return;
    const value = filtered(req, res, registrations.federatedCredentials(application.id));
    if (value)
      res.json({ "@odata.context": context(`applications('${application.id}')/federatedIdentityCredentials`), value });
  });
  app.post("/v1.0/applications/:id/federatedIdentityCredentials", (req, res) =>
    change(req, res, () => {
      const application = applicationOr404(req, res);
      if (!application) return;
      const credential = registrations.addFederatedCredential(application.id, req.body);
      res.status(201).json(shownCredential(application.id, credential));
    }),
  );
  app.get("/v1.0/applications/:id/federatedIdentityCredentials/:credential", (req, res) => {
    const application = applicationOr404(req, res);
    if (!application) return;
    const credential = registrations.federatedCredential(application.id, String(req.params["credential"]));
    if (!credential)
      return fail(
        req,
        res,
        404,
        "Request_ResourceNotFound",
        `Resource '${String(req.params["credential"]).slice(0, 64)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    res.json(shownCredential(application.id, credential));
  });
  app.delete("/v1.0/applications/:id/federatedIdentityCredentials/:credential", (req, res) => {
    const application = applicationOr404(req, res);
    if (!application) return;
    if (!registrations.removeFederatedCredential(application.id, String(req.params["credential"])))
      return fail(
        req,
        res,
        404,
        "Request_ResourceNotFound",
        `Resource '${String(req.params["credential"]).slice(0, 64)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    res.status(204).end();
  });

  const principals = () =>
    registrations.list().flatMap((application) => {
      const principal = registrations.servicePrincipalOf(application.appId);
      return principal ? [shownPrincipal(principal)] : [];
    });
  app.get("/v1.0/servicePrincipals", (req, res) => {
    const value = filtered(req, res, principals());
    if (value) res.json({ "@odata.context": context("servicePrincipals"), value });
  });
  app.post("/v1.0/servicePrincipals", (req, res) =>
    change(req, res, () => {
      const { appId } = (req.body ?? {}) as { appId?: unknown };
      if (typeof appId !== "string")
        throw new GraphFailure(
          400,
          "Request_BadRequest",
          "Invalid value specified for property 'appId' of resource 'ServicePrincipal'.",
        );
      const principal = registrations.createServicePrincipal(appId);
      res.status(201).json({ "@odata.context": context("servicePrincipals/$entity"), ...shownPrincipal(principal) });
    }),
  );
  return app;
}
