/**
 * The managed identity endpoint of Azure Container Apps: the same protocol as
 * App Service's (IDENTITY_ENDPOINT, IDENTITY_HEADER, api-version 2019-08-01),
 * served on each replica at http://localhost:42356/msi/token. A container app
 * here has only its user-assigned identities, so the app names the one it
 * wants by client id: `DefaultAzureCredential` sends AZURE_CLIENT_ID, which the
 * app's author sets as an environment variable of the container.
 */
import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import type { AuditSink } from "../../audit/log.ts";
import type { Directory } from "../entra/directory.ts";
import { secretsEqual, type ErrorAnswer, type ServiceErrors } from "../../http/host.ts";
import { apiVersionAtLeast, recordManagedIdentitySignIn, selectIdentity, type HostIdentity } from "./hostIdentity.ts";
import type { TokenIssuer } from "../entra/tokens.ts";
import { resourceOfScope, tokenIdOf } from "../entra/tokenRequests.ts";

/** Container Apps' token errors: App Service's shape, {"statusCode", "message", "correlationId"}. */
const failure = (statusCode: number, message: string) => ({ statusCode, message, correlationId: randomUUID() });

/** Kestrel answers what reaches no route, and a wrong X-IDENTITY-HEADER, with a bare status and no body. */
const bare = (status: number): ErrorAnswer => ({ status, body: "" });

/** What the host answers for the Container Apps identity endpoint when a request never reaches its route. */
export const containerAppsIdentityErrors: ServiceErrors = {
  notFound: () => bare(404),
  badRequest: () => bare(400),
  internal: () => bare(500),
};

export interface ContainerAppsIdentity {
  readonly app: Express;
  /** The IDENTITY_HEADER of each container app, by app name: the platform gives each its own. */
  headerOf(appName: string): string;
}

export function createContainerAppsIdentityEndpoint(options: {
  readonly issuer: TokenIssuer;
  readonly directory: Directory;
  readonly resources: readonly string[];
  /** The apps that can run as container apps: those with user-assigned identities (asked again as sites change). */
  readonly apps: () => readonly string[];
  readonly audit?: AuditSink;
}): ContainerAppsIdentity {
  const { issuer, directory, resources } = options;
  /** Each container app's IDENTITY_HEADER, made the first time it is asked for (a secret of that app's). */
  const headers = new Map<string, string>();
  const app = express();
  app.disable("x-powered-by");

  app.get("/msi/token", async (req, res) => {
    const started = performance.now();
    const header = req.get("x-identity-header") ?? "";
    const caller = [...headers].find(([, value]) => secretsEqual(header, value))?.[0];
    if (!caller) {
      // Container Apps refuses a missing or wrong header before anything else: 403, no body.
      res.status(403).end();
      recordManagedIdentitySignIn(
        options.audit,
        req,
        {
          status: 403,
          failureReason: "The X-IDENTITY-HEADER is missing or is not this container app's IDENTITY_HEADER.",
        },
        started,
      );
      return;
    }
    const refuse = (status: number, message: string, identity?: HostIdentity) => {
      res.status(status).json(failure(status, message));
      recordManagedIdentitySignIn(
        options.audit,
        req,
        { status, ...(identity ? { identity } : {}), failureReason: message.split(" (sandbox hint")[0] ?? message },
        started,
      );
    };
    if (!apiVersionAtLeast(req.query["api-version"], "2019-08-01")) {
      refuse(
        400,
        `Unsupported api-version '${String(req.query["api-version"]).slice(0, 32)}'. Use 2019-08-01 or later.`,
      );
      return;
    }
    const selection = selectIdentity(req.query, { userAssigned: directory.userAssignedOf(caller) }, "appService");
    if (!selection.ok) {
      refuse(
        400,
        `Unable to load the proper Managed Identity. (sandbox hint: container app ${caller}: ${selection.detail}.)`,
      );
      return;
    }
    const identity = selection.identity;
    const resource = resourceOfScope(String(req.query["resource"] ?? ""));
    if (!resources.includes(resource)) {
      refuse(
        400,
        `AADSTS500011: The resource principal named ${resource.slice(0, 256) || "(none)"} was not found in the tenant named ${issuer.tenantId}.`,
        identity,
      );
      return;
    }
    const accessToken = await issuer.issue({ audience: resource, objectId: identity.objectId, appId: identity.appId });
    const expiresOn = Math.floor(Date.now() / 1000) + issuer.defaultLifetimeSeconds;
    res.json({
      access_token: accessToken,
      expires_on: String(expiresOn),
      resource,
      token_type: "Bearer",
      client_id: identity.appId,
    });
    const tokenId = tokenIdOf(accessToken);
    recordManagedIdentitySignIn(
      options.audit,
      req,
      { status: 200, identity, resource, ...(tokenId ? { tokenId } : {}) },
      started,
    );
  });

  return {
    app,
    headerOf(appName) {
      if (!options.apps().includes(appName))
        throw new Error(`${appName} has no user-assigned identity, so it cannot run on Container Apps here.`);
      let header = headers.get(appName);
      if (!header) {
        header = randomUUID();
        headers.set(appName, header);
      }
      return header;
    },
  };
}
