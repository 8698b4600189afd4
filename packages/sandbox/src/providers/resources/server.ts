/**
 * Azure Resource Manager: the cloud's endpoints, tenants, subscriptions and
 * every resource of every provider (resourceManager.ts, arm/routes.ts), behind
 * tokens for the management resource, for the real Azure CLI and the sandbox's
 * own alike; and under /_sandbox, the admin API for what has no Azure REST API
 * here (the developer's `az login` token, Graph's stand-in, the audit log, a
 * reset: admin.ts), guarded by a random key only `.sandbox/endpoints.json` holds.
 */
import { randomBytes } from "node:crypto";
import express from "express";
import { resourceManagerErrors } from "../../arm/errors.ts";
import { closing, host } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { createAdminApi } from "./admin.ts";
import { type Deployments, deployments } from "./deployments.ts";
import { createResourceManager } from "./resourceManager.ts";
import { resourcesTypes } from "./resourceTypes.ts";

export interface ResourcesRunning extends RunningProvider {
  /** Template deployments: what `az deployment group create` and provisioning run. */
  readonly deployments: Deployments;
  /** Resource Manager's endpoint: what `az cloud register --endpoint-resource-manager` names. */
  readonly url: string;
  /** The sandbox's own `az`'s admin API and its key. */
  readonly admin: { readonly url: string; readonly key: string };
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly resources: ResourcesRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<ResourcesRunning> {
    context.arm.register(
      ...resourcesTypes({
        resources: context.resourceStore,
        subscription: () => ({
          id: context.tenant.subscription.id,
          name: context.tenant.subscription.name,
          tenantId: context.tenant.tenant.id,
        }),
      }),
    );
    let url = "";
    const deploymentsApi = deployments({
      arm: context.arm,
      resources: context.resourceStore,
      tenantId: context.tenant.tenant.id,
      subscription: () => ({ id: context.tenant.subscription.id, name: context.tenant.subscription.name }),
      environment: () => ({
        name: "KeylessSandbox",
        resourceManager: `${url}/`,
        authentication: { loginEndpoint: `${context.authorityHost()}/`, tenant: context.tenant.tenant.alias },
        suffixes: { keyvaultDns: ".vault.localhost", storage: "localhost" },
      }),
    });
    context.arm.register(...deploymentsApi.handlers);
    const key = randomBytes(24).toString("base64url");
    const app = express();
    app.disable("x-powered-by");
    app.use(
      "/_sandbox",
      createAdminApi({
        key,
        issuer: context.tokens,
        directory: context.directory,
        rbac: context.rbac,
        resources: context.resources,
        account: () => context.account(),
        reset: () => context.resetAll(),
        environment: (app) => context.siteEnvironment(app),
        audit: context.audit,
        tokens: context.tokens.validator(),
      }),
    );
    app.use(
      createResourceManager({
        tokens: context.tokens.validator(),
        rbac: context.rbac,
        account: () => context.account(),
        authorityHost: () => context.authorityHost(),
        url: () => url,
        graphUrl: () => context.running.entra.graphUrl,
        issuer: context.tokens.issuer,
        domain: context.tenant.users[0]?.userPrincipalName.split("@")[1] ?? "keyless.local",
        arm: context.arm,
        deployments: deploymentsApi,
      }),
    );
    const service = await host(app, {
      name: "Azure Resource Manager",
      errors: resourceManagerErrors,
      tls: { cert: context.certificates.certPem, key: context.certificates.keyPem },
      port: context.ports.management,
    });
    url = `https://localhost:${service.port}`;
    return { url, admin: { url: `${url}/_sandbox`, key }, deployments: deploymentsApi, stop: closing(service) };
  },
};
