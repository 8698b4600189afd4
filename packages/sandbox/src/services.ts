/**
 * The registry of the sandbox's Azure services: each one its audience (the
 * resource its tokens name), its built-in roles, its part of the seed, and how
 * it starts, resets and stops. `startSandbox` starts them in this order; a new
 * service is one more entry here and one folder beside the others.
 */
import { randomBytes } from "node:crypto";
import { startThirdPartyApi } from "@keyless/third-party-api";
import express from "express";
import { createAdminApi, type AdminAccount } from "./admin.ts";
import { resourceManagerErrors } from "./arm/errors.ts";
import { MANAGEMENT_RESOURCE, createResourceManager } from "./arm/service.ts";
import type { AuditLog } from "./audit/log.ts";
import type { Certificates } from "./ca.ts";
import type { Directory } from "./directory.ts";
import { FunctionKeys } from "./functionKeys.ts";
import { host, type HostedService } from "./http/host.ts";
import { entraErrors } from "./identity/entraErrors.ts";
import { containerAppsIdentityErrors, createContainerAppsIdentityEndpoint } from "./identity/containerApps.ts";
import { createImdsEndpoint, imdsErrors, IMDS_TOKEN_PATH } from "./identity/imds.ts";
import { KubernetesCluster, ProjectedTokens, clusterIssuerErrors } from "./identity/kubernetes.ts";
import { createManagedIdentityEndpoint, managedIdentityErrors } from "./identity/managedIdentity.ts";
import { createTokenService } from "./identity/tokenService.ts";
import type { TokenIssuer } from "./identity/tokens.ts";
import { KEY_VAULT_ROLES } from "./keyvault/roles.ts";
import { keyVaultErrors } from "./keyvault/errors.ts";
import { VAULT_RESOURCE, createKeyVault, vaultResourceOf } from "./keyvault/service.ts";
import { SecretStore } from "./keyvault/store.ts";
import { STORAGE_RESOURCE, startQueueService, type QueueService } from "./queue/index.ts";
import { QUEUE_ROLES } from "./queue/roles.ts";
import type { RoleAssignments, RoleDefinition } from "./rbac.ts";
import type { Seed } from "./seed.ts";
import type { StateStore } from "./state/store.ts";
import { SpanStore, collectorErrors, createCollector } from "./telemetry/collector.ts";

/** The ports the services listen on (0: any free port). */
export interface SandboxPorts {
  readonly thirdParty: number;
  readonly login: number;
  readonly management: number;
  readonly identity: number;
  readonly vault: number;
  readonly queue: number;
  /** The OpenTelemetry collector (OTLP/HTTP); any free port when not given. */
  readonly telemetry?: number;
  /** Container Apps' managed identity endpoint (42356 on Azure); any free port when not given. */
  readonly containerApps?: number;
  /** The VM's IMDS (169.254.169.254:80 on Azure); any free port when not given. */
  readonly imds?: number;
  /** The AKS cluster's OIDC issuer; any free port when not given. */
  readonly cluster?: number;
}

/** The ARM resource ids of the sandbox's resources, for role assignment scopes. */
export interface SandboxScopes {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly vault: string;
  readonly storageAccount: string;
  queue(name: string): string;
}

/** What every service starts with: the seed, the shared parts of Entra ID and RBAC, and where the others answer. */
export interface ServiceContext {
  readonly seed: Seed;
  readonly scopes: SandboxScopes;
  readonly certificates: Certificates;
  readonly tokens: TokenIssuer;
  readonly directory: Directory;
  readonly rbac: RoleAssignments;
  readonly stateDir: string;
  /** The sandbox's state (`<stateDir>/state.db`): what a service keeps there outlives a restart and a kill. */
  readonly state: StateStore;
  readonly ports: SandboxPorts;
  /** Every resource a token can be asked for: the audiences of the services below (and those `addResource` adds). */
  readonly resources: readonly string[];
  /** One more audience, known once a service listens: the vault's resource carries its port (see keyvault/service.ts). */
  addResource(resource: string): void;
  /** `https://localhost:<port>`: Microsoft Entra ID, once it listens. */
  authorityHost(): string;
  /** The whole sandbox back to its seed (Resource Manager offers it to `az`). */
  resetAll(): Promise<void>;
  /** What `az account show` and friends describe. */
  account(): AdminAccount;
  /** An app's application settings. */
  appSettings(app: string): Record<string, string>;
  /** A sentence for whoever runs the sandbox: a service went down or came back. */
  onEvent(text: string): void;
  /** The services started so far, by name. */
  readonly running: RunningServices;
  /** Every sign-in and data-plane request, as Azure's logs would show them. */
  readonly audit: AuditLog;
}

