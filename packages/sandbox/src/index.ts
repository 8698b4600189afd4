/**
 * The sandbox: Azure, offline, on one machine. It runs the services the steps
 * talk to (Microsoft Entra ID, the App Service managed identity endpoint, Key
 * Vault, Queue Storage and the third party) and tells each step the
 * environment App Service would give it. The steps' code never knows.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import express from "express";
import { startThirdPartyApi, type RunningThirdPartyApi } from "@keyless/third-party-api";
import { createAdminApi, type AdminAccount } from "./admin.ts";
import { ensureCertificates, type Certificates } from "./ca.ts";
import { Directory } from "./directory.ts";
import { createManagedIdentityEndpoint } from "./identity/managedIdentity.ts";
import { createTokenService } from "./identity/tokenService.ts";
import { TokenIssuer } from "./identity/tokens.ts";
import { VAULT_RESOURCE, createKeyVault } from "./keyvault/service.ts";
import { SecretStore } from "./keyvault/store.ts";
import { RoleAssignments } from "./rbac.ts";
import { FunctionKeys } from "./functionKeys.ts";
import { startQueueService, type QueueService } from "./queue/index.ts";
import { loadSeed, type Seed } from "./seed.ts";

export type { Seed } from "./seed.ts";
export type { Principal, TokenCheck, TokenValidator, Authorizer } from "./contracts.ts";
export type { Certificates } from "./ca.ts";
export { TokenIssuer } from "./identity/tokens.ts";
export { RoleAssignments, ROLE_DEFINITIONS, type RoleAssignment } from "./rbac.ts";
export { VAULT_RESOURCE } from "./keyvault/service.ts";

/** The workshop's steps, by number. */
export const STEPS = ["01", "02", "03", "04"] as const;
export type StepNumber = (typeof STEPS)[number];

/** Azure Storage's resource: the audience of every Storage token, in every cloud account. */
export const STORAGE_RESOURCE = "https://storage.azure.com";

export interface SandboxPorts {
  readonly thirdParty: number;
  readonly login: number;
  readonly identity: number;
  readonly vault: number;
  readonly queue: number;
}

export interface SandboxOptions {
  /** Ports to listen on; 0 (the default) picks free ones. */
  readonly ports?: Partial<SandboxPorts>;
  /** Where the CA is kept (`<stateDir>/ca`). Defaults to `<repo>/.sandbox`. */
  readonly stateDir?: string;
  readonly seed?: Seed;
  /** New and deleted role assignments take effect only after this delay, as on Azure. */
  readonly roleAssignmentDelayMs?: number;
  readonly tokenLifetimeSeconds?: number;
  /** Start Queue Storage (Azurite behind its gateway): true by default. Tests that need no queue start about ten times faster. */
  readonly queue?: boolean;
  /**
   * Return before Azurite is up (default: wait). `npm start` starts the steps meanwhile and
   * awaits `ready`; until then Queue Storage answers 503 ServerBusy, as Azure does when unavailable.
   */
  readonly waitForQueue?: boolean;
}

/** What the sandbox serves, as `npm start` writes it to `.sandbox/endpoints.json`. */
export interface SandboxEndpoints {
  /** THIRD_PARTY_API_ENDPOINT */
  readonly thirdPartyApi: string;
  /** AZURE_AUTHORITY_HOST: Microsoft Entra ID. */
  readonly authorityHost: string;
  /** IDENTITY_ENDPOINT: App Service's managed identity endpoint. */
  readonly identityEndpoint: string;
  /** KEY_VAULT_URL */
  readonly keyVaultUrl: string;
  /** STORAGE_QUEUE_URL, when the queue service runs. */
  readonly queueUrl?: string;
  /** The CA certificate that signs every HTTPS service (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  /** The `--import` preload that resolves `*.localhost`. */
  readonly dnsPreload: string;
  /** The admin API for the sandbox's `az` CLI. */
  readonly admin: { readonly url: string; readonly key: string };
}

/** The ARM resource ids of the sandbox's resources, for role assignment scopes. */
export interface SandboxScopes {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly vault: string;
  readonly storageAccount: string;
  queue(name: string): string;
}

