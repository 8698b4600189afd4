/**
 * Azure Resource Manager, as far as the real Azure CLI needs it to sign in and
 * to run the workshop's commands:
 *
 * - `GET /metadata/endpoints`: the cloud's endpoints, which `az cloud register
 *   --endpoint-resource-manager` reads (as for Azure Stack Hub), anonymous;
 * - `GET /tenants` and `GET /subscriptions`: what `az login` lists once it has
 *   a token, then keeps as the profile's accounts;
 * - `GET /subscriptions/{id}` and the subscription's resource groups
 *   (`az account show --subscription`, `az group list/show`, `az rest`).
 *
 * Every request but the metadata needs a Microsoft Entra token for the
 * management resource, checked as every sandbox service checks tokens. A
 * caller sees the subscription, and a resource group, when a role assignment
 * in it names them, as Azure lists the subscriptions a principal has access to.
 */
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { AdminAccount } from "./admin.ts";
import type { Principal, TokenValidator } from "../../contracts.ts";
import type { ErrorAnswer } from "../../http/host.ts";
import { scopeCovers } from "../../roles.ts";
import type { RoleAssignments } from "../authorization/rbac.ts";
import * as errors from "../../arm/errors.ts";
import type { ResourceManager } from "../../arm/resourceManager.ts";
import { armRoutes } from "../../arm/routes.ts";
import { wholeRequestsOnly } from "../../http/host.ts";
import type { Deployments } from "./deployments.ts";

import { MANAGEMENT_AUDIENCES, MANAGEMENT_RESOURCE } from "./audiences.ts";

export { MANAGEMENT_AUDIENCES, MANAGEMENT_RESOURCE } from "./audiences.ts";

export interface ResourceManagerOptions {
  readonly tokens: TokenValidator;
  readonly rbac: Pick<RoleAssignments, "list">;
  /** The subscription, tenant, resource group and location. */
  readonly account: () => AdminAccount;
  /** `https://localhost:<port>`: Microsoft Entra ID. */
  readonly authorityHost: () => string;
  /** `https://localhost:<port>`: this service, once it listens. */
  readonly url: () => string;
  /** `https://localhost:<port>`: Microsoft Graph, the cloud's microsoftGraphResourceId (what `az ad` commands call). */
  readonly graphUrl?: () => string;
  readonly issuer: string;
  /** The tenant's domain, as `GET /tenants` names it. */
  readonly domain: string;
  /** The control plane every resource goes through. */
  readonly arm: ResourceManager;
  readonly deployments: Deployments;
}

const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha)?$/;

