/**
 * The sandbox's own admin API, for its `az` CLI: it stands in for Azure
 * Resource Manager and Microsoft Graph (role assignments, identities, the
 * vault's resource) and for `az login` (a token for the developer user).
 * Guarded by a random key that only `.sandbox/endpoints.json` (mode 0600) holds.
 */
import { secretsEqual, wholeRequestsOnly } from "../../http/host.ts";
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from "express";
import type { Directory, DirectoryEntry } from "../entra/directory.ts";
import { entraError, unknownResourceError } from "../entra/errors.ts";
import { failureOf, resourceOfScope, tokenIdOf } from "../entra/tokenService.ts";
import { armAnswer, authorizationFailed, resourceManagerErrors } from "../../arm/errors.ts";
import type { Principal, TokenValidator } from "../../contracts.ts";
import { MANAGEMENT_RESOURCE } from "./audiences.ts";
import { AUDIT_CATEGORIES, isAuditCategory, uriWithoutQuery, type AuditLog } from "../../audit/log.ts";
import type { FunctionKeys } from "../web/functionKeys.ts";
import type { TokenIssuer } from "../entra/tokens.ts";
import {
  RoleAssignmentExistsError,
  RoleNotFoundError,
  type RoleAssignment,
  type RoleAssignments,
} from "../authorization/rbac.ts";

/** The Azure CLI's own, well-known application id: tokens `az` gets carry it as `appid`. */
export const AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/** What `az account show`, `az keyvault show` and `az webapp identity show` describe. */
export interface AdminAccount {
  readonly subscription: { readonly id: string; readonly name: string };
  readonly tenantId: string;
  readonly tenantAlias: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly user: { readonly name: string; readonly objectId: string };
  readonly vault: { readonly name: string; readonly id: string; readonly url: string };
  readonly storageAccount: { readonly name: string; readonly id: string };
  /** App Service apps: "" ids for an app without a managed identity. */
  readonly webApps: readonly {
    readonly name: string;
    readonly step: string;
    readonly principalId: string;
    readonly clientId: string;
    readonly signsInAs?: string;
    readonly userAssignedIdentities?: readonly string[];
  }[];
  /** User-assigned managed identities (`az identity show`), with their federated identity credentials, issuers resolved. */
  readonly userAssignedIdentities?: readonly AdminUserAssignedIdentity[];
}

/** A user-assigned managed identity as `az identity show` and `az identity federated-credential list` describe it. */
export interface AdminUserAssignedIdentity {
  readonly name: string;
  /** Its ARM resource id. */
  readonly id: string;
  readonly clientId: string;
  readonly principalId: string;
  readonly federatedIdentityCredentials: readonly {
    readonly name: string;
    readonly issuer: string;
    readonly subject: string;
    readonly audiences: readonly string[];
  }[];
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
  /** An app's application settings; throws AppNotFoundError for an unknown app. */
  readonly appSettings: (app: string) => Record<string, string>;
  /** The third party's function keys (the Azure Functions host's key store). */
  readonly functionKeys: FunctionKeys;
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

const principalNotFound = (assignee: string) =>
  `Cannot find user or service principal in graph database for '${assignee}'. If the assignee is an appId, make sure the corresponding service principal is created with 'az ad sp create --id ${assignee}'.`;

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
  /**
   * The Activity log, where Azure records every change made through Resource Manager: who (the
   * developer, as `az` signs in), what (the operation and the resource) and its details, never a
   * secret value.
   */
  const activity = (req: Request, operationName: string, resource: string, properties: Record<string, string>) => {
    const user = directory.users[0];
    // A service principal signed in with az login, or else the developer.
    const principal = req.res?.locals["actingAs"] as Principal | undefined;
    const caller = principal
      ? {
          objectId: principal.objectId,
          ...(principal.appId ? { appId: principal.appId } : {}),
          type: "ServicePrincipal" as const,
        }
      : user
        ? { objectId: user.objectId, type: "User" as const }
        : undefined;
    options.audit?.record({
      category: "AzureActivity",
      operationName,
      resultType: "Success",
      statusCode: req.method === "POST" ? 201 : 200,
      ...(caller ? { caller } : {}),
      resource,
      properties: { activityCategory: "Administrative", ...properties },
      requestUri: uriWithoutQuery(req.originalUrl),
      httpMethod: req.method,
    });
  };
  const assignmentId = (assignment: RoleAssignment) =>
    `${assignment.scope}/providers/Microsoft.Authorization/roleAssignments/${assignment.id}`;
  const assignmentDetails = (assignment: RoleAssignment) => ({
    roleDefinitionName: assignment.roleDefinitionName,
    principalId: assignment.principalId,
    principalName: directory.describe(assignment.principalId)?.displayName ?? "",
    scope: assignment.scope,
  });
  const functionKeyId = (name: string) =>
    `/subscriptions/${account().subscription.id}/resourceGroups/${account().resourceGroup}/providers/Microsoft.Web/sites/keyless-third-party/functions/RandomNumber/keys/${name}`;