export interface RunningService {
  /** Back to this service's part of the seed. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** One Azure service of the sandbox. */
export interface SandboxService<Running extends RunningService = RunningService> {
  readonly name: string;
  /** The audience of the tokens callers need for it, when it takes tokens. */
  readonly resource?: string;
  /** Its built-in roles (data actions), which role assignments can grant. */
  readonly roles: readonly RoleDefinition[];
  start(context: ServiceContext): Promise<Running>;
}

/** A service a fault test can take down and bring back, its state and port kept. */
export interface Interruptible {
  /** Stops answering: callers get "connection refused", as from a service that is down. */
  takeDown(): Promise<void>;
  /** Answers again, on the same port. */
  bringBack(): Promise<void>;
}

const interruptible = (service: HostedService): Interruptible => ({
  takeDown: () => service.close(),
  bringBack: () => service.reopen(),
});

const tls = (context: ServiceContext) => ({ cert: context.certificates.certPem, key: context.certificates.keyPem });
const stopping =
  (...services: HostedService[]) =>
  async () =>
    void (await Promise.all(services.map((service) => service.close())));

/** The scenario's third party: an Azure Function that wants its key in `x-functions-key`. */
const thirdParty = {
  name: "Third-party API (Azure Functions)",
  roles: [],
  async start(context: ServiceContext) {
    const api = await startThirdPartyApi({ keys: context.seed.thirdParty.keys, port: context.ports.thirdParty });
    return {
      api,
      functionKeys: new FunctionKeys(api),
      reset: async () => {
        api.setKeys(context.seed.thirdParty.keys);
        api.setFault(null);
        await api.start();
      },
      stop: () => api.stop(),
    };
  },
} satisfies SandboxService;

/**
 * Microsoft Entra ID: OpenID configuration, signing keys and the token endpoint
 * (client credentials). It answers to the tenant's GUID and to `adfs`.
 */
const entraId = {
  name: "Microsoft Entra ID",
  roles: [],
  async start(context: ServiceContext) {
    const service = await host(
      createTokenService({
        issuer: context.tokens,
        directory: context.directory,
        resources: context.resources,
        authorityHost: () => context.authorityHost(),
        tenantAlias: context.seed.tenant.alias,
        audit: context.audit,
        users: context.seed.users,
        // The cluster starts after Entra ID: it is looked up when an assertion comes.
        federation: {
          clusterIssuer: (name) =>
            context.running.kubernetes?.cluster.name === name
              ? context.running.kubernetes.cluster.issuerUrl
              : undefined,
          keysOf: (issuerUrl) =>
            context.running.kubernetes?.cluster.issuerUrl === issuerUrl
              ? context.running.kubernetes.cluster.jwks()
              : undefined,
        },
      }),
      { name: "Microsoft Entra ID", errors: entraErrors, tls: tls(context), port: context.ports.login },
    );
    return {
      url: `https://localhost:${service.port}`,
      reset: async () => {},
      stop: stopping(service),
      ...interruptible(service),
    };
  },
} satisfies SandboxService;

/**
 * Azure Resource Manager: what the real Azure CLI needs to sign in and run the
 * workshop's commands (arm/service.ts: the cloud's endpoints, tenants,
 * subscriptions, resource groups), behind tokens for the management resource;
 * and under /_sandbox, the sandbox's own `az`'s admin API (role assignments, the
 * identities, the developer's `az login` token, the third party's function
 * keys), guarded by a random key only `.sandbox/endpoints.json` holds.
 */
const resourceManager = {
  name: "Azure Resource Manager",
  resource: MANAGEMENT_RESOURCE,
  roles: [],
  async start(context: ServiceContext) {
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
        appSettings: (app) => context.appSettings(app),
        functionKeys: context.running.thirdParty.functionKeys,
        audit: context.audit,
      }),
    );
    let url = "";
    app.use(
      createResourceManager({
        tokens: context.tokens.validator(),
        rbac: context.rbac,
        account: () => context.account(),
        authorityHost: () => context.authorityHost(),
        url: () => url,
        issuer: context.tokens.issuer,
        domain: context.seed.users[0]?.userPrincipalName.split("@")[1] ?? "keyless.local",
      }),
    );
    const service = await host(app, {
      name: "Azure Resource Manager",
      errors: resourceManagerErrors,
      tls: tls(context),
      port: context.ports.management,
    });
    url = `https://localhost:${service.port}`;
    return { url, admin: { url: `${url}/_sandbox`, key }, reset: async () => {}, stop: stopping(service) };
  },
} satisfies SandboxService;