export interface Sandbox {
  readonly endpoints: SandboxEndpoints;
  readonly seed: Seed;
  readonly scopes: SandboxScopes;
  readonly thirdParty: RunningThirdPartyApi;
  readonly tokens: TokenIssuer;
  readonly rbac: RoleAssignments;
  readonly directory: Directory;
  readonly secrets: SecretStore;
  readonly certificates: Certificates;
  /** Queue Storage, when started. */
  readonly queue: QueueService;
  /** Settles when every service, Queue Storage included, answers. */
  readonly ready: Promise<void>;
  /** The environment a step gets: what App Service application settings would hold. */
  stepEnvironment(step: StepNumber): Record<string, string>;
  /** Back to the seed: secrets, role assignments, third-party keys. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_STATE_DIR = fileURLToPath(new URL("../../../.sandbox", import.meta.url));
const DNS_PRELOAD = fileURLToPath(new URL("./dnsPreload.ts", import.meta.url));

async function listen(server: Server, port: number, host = "127.0.0.1"): Promise<number> {
  server.listen(port, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

export function scopesOf(seed: Seed): SandboxScopes {
  const subscription = `/subscriptions/${seed.subscription.id}`;
  const resourceGroup = `${subscription}/resourceGroups/${seed.subscription.resourceGroup}`;
  const storageAccount = `${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${seed.storage.account}`;
  return {
    subscription,
    resourceGroup,
    vault: `${resourceGroup}/providers/Microsoft.KeyVault/vaults/${seed.keyVault.name}`,
    storageAccount,
    queue: (name) => `${storageAccount}/queueServices/default/queues/${name}`,
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? loadSeed();
  const ports = { thirdParty: 0, login: 0, identity: 0, vault: 0, queue: 0, ...options.ports };
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const certificates = await ensureCertificates(`${stateDir}/ca`);
  const scopes = scopesOf(seed);
  const resources = [VAULT_RESOURCE, STORAGE_RESOURCE];

  const tokens = await TokenIssuer.create({ tenantId: seed.tenant.id, ...(options.tokenLifetimeSeconds ? { lifetimeSeconds: options.tokenLifetimeSeconds } : {}) });
  const directory = new Directory(seed);
  const rbac = new RoleAssignments(options.roleAssignmentDelayMs ?? 0);
  const secrets = new SecretStore();
  const thirdParty = await startThirdPartyApi({ keys: seed.thirdParty.keys, port: ports.thirdParty });
  const adminKey = randomBytes(24).toString("base64url");

  let loginPort = 0;
  let vaultPort = 0;
  const authorityHost = () => `https://localhost:${loginPort}`;
  const keyVaultUrl = () => `https://${seed.keyVault.name}.vault.localhost:${vaultPort}`;

  // Azurite takes the longest to start: it starts first, while the other services start.
  const queueStarting = options.queue === false ? Promise.resolve(undefined) : startQueueService({
    certificates,
    tokens: tokens.validator(),
    issuer: tokens,
    rbac,
    accountScope: scopes.storageAccount,
    account: seed.storage.account,
    queues: seed.storage.queues,
    authority: () => `${authorityHost()}/${seed.tenant.id}`,
    port: ports.queue,
    compileCacheDir: `${stateDir}/compile-cache`,
  });
  let queue: QueueService | undefined;
  const seedState = async () => {
    secrets.clear();
    for (const [name, value] of Object.entries(seed.keyVault.secrets)) secrets.set(name, { value });
    rbac.clear();
    for (const assignment of seed.roleAssignments) {
      const principal = directory.find(assignment.assignee);
      if (!principal) throw new Error(`seed.json: no principal named ${assignment.assignee}.`);
      rbac.add({ principalId: principal.objectId, principalType: principal.type, role: assignment.role, scope: assignment.scope }, { immediately: true });
    }
    thirdParty.setKeys(seed.thirdParty.keys);
    thirdParty.setFault(null);
    await queue?.reset();
  };
  await seedState();

  const login = express();
  const account = (): AdminAccount => ({
    subscription: { id: seed.subscription.id, name: "keyless sandbox" },
    tenantId: seed.tenant.id,
    tenantAlias: seed.tenant.alias,
    resourceGroup: seed.subscription.resourceGroup,
    location: seed.subscription.location,
    user: { name: directory.users[0]?.displayName ?? "", objectId: directory.users[0]?.objectId ?? "" },
    vault: { name: seed.keyVault.name, id: scopes.vault, url: keyVaultUrl() },
    storageAccount: { name: seed.storage.account, id: scopes.storageAccount },
    webApps: [...directory.apps.values()].map((app) => ({ name: app.displayName, principalId: app.objectId, clientId: app.appId ?? "" })),
  });
  const functionKeys = new FunctionKeys(thirdParty);
  login.use("/_sandbox", createAdminApi({ key: adminKey, issuer: tokens, directory, rbac, resources, account, reset: seedState, functionKeys }));
  login.use(createTokenService({ issuer: tokens, directory, resources, authorityHost, tenantAlias: seed.tenant.alias }));
  const loginServer = createHttpsServer({ cert: certificates.certPem, key: certificates.keyPem }, login);
  loginPort = await listen(loginServer, ports.login);

  const vault = createKeyVault({
    name: seed.keyVault.name,
    store: secrets,
    resourceId: scopes.vault,
    location: seed.subscription.location,
    tokens: tokens.validator(),
    rbac,
    authority: () => `${authorityHost()}/${seed.tenant.alias}`,
    issuer: tokens.issuer,
    vaultUrl: keyVaultUrl,
  });
  const vaultServer = createHttpsServer({ cert: certificates.certPem, key: certificates.keyPem }, vault);
  vaultPort = await listen(vaultServer, ports.vault);

  // App Service's endpoint is plain HTTP on the app's own machine, like this one.
  const identityServer = createHttpServer(createManagedIdentityEndpoint({ issuer: tokens, directory, resources }));
  const identityPort = await listen(identityServer, ports.identity);

  // Queue Storage: Azurite behind the gateway that checks tokens and roles as Azure does.
  const queueService = await queueStarting;
  queue = queueService;
  if (options.waitForQueue !== false) await queueService?.ready;

  const endpoints: SandboxEndpoints = {
    thirdPartyApi: thirdParty.endpoint,
    ...(queueService ? { queueUrl: queueService.queueUrl(seed.storage.queues[0] ?? "code-requests") } : {}),
    authorityHost: authorityHost(),
    identityEndpoint: `http://127.0.0.1:${identityPort}/msi/token`,
    keyVaultUrl: keyVaultUrl(),
    caFile: certificates.caFile,
    dnsPreload: DNS_PRELOAD,
    admin: { url: `${authorityHost()}/_sandbox`, key: adminKey },
  };

  const trustAndResolve = {
    // Environment only: trust the sandbox CA and resolve *.localhost. On Azure neither is needed.
    NODE_EXTRA_CA_CERTS: certificates.caFile,
    NODE_OPTIONS: `--import ${pathToFileURL(DNS_PRELOAD).href}`,
  };
  const vaultSettings = {
    KEY_VAULT_URL: endpoints.keyVaultUrl,
    THIRD_PARTY_API_SECRET_NAME: Object.keys(seed.keyVault.secrets)[0] ?? "third-party-api-key",
    // Only the credentials a server should use: environment, workload or managed identity.
    AZURE_TOKEN_CREDENTIALS: "prod",
  };
  const managedIdentityOf = (app: string) => {
    const identity = directory.apps.get(app);
    if (!identity) throw new Error(`seed.json has no app ${app}.`);
    return { IDENTITY_ENDPOINT: endpoints.identityEndpoint, IDENTITY_HEADER: identity.identityHeader };
  };

  const sandbox: Sandbox = {
    endpoints,
    seed,
    scopes,
    thirdParty,
    tokens,
    rbac,
    directory,
    secrets,
    certificates,
    ready: queueService?.ready ?? Promise.resolve(),
    get queue() {
      if (!queueService) throw new Error("This sandbox was started with { queue: false }.");
      return queueService;
    },
    stepEnvironment(step) {
      const base = { THIRD_PARTY_API_ENDPOINT: endpoints.thirdPartyApi };
      const servicePrincipal = directory.servicePrincipals[0];
      switch (step) {
        case "01":
          return base;
        case "02":
          if (!servicePrincipal) throw new Error("seed.json has no service principal for step 02.");
          return {
            ...base,
            ...vaultSettings,
            // The tenant alias the SDK trusts offline; on Azure, the directory's GUID.
            AZURE_TENANT_ID: seed.tenant.alias,
            AZURE_CLIENT_ID: servicePrincipal.appId ?? "",
            AZURE_CLIENT_SECRET: servicePrincipal.secret,
            AZURE_AUTHORITY_HOST: endpoints.authorityHost,
            ...trustAndResolve,
          };
        case "03":
          return { ...base, ...vaultSettings, ...managedIdentityOf("keyless-step-03"), ...trustAndResolve };
        case "04":
          if (!endpoints.queueUrl) throw new Error("The queue service is not running in this sandbox.");
          return { ...base, ...vaultSettings, STORAGE_QUEUE_URL: endpoints.queueUrl, ...managedIdentityOf("keyless-step-04"), ...trustAndResolve };
      }
    },
    reset: seedState,
    async stop() {
      await Promise.all([close(loginServer), close(vaultServer), close(identityServer), thirdParty.stop(), queueService?.stop()]);
    },
  };
  return sandbox;
}