export function createResourceManager(options: ResourceManagerOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.set("case sensitive routing", false);
  const send = (res: Response, answer: ErrorAnswer) => {
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    res.status(answer.status).json(answer.body);
  };
  const principalOf = (res: Response) => res.locals["principal"] as Principal;

  // `az cloud register --endpoint-resource-manager https://localhost:8447/` appends `/metadata/...` to the slash: ARM reads `//x` as `/x`.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.url.startsWith("//")) req.url = req.url.replace(/^\/+/, "/");
    next();
  });

  // The cloud's endpoints, anonymous. api-version 2015-01-01 (what az's `cloud register` reads) answers one cloud;
  // the newer versions answer a list of clouds, as management.azure.com does.
  app.get("/metadata/endpoints", (req: Request, res: Response) => {
    const authority = `${options.authorityHost()}/adfs`;
    // With its trailing slash, as the Azure CLI's clouds have it: its Graph client asks tokens for `<it>.default`.
    const graph = options.graphUrl ? `${options.graphUrl()}/` : undefined;
    const version = typeof req.query["api-version"] === "string" ? req.query["api-version"] : "";
    if (version === "" || version === "1.0" || version === "2015-01-01") {
      res.json({
        galleryEndpoint: "",
        graphEndpoint: "https://graph.localhost/",
        portalEndpoint: "",
        authentication: { loginEndpoint: authority, audiences: [`${MANAGEMENT_RESOURCE}/`] },
        ...(graph ? { microsoftGraphResourceId: graph } : {}),
      });
      return;
    }
    res.json([
      {
        name: "KeylessSandbox",
        resourceManager: `${options.url()}/`,
        authentication: {
          loginEndpoint: authority,
          audiences: [`${MANAGEMENT_RESOURCE}/`],
          tenant: "adfs",
          identityProvider: "ADFS",
        },
        suffixes: { keyVaultDns: "vault.localhost" },
        ...(graph ? { microsoftGraphResourceId: graph } : {}),
      },
    ]);
  });

  // 1. Authentication: a token for the management resource.
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const authorization = req.headers.authorization;
    const expected = {
      audiences: MANAGEMENT_AUDIENCES,
      issuer: options.issuer,
      tenantId: options.account().tenantId,
      authority: `${options.authorityHost()}/adfs`,
    };
    if (!authorization)
      return send(res, errors.authenticationFailed({ ok: false, problem: "missing", reason: "" }, expected));
    let check = await options.tokens.validate(authorization, MANAGEMENT_RESOURCE);
    if (
      !check.ok &&
      check.problem === "audience" &&
      check.found !== undefined &&
      MANAGEMENT_AUDIENCES.includes(check.found)
    )
      check = await options.tokens.validate(authorization, check.found);
    if (!check.ok) return send(res, errors.authenticationFailed(check, expected));
    // 2. Every ARM request names its api-version.
    const version = req.query["api-version"];
    if (typeof version !== "string" || version === "") return send(res, errors.missingApiVersion());
    if (!API_VERSION.test(version)) return send(res, errors.invalidApiVersion(version));
    res.locals["principal"] = check.principal;
    next();
  });

  /** Whether a role assignment of the caller (in effect or propagating) lies in this scope or above it. */
  const visible = (principal: Principal, scope: string) =>
    options.rbac
      .list({ principalId: principal.objectId })
      .some((assignment) => scopeCovers(scope, assignment.scope) || scopeCovers(assignment.scope, scope));

  const subscriptionOf = () => {
    const account = options.account();
    return {
      id: `/subscriptions/${account.subscription.id}`,
      authorizationSource: "RoleBased",
      managedByTenants: [],
      subscriptionId: account.subscription.id,
      tenantId: account.tenantId,
      displayName: account.subscription.name,
      state: "Enabled",
      subscriptionPolicies: {
        locationPlacementId: "Public_2014-09-01",
        quotaId: "PayAsYouGo_2014-09-01",
        spendingLimit: "Off",
      },
    };
  };
  const isSubscription = (id: unknown) =>
    typeof id === "string" && id.toLowerCase() === options.account().subscription.id.toLowerCase();

  app.get("/tenants", (_req: Request, res: Response) => {
    const { tenantId, subscription } = options.account();
    res.json({
      value: [
        {
          id: `/tenants/${tenantId}`,
          tenantId,
          tenantCategory: "Home",
          displayName: subscription.name,
          domains: [options.domain],
          defaultDomain: options.domain,
          tenantType: "AAD",
        },
      ],
    });
  });

  app.get("/subscriptions", (_req: Request, res: Response) => {
    const subscription = subscriptionOf();
    const value = visible(principalOf(res), subscription.id) ? [subscription] : [];
    res.json({ value, count: { type: "Total", value: value.length } });
  });

  app.get("/subscriptions/:subscription", (req: Request, res: Response) => {
    const subscription = subscriptionOf();
    if (!isSubscription(req.params["subscription"]) || !visible(principalOf(res), subscription.id))
      return send(res, errors.subscriptionNotFound(String(req.params["subscription"])));
    res.json(subscription);
  });

  // Every resource, whatever its provider: resource groups, vaults, sites, role assignments, deployments.
  // Bodies are read as text: ARM reads JSON leniently, and the Azure CLI sends templates as their own text (requestBody.ts).
  app.use(
    express.text({ type: () => true, limit: "4mb" }),
    wholeRequestsOnly(errors.resourceManagerErrors),
    armRoutes(options.arm, options.deployments),
  );

  return app;
}