/** App Service's managed identity endpoint: plain HTTP on the app's own machine, as on Azure. */
const managedIdentity = {
  name: "Managed identity (App Service)",
  roles: [],
  async start(context: ServiceContext) {
    const service = await host(
      createManagedIdentityEndpoint({
        issuer: context.tokens,
        directory: context.directory,
        resources: context.resources,
        audit: context.audit,
      }),
      {
        name: "Managed identity endpoint",
        errors: managedIdentityErrors,
        port: context.ports.identity,
      },
    );
    return {
      endpoint: `http://127.0.0.1:${service.port}/msi/token`,
      reset: async () => {},
      stop: stopping(service),
      ...interruptible(service),
    };
  },
} satisfies SandboxService;

/** The apps that can run on the other hosts: those with a user-assigned identity to sign in as. */
const appsWithUserAssignedIdentities = (seed: Seed) =>
  seed.apps.filter((app) => (app.userAssignedIdentities ?? []).length > 0).map((app) => app.name);

/** Container Apps' managed identity endpoint: App Service's protocol, each container app with its own header and its user-assigned identities. */
const containerAppsIdentity = {
  name: "Managed identity (Container Apps)",
  roles: [],
  async start(context: ServiceContext) {
    const endpoint = createContainerAppsIdentityEndpoint({
      issuer: context.tokens,
      directory: context.directory,
      resources: context.resources,
      apps: appsWithUserAssignedIdentities(context.seed),
      audit: context.audit,
    });
    const service = await host(endpoint.app, {
      name: "Container Apps identity endpoint",
      errors: containerAppsIdentityErrors,
      port: context.ports.containerApps ?? 0,
    });
    return {
      endpoint: `http://127.0.0.1:${service.port}/msi/token`,
      headerOf: endpoint.headerOf,
      reset: async () => {},
      stop: stopping(service),
    };
  },
} satisfies SandboxService;

/** A virtual machine's Instance Metadata Service: tokens for the VM's identities, to any process that sends `Metadata: true`. */
const imds = {
  name: "Instance Metadata Service (virtual machine)",
  roles: [],
  async start(context: ServiceContext) {
    const vm = context.seed.hosts?.virtualMachine ?? { name: "keyless-vm", userAssignedIdentities: [] };
    const service = await host(
      createImdsEndpoint({
        issuer: context.tokens,
        directory: context.directory,
        resources: context.resources,
        vm,
        audit: context.audit,
      }),
      {
        name: "IMDS",
        errors: imdsErrors,
        port: context.ports.imds ?? 0,
      },
    );
    const address = `http://127.0.0.1:${service.port}`;
    return {
      vm: vm.name,
      address,
      endpoint: `${address}${IMDS_TOKEN_PATH}`,
      reset: async () => {},
      stop: stopping(service),
    };
  },
} satisfies SandboxService;

/** The AKS cluster's OIDC issuer, and the service-account tokens it projects into the apps' pods (workload identity). */
const kubernetes = {
  name: "AKS cluster (workload identity)",
  roles: [],
  async start(context: ServiceContext) {
    const seed = context.seed.hosts?.kubernetesCluster ?? {
      name: "keyless-aks",
      oidcIssuerId: context.seed.tenant.id,
      namespace: "keyless",
    };
    const cluster = new KubernetesCluster({ ...seed, tenantId: context.seed.tenant.id });
    const service = await host(cluster.issuerApp(), {
      name: "AKS OIDC issuer",
      errors: clusterIssuerErrors,
      tls: tls(context),
      port: context.ports.cluster ?? 0,
    });
    cluster.listensAt(`https://localhost:${service.port}`);
    const tokens = new ProjectedTokens(cluster, context.stateDir);
    return {
      cluster,
      tokenFile: (app: string) => tokens.fileFor(app),
      reset: async () => {},
      stop: async () => {
        tokens.stop();
        await service.close();
      },
    };
  },
} satisfies SandboxService;