  /** The service principal `az login` signed in, when the request is its (undefined: the developer's own az). */
  const actingAs = (res: Response) => res.locals["actingAs"] as Principal | undefined;
  /** Whether the caller may do `action` at `scope`: the developer may; a signed-in principal when its roles grant it (else 403). */
  const permits = (res: Response, action: string, scope: string): boolean => {
    const principal = actingAs(res);
    if (!principal || rbac.isAllowed(principal, action, scope)) return true;
    const answer = authorizationFailed(principal.objectId, action, scope);
    res.status(answer.status).json(answer.body);
    return false;
  };
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
  const siteScope = (name: string) =>
    `/subscriptions/${account().subscription.id}/resourceGroups/${account().resourceGroup}/providers/Microsoft.Web/sites/${name}`;

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
    if (category !== undefined && !isAuditCategory(category)) {
      return armError(res, 400, "InvalidParameter", `category must be one of ${AUDIT_CATEGORIES.join(", ")}.`);
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

  // `az webapp config appsettings list`: an app's settings, the identity's header or the client secret included.
  app.get("/webapps/:name/appsettings", (req, res) => {
    if (!permits(res, "Microsoft.Web/sites/config/list/action", siteScope(req.params.name))) return;
    try {
      res.json(
        Object.entries(options.appSettings(req.params.name)).map(([name, value]) => ({
          name,
          slotSetting: false,
          value,
        })),
      );
    } catch (error) {
      if (error instanceof Error && error.name === "AppNotFoundError") {
        return armError(
          res,
          404,
          "ResourceNotFound",
          `The Resource 'Microsoft.Web/sites/${req.params.name.slice(0, 64)}' under resource group '${account().resourceGroup}' was not found.`,
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

  app.get("/role-assignments", (_req, res) => {
    res.json(rbac.list().map(withPrincipal));
  });

  app.post("/role-assignments", (req, res) => {
    const assignee = stringField(req, "assignee") ?? "";
    const principal = directory.find(assignee);
    const role = stringField(req, "role") ?? "";
    const scope = stringField(req, "scope") ?? "";
    if (!principal) return armError(res, 400, "PrincipalNotFound", principalNotFound(assignee));
    if (!permits(res, "Microsoft.Authorization/roleAssignments/write", scope)) return;
    if (!scope.toLowerCase().startsWith(`/subscriptions/${account().subscription.id}`)) {
      return armError(
        res,
        400,
        "InvalidScope",
        `The scope '${scope}' is not valid: it must be inside /subscriptions/${account().subscription.id}.`,
      );
    }
    try {
      const created = rbac.add({ principalId: principal.objectId, principalType: principal.type, role, scope });
      res.status(201).json(withPrincipal(created));
      activity(req, "Microsoft.Authorization/roleAssignments/write", assignmentId(created), {
        ...assignmentDetails(created),
        effectiveFrom: new Date(created.effectiveFrom).toISOString(),
      });
    } catch (error) {
      if (error instanceof RoleNotFoundError) return armError(res, 404, "RoleDefinitionDoesNotExist", error.message);
      if (error instanceof RoleAssignmentExistsError) return armError(res, 409, "RoleAssignmentExists", error.message);
      throw error;
    }
  });

  app.delete("/role-assignments", (req, res) => {
    const assignee = stringField(req, "assignee");
    const principal = assignee ? directory.find(assignee) : undefined;
    if (assignee && !principal) return armError(res, 400, "PrincipalNotFound", principalNotFound(assignee));
    const role = stringField(req, "role");
    const scope = stringField(req, "scope");
    const id = stringField(req, "id");
    // As `az role assignment delete` does: no filter would delete every assignment, so it is refused.
    if (!principal && !role && !scope && !id) {
      return armError(
        res,
        400,
        "MissingFilter",
        "Specify --ids, or at least one of --assignee, --role and --scope: without a filter every role assignment would be deleted.",
      );
    }
    if (
      !permits(
        res,
        "Microsoft.Authorization/roleAssignments/delete",
        scope ?? `/subscriptions/${account().subscription.id}`,
      )
    )
      return;
    try {
      const removed = rbac.remove({
        ...(principal ? { principalId: principal.objectId } : {}),
        ...(role ? { role } : {}),
        ...(scope ? { scope } : {}),
        ...(id ? { id } : {}),
      });
      res.json(removed.map(withPrincipal));
      for (const assignment of removed)
        activity(
          req,
          "Microsoft.Authorization/roleAssignments/delete",
          assignmentId(assignment),
          assignmentDetails(assignment),
        );
    } catch (error) {
      if (error instanceof RoleNotFoundError) return armError(res, 404, "RoleDefinitionDoesNotExist", error.message);
      throw error;
    }
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

  app.get("/function-keys", (_req, res) => {
    if (!permits(res, "Microsoft.Web/sites/host/listkeys/action", siteScope("keyless-third-party"))) return;
    res.json(options.functionKeys.list());
  });
  app.put("/function-keys/:name", (req, res) => {
    if (!permits(res, "Microsoft.Web/sites/host/functionKeys/write", siteScope("keyless-third-party"))) return;
    const value = (req.body as { value?: unknown } | undefined)?.value;
    if (typeof value !== "string" || value.length < 16) {
      armError(res, 400, "BadRequest", "A function key value must be a string of at least 16 characters.");
      return;
    }
    options.functionKeys.set(req.params.name, value);
    activity(req, "Microsoft.Web/sites/functions/keys/write", functionKeyId(req.params.name), {
      keyName: req.params.name,
    });
    res.json({ name: req.params.name, value });
  });
  app.delete("/function-keys/:name", (req, res) => {
    if (!permits(res, "Microsoft.Web/sites/host/functionKeys/delete", siteScope("keyless-third-party"))) return;
    try {
      if (options.functionKeys.delete(req.params.name)) {
        res.json({ deleted: req.params.name });
        activity(req, "Microsoft.Web/sites/functions/keys/delete", functionKeyId(req.params.name), {
          keyName: req.params.name,
        });
      } else armError(res, 404, "NotFound", `No function key named ${req.params.name}.`);
    } catch (error) {
      armError(res, 400, "BadRequest", (error as Error).message);
    }
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
