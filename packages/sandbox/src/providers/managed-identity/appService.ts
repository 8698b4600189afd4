/**
 * The managed identity endpoint of Azure App Service. App Service sets
 * IDENTITY_ENDPOINT and IDENTITY_HEADER in every app whose identity is on;
 * the app asks that endpoint (on the same machine) for a token, proving it is
 * that app with the header's value. No secret is ever configured by anyone.
 */
import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import type { AuditSink } from "../../audit/log.ts";
import type { Directory, DirectoryEntry } from "../entra/directory.ts";
import { secretsEqual, type ErrorAnswer, type ServiceErrors } from "../../http/host.ts";
import type { TokenIssuer } from "../entra/tokens.ts";
import { recordManagedIdentitySignIn, selectIdentity } from "./hostIdentity.ts";
import { resourceOfScope, tokenIdOf } from "../entra/tokenRequests.ts";

/** App Service's error shape: {"statusCode", "message", "correlationId"}; MSAL shows the message. */
const failure = (statusCode: number, message: string): ErrorAnswer & { body: object } => ({
  status: statusCode,
  body: { statusCode, message, correlationId: randomUUID() },
});

/** What the host answers for the identity endpoint when a request never reaches its route. */
export const managedIdentityErrors: ServiceErrors = {
  notFound: () =>
    failure(
      404,
      "Not found: the managed identity endpoint is IDENTITY_ENDPOINT itself (GET, with api-version and resource).",
    ),
  badRequest: () => failure(400, "Bad request: the request could not be read."),
  internal: () => failure(500, "An unexpected error occurred while fetching the token."),
};

export function createManagedIdentityEndpoint(options: {
  readonly issuer: TokenIssuer;
  readonly directory: Directory;
  readonly resources: readonly string[];
  /** Where each token request is recorded. */
  readonly audit?: AuditSink;
}): Express {
  const { issuer, directory, resources } = options;
  const app = express();
  app.disable("x-powered-by");

  /** App Service's checks, in its order: the header proves which app asks, then what it asks for. */
  async function answer(
    req: express.Request,
  ): Promise<{ status: number; body: object; identity?: DirectoryEntry; resource?: string; tokenId?: string }> {
    const header = req.get("x-identity-header") ?? "";
    const identity = [...directory.apps.values()].find((candidate) => secretsEqual(header, candidate.identityHeader));
    const fail = (statusCode: number, message: string) => ({
      status: statusCode,
      body: failure(statusCode, message).body,
      ...(identity ? { identity } : {}),
    });
    if (!identity) {
      return fail(
        401,
        "Unauthorized: the X-IDENTITY-HEADER is missing or does not match this app's IDENTITY_HEADER (sandbox hint: use the IDENTITY_HEADER App Service gave this app).",
      );
    }
    if (req.query["api-version"] !== "2019-08-01")
      return fail(400, `Unsupported api-version '${String(req.query["api-version"])}'. Use 2019-08-01.`);
    // The app's system-assigned identity, unless the request names one of its user-assigned identities.
    const attached = {
      systemAssigned: { ...identity, appId: identity.appId ?? "" },
      userAssigned: directory.userAssignedOf(identity.displayName),
    };
    const selection = selectIdentity(req.query, attached, "appService");
    if (!selection.ok)
      return fail(
        400,
        `Unable to load the proper Managed Identity. (sandbox hint: app ${identity.displayName}: ${selection.detail}.)`,
      );
    const selected = selection.identity;
    const resource = resourceOfScope(String(req.query["resource"] ?? ""));
    if (!resources.includes(resource))
      return fail(
        400,
        `AADSTS500011: The resource principal named ${resource.slice(0, 256) || "(none)"} was not found in the tenant named ${issuer.tenantId}.`,
      );
    const accessToken = await issuer.issue({ audience: resource, objectId: selected.objectId, appId: selected.appId });
    const body = {
      access_token: accessToken,
      expires_on: Math.floor(Date.now() / 1000) + issuer.defaultLifetimeSeconds,
      resource,
      token_type: "Bearer",
      client_id: selected.appId,
    };
    const tokenId = tokenIdOf(accessToken);
    return { status: 200, body, identity: selected, resource, ...(tokenId ? { tokenId } : {}) };
  }

  app.get("/msi/token", async (req, res) => {
    const started = performance.now();
    const outcome = await answer(req);
    res.status(outcome.status).json(outcome.body);
    const message = (outcome.body as { message?: unknown }).message;
    recordManagedIdentitySignIn(
      options.audit,
      req,
      {
        status: outcome.status,
        ...(outcome.identity ? { identity: { ...outcome.identity, appId: outcome.identity.appId ?? "" } } : {}),
        ...(outcome.resource ? { resource: outcome.resource } : {}),
        ...(outcome.tokenId ? { tokenId: outcome.tokenId } : {}),
        ...(typeof message === "string" ? { failureReason: message.split(" (sandbox hint")[0] ?? message } : {}),
      },
      started,
    );
  });

  return app;
}
