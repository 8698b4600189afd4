/**
 * The sandbox's own admin API, for its `az` CLI and the live view: what has no
 * Azure REST API here. Every resource goes through Resource Manager's REST API
 * (arm/routes.ts), as the real az calls it; what stays here is
 *
 * - `az login`: a token for the developer user (`/developer-token`), and the
 *   profile it keeps (`/account`: `az account show`);
 * - Microsoft Graph's stand-in: the directory's principals (`/principals`) and
 *   `az ad app credential reset` (`/applications/{appId}/reset-password`);
 * - the sandbox's own views, which Azure never shows: the audit log (`/audit`),
 *   RBAC with its propagation (`GET /role-assignments`), the environment App
 *   Service's platform gives an app at run time (`/webapps/{name}/environment`),
 *   and `npm run reset` (`/reset`).
 *
 * Guarded by a random key that only `.sandbox/endpoints.json` (mode 0600) holds.
 */
import { secretsEqual, wholeRequestsOnly } from "../../http/host.ts";
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from "express";
import type { Directory, DirectoryEntry } from "../entra/directory.ts";
import { entraError, unknownResourceError } from "../entra/errors.ts";
import { failureOf, resourceOfScope, tokenIdOf } from "../entra/tokenRequests.ts";
import { armAnswer, resourceManagerErrors } from "../../arm/errors.ts";
import type { Principal, TokenValidator } from "../../contracts.ts";
import { MANAGEMENT_RESOURCE } from "./audiences.ts";
import type { AuditLog } from "../../audit/log.ts";
import type { TokenIssuer } from "../entra/tokens.ts";
import type { RoleAssignments } from "../authorization/rbac.ts";

/** The Azure CLI's own, well-known application id: tokens `az` gets carry it as `appid`. */
export const AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/** What `az account show` and `az ad signed-in-user show` describe: the profile `az login` keeps. */
export interface AdminAccount {
  readonly subscription: { readonly id: string; readonly name: string };
  readonly tenantId: string;
  readonly tenantAlias: string;
  readonly user: { readonly name: string; readonly objectId: string };
}

export interface AdminOptions {
  readonly key: string;
  readonly issuer: TokenIssuer;
  readonly directory: Directory;
  readonly rbac: RoleAssignments;
  readonly resources: readonly string[];
  readonly account: () => AdminAccount;
  /** Back to the provisioned state: what it discarded. */
  readonly reset: () => Promise<{ readonly discarded: readonly unknown[] }>;
  /** An app's environment as its host gives it at run time (settings and platform variables); throws AppNotFoundError for an unknown app. */
  readonly environment: (app: string) => Record<string, string>;
  /** Sign-ins are recorded here, and `az` reads it back. */
  readonly audit?: AuditLog;
  /**
   * Validates the token of a service principal the sandbox's `az` signed in (`az login --service-principal`):
   * its requests carry it, and the admin API then acts as that principal, with its roles only.
   */
  readonly tokens?: TokenValidator;
}

/** A principal as Microsoft Graph lists it, with the kind `az ad sp list` shows. */
export interface AdminPrincipal extends DirectoryEntry {
  readonly servicePrincipalType?: "Application" | "ManagedIdentity";
}

/** ARM's error shape, from Resource Manager's one error factory: `az` prints it as `(code) message`. */
const armError = (res: Response, status: number, code: string, message: string) =>
  res.status(status).json(armAnswer(status, code, message).body);

