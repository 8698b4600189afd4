/**
 * The managed identity endpoint of Azure App Service. App Service sets
 * IDENTITY_ENDPOINT and IDENTITY_HEADER in every app whose identity is on;
 * the app asks that endpoint (on the same machine) for a token, proving it is
 * that app with the header's value. No secret is ever configured by anyone.
 */
import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import type { Directory } from "../directory.ts";
import type { ErrorAnswer, ServiceErrors } from "../http/host.ts";
import type { TokenIssuer } from "./tokens.ts";
import { resourceOfScope, secretsEqual } from "./tokenService.ts";

/** App Service's error shape: {"statusCode", "message", "correlationId"}; MSAL shows the message. */
const failure = (statusCode: number, message: string): ErrorAnswer => ({ status: statusCode, body: { statusCode, message, correlationId: randomUUID() } });

/** What the host answers for the identity endpoint when a request never reaches its route. */
export const managedIdentityErrors: ServiceErrors = {
  notFound: () => failure(404, "Not found: the managed identity endpoint is IDENTITY_ENDPOINT itself (GET, with api-version and resource)."),
  badRequest: () => failure(400, "Bad request: the request could not be read."),
  internal: () => failure(500, "An unexpected error occurred while fetching the token."),
};

export function createManagedIdentityEndpoint(options: {
  readonly issuer: TokenIssuer;
  readonly directory: Directory;
  readonly resources: readonly string[];
}): Express {
  const { issuer, directory, resources } = options;
  const app = express();
  app.disable("x-powered-by");

  const fail = (res: express.Response, statusCode: number, message: string) => res.status(statusCode).json(failure(statusCode, message).body);

  app.get("/msi/token", async (req, res) => {
    const header = req.get("x-identity-header") ?? "";
    const identity = [...directory.apps.values()].find((candidate) => secretsEqual(header, candidate.identityHeader));
    if (!identity) {
      fail(res, 401, "Unauthorized: the X-IDENTITY-HEADER is missing or does not match this app's IDENTITY_HEADER (sandbox hint: use the IDENTITY_HEADER App Service gave this app).");
      return;
    }
    if (req.query["api-version"] !== "2019-08-01") {
      fail(res, 400, `Unsupported api-version '${String(req.query["api-version"])}'. Use 2019-08-01.`);
      return;
    }
    // A user-assigned identity is picked by client id, object (principal) id or resource id; this
    // sandbox's apps have only their system-assigned identity, so only its own ids match.
    const picked = { client_id: identity.appId, principal_id: identity.objectId, object_id: identity.objectId, mi_res_id: undefined };
    for (const [name, own] of Object.entries(picked)) {
      const wanted = req.query[name];
      if (typeof wanted === "string" && wanted.toLowerCase() !== own) {
        fail(res, 400, `Unable to load the proper Managed Identity. (sandbox hint: app ${identity.displayName} has no identity with ${name} ${wanted}.)`);
        return;
      }
    }
    const resource = resourceOfScope(String(req.query["resource"] ?? ""));
    if (!resources.includes(resource)) {
      fail(res, 400, `AADSTS500011: The resource principal named ${resource || "(none)"} was not found in the tenant named ${issuer.tenantId}.`);
      return;
    }
    const accessToken = await issuer.issue({ audience: resource, objectId: identity.objectId, ...(identity.appId ? { appId: identity.appId } : {}) });
    res.json({
      access_token: accessToken,
      expires_on: Math.floor(Date.now() / 1000) + issuer.defaultLifetimeSeconds,
      resource,
      token_type: "Bearer",
      client_id: identity.appId,
    });
  });

  return app;
}