/** Azure Key Vault's secrets, behind Microsoft Entra tokens and Azure RBAC. */
const keyVault = {
  name: "Azure Key Vault",
  resource: VAULT_RESOURCE,
  roles: KEY_VAULT_ROLES,
  async start(context: ServiceContext) {
    const { seed, scopes } = context;
    const secrets = new SecretStore();
    let url = "";
    const service = await host(
      createKeyVault({
        name: seed.keyVault.name,
        store: secrets,
        resourceId: scopes.vault,
        location: seed.subscription.location,
        tokens: context.tokens.validator(),
        rbac: context.rbac,
        authority: () => `${context.authorityHost()}/${seed.tenant.alias}`,
        issuer: context.tokens.issuer,
        vaultUrl: () => url,
        audit: context.audit,
      }),
      { name: "Azure Key Vault", errors: keyVaultErrors, tls: tls(context), port: context.ports.vault },
    );
    url = `https://${seed.keyVault.name}.vault.localhost:${service.port}`;
    context.addResource(vaultResourceOf(url));
    const reset = async () => {
      secrets.clear();
      for (const [name, value] of Object.entries(seed.keyVault.secrets)) secrets.set(name, { value });
    };
    await reset();
    return { url, secrets, reset, stop: stopping(service), ...interruptible(service) };
  },
} satisfies SandboxService;

/** Queue Storage: its queues in the state store, behind a gateway that checks tokens and roles as Azure does. */
const queueStorage = {
  name: "Azure Queue Storage",
  resource: STORAGE_RESOURCE,
  roles: QUEUE_ROLES,
  async start(context: ServiceContext): Promise<{ queue: QueueService } & RunningService & Interruptible> {
    const { seed } = context;
    const queue = await startQueueService({
      certificates: context.certificates,
      tokens: context.tokens.validator(),
      rbac: context.rbac,
      accountScope: context.scopes.storageAccount,
      account: seed.storage.account,
      queues: seed.storage.queues,
      authority: () => `${context.authorityHost()}/${seed.tenant.id}`,
      state: context.state,
      port: context.ports.queue,
      audit: context.audit,
    });
    return {
      queue,
      reset: () => queue.reset(),
      stop: () => queue.stop(),
      takeDown: () => queue.takeDown(),
      bringBack: () => queue.bringBack(),
    };
  },
} satisfies SandboxService;

/**
 * An OpenTelemetry collector (OTLP/HTTP, JSON), in Application Insights' place: the apps' spans,
 * which the live view joins with the audit log by trace context. Plain HTTP on loopback, like a
 * local collector. Last, so that it knows every secret it must keep out of the spans it stores.
 */
const telemetry = {
  name: "OpenTelemetry collector",
  roles: [],
  async start(context: ServiceContext): Promise<{ spans: SpanStore; tracesUrl: string } & RunningService> {
    const { running, directory } = context;
    const spans = new SpanStore({
      secrets: () => [
        ...running.thirdParty.api.keys(),
        ...directory.servicePrincipals.map((sp) => sp.secret),
        ...[...directory.apps.values()].map((app) => app.identityHeader),
        ...running.keyVault.secrets.list().flatMap((secret) => secret.versions.map((version) => version.value)),
      ],
    });
    const service = await host(createCollector(spans), {
      name: "OpenTelemetry collector",
      errors: collectorErrors,
      port: context.ports.telemetry ?? 0,
    });
    return {
      spans,
      tracesUrl: `http://127.0.0.1:${service.port}/v1/traces`,
      reset: async () => spans.clear(),
      stop: stopping(service),
    };
  },
} satisfies SandboxService;

/** Every service, in the order they start. */
export const SERVICES = {
  thirdParty,
  entraId,
  resourceManager,
  managedIdentity,
  containerAppsIdentity,
  imds,
  kubernetes,
  keyVault,
  queueStorage,
  telemetry,
} as const;

/** The services as they run: what each `start` returned. */
export type RunningServices = {
  readonly [Name in keyof typeof SERVICES]: Awaited<ReturnType<(typeof SERVICES)[Name]["start"]>>;
};

/** The services a fault test can take down: Microsoft Entra ID, the managed identity endpoint, Key Vault, Queue Storage. */
export type InterruptibleService = {
  [Name in keyof RunningServices]: RunningServices[Name] extends Interruptible ? Name : never;
}[keyof RunningServices];

/** The audiences tokens can be issued for. */
export const RESOURCES: readonly string[] = Object.values(SERVICES).flatMap((service: SandboxService) =>
  service.resource ? [service.resource] : [],
);