/** The last middleware: anything a route threw or a parser refused, in ARM's shape. */
const armErrorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const { status } = (error ?? {}) as { status?: unknown };
  const refused = typeof status === "number" && status >= 400 && status < 500;
  if (!refused)
    console.error(
      `sandbox: Resource Manager failed on ${req.method} ${req.path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  const answer = refused ? resourceManagerErrors.badRequest("body", req) : resourceManagerErrors.internal(req);
  res.status(answer.status).json(answer.body);
};

export function createAdminApi(options: AdminOptions): Express {
  const { key, issuer, directory, rbac, resources, account, reset } = options;
  const app = express();
  app.disable("x-powered-by");
  // The key first: nobody without it gets as far as having a body read.
  app.use((req, res, next) => {
    if (!secretsEqual(req.get("x-keyless-admin-key") ?? "", key)) {
      armError(
        res,
        401,
        "AuthenticationFailed",
        "Missing or wrong sandbox admin key: read it from .sandbox/endpoints.json of the running sandbox.",
      );
      return;
    }
    next();
  });
  // A service principal signed in with `az login`: the admin API acts as it (its roles decide), never as the developer.
  app.use(async (req, res, next) => {
    if (req.headers.authorization === undefined) return next();
    const check = await options.tokens?.validate(req.headers.authorization, MANAGEMENT_RESOURCE);
    if (!check?.ok)
      return armError(
        res,
        401,
        "InvalidAuthenticationToken",
        "The access token is invalid: sign in again with az login.",
      );
    res.locals["actingAs"] = check.principal;
    next();
  });
  app.use(express.json());
  app.use(wholeRequestsOnly(resourceManagerErrors));

  const principals = (): AdminPrincipal[] => [
    ...directory.servicePrincipals.map(({ secret: _secret, ...entry }) => ({
      ...entry,
      servicePrincipalType: "Application" as const,
    })),
    ...[...directory.apps.values()].map(({ identityHeader: _header, ...entry }) => ({
      ...entry,
      servicePrincipalType: "ManagedIdentity" as const,
    })),
    ...[...directory.userAssigned.values()].map(({ objectId, displayName, type, appId }) => ({
      objectId,
      displayName,
      type,
      appId,
      servicePrincipalType: "ManagedIdentity" as const,
    })),
    ...directory.users,
  ];
  const principalOf = (principalId: string) => principals().find((entry) => entry.objectId === principalId);
  const withPrincipal = <T extends { principalId: string }>(assignment: T) => ({
    ...assignment,
    principal: principalOf(assignment.principalId),
  });
  /** The service principal `az login` signed in, when the request is its (undefined: the developer's own az). */
  const actingAs = (res: Response) => res.locals["actingAs"] as Principal | undefined;
  /** What only the developer's own az does (the sandbox's own commands, Graph's secrets): a 403 for a signed-in principal. */
  const developerOnly = (res: Response, what: string): boolean => {
    const principal = actingAs(res);
    if (!principal) return true;
    armError(
      res,
      403,
      "AuthorizationFailed",
      `The client '${principal.appId ?? principal.objectId}' with object id '${principal.objectId}' cannot ${what}: only the developer can (az logout first).`,
    );
    return false;
  };

  const stringField = (req: Request, name: string) => {
    const value = (req.body as Record<string, unknown> | undefined)?.[name] ?? req.query[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };

  // `az login`, for the one developer of the sandbox: a token as the learner, for a resource.
  app.post("/developer-token", async (req, res) => {
    if (!developerOnly(res, "get the developer's token")) return;
    const user = directory.users[0];
    const tenant = stringField(req, "tenant");
    const resource = resourceOfScope(stringField(req, "resource") ?? "");
    const refusal =
      tenant && tenant !== issuer.tenantId && tenant !== account().tenantAlias
        ? entraError(
            "invalid_tenant",
            90002,
            `Tenant '${tenant.slice(0, 64)}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
          )
        : !user || !resources.includes(resource)
          ? unknownResourceError(resource.slice(0, 256), issuer.tenantId, resources)
          : undefined;
    const accessToken =
      refusal || !user
        ? undefined
        : await issuer.issue({ audience: resource, objectId: user.objectId, appId: AZURE_CLI_CLIENT_ID });
    if (refusal || !accessToken) res.status(400).json(refusal);
    else
      res.json({
        accessToken,
        expiresOn: Math.floor(Date.now() / 1000) + issuer.defaultLifetimeSeconds,
        tenant: issuer.tenantId,
        subscription: account().subscription.id,
      });
    const tokenId = accessToken ? tokenIdOf(accessToken) : undefined;
    options.audit?.record({
      category: "SignInLogs",
      operationName: "Sign-in activity",
      resultType: accessToken ? "Success" : "Failure",
      statusCode: accessToken ? 200 : 400,
      clientCredentialType: "developerSignIn",
      ...(user ? { caller: { objectId: user.objectId, appId: AZURE_CLI_CLIENT_ID, type: "User" as const } } : {}),
      ...(accessToken ? { resource } : {}),
      ...(tokenId ? { uniqueTokenIdentifier: tokenId } : {}),
      ...(refusal ? failureOf(refusal) : {}),
      requestUri: "/_sandbox/developer-token",
      httpMethod: "POST",
    });
  });

  // The audit log, newest last: `az sandbox audit list` (a sandbox addition) and the graders read it.
  app.get("/audit", (req, res) => {
    const last = Number(stringField(req, "last") ?? 200);
    const after = stringField(req, "after");
    const category = stringField(req, "category");
    if (!Number.isInteger(last) || last < 1 || last > 10_000 || (after !== undefined && !/^\d{1,15}$/.test(after))) {
      return armError(
        res,
        400,
        "InvalidParameter",
        "last must be a whole number from 1 to 10000, and after an event id.",
      );
    }
    const categories = options.audit?.categories ?? [];
    if (category !== undefined && !categories.includes(category)) {
      return armError(res, 400, "InvalidParameter", `category must be one of ${categories.join(", ")}.`);
    }
    const caller = stringField(req, "caller");
    res.json(
      options.audit?.list({
        last,
        ...(after ? { after: Number(after) } : {}),
        ...(category ? { category } : {}),
        ...(caller ? { caller } : {}),
      }) ?? [],
    );
  });

  // `az sandbox app-env`: what an app runs with. App Service's platform adds IDENTITY_ENDPOINT and IDENTITY_HEADER at run
  // time (and the sandbox its CA and *.localhost): no ARM API shows them, so this one does.
  app.get("/webapps/:name/environment", (req, res) => {
    if (!developerOnly(res, "read an app's run-time environment (the sandbox's own command)")) return;
    try {
      res.json(options.environment(req.params.name));
    } catch (error) {
      if (error instanceof Error && error.name === "AppNotFoundError") {
        return armError(
          res,
          404,
          "ResourceNotFound",
          `The Resource 'Microsoft.Web/sites/${req.params.name.slice(0, 64)}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        );
      }
      throw error;
    }
  });

  app.get("/account", (_req, res) => {
    res.json(account());
  });

  app.get("/principals", (_req, res) => {
    res.json(principals());
  });

  // `az sandbox denials`: RBAC as the sandbox keeps it, with when each assignment takes effect (its propagation),
  // which no Azure API shows. Changes go through Resource Manager.
  app.get("/role-assignments", (_req, res) => {
    res.json(rbac.list().map(withPrincipal));
  });

  // `az ad app credential reset --id <appId>` (Graph's addPassword, the old secrets removed): the new secret, once.
  app.post("/applications/:appId/reset-password", (req, res) => {
    if (!developerOnly(res, "reset an application's secret (Graph gives a service principal no such permission here)"))
      return;
    const secret = directory.resetSecret(req.params.appId);
    if (!secret) {
      return armError(
        res,
        404,
        "Request_ResourceNotFound",
        `Resource '${req.params.appId.slice(0, 64)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    res.json({ appId: req.params.appId.toLowerCase(), password: secret, tenant: issuer.tenantId });
  });

  app.post("/reset", async (_req, res) => {
    if (!developerOnly(res, "reset the sandbox")) return;
    const report = await reset();
    res.json({ reset: true, discarded: report.discarded });
  });

  app.use((req, res) => {
    const answer = resourceManagerErrors.notFound(req);
    res.status(answer.status).json(answer.body);
  });
  app.use(armErrorHandler);
  return app;
}
