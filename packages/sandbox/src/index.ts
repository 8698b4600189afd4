/**
 * The sandbox: Azure, offline, on one machine. It runs the services the steps
 * talk to (Microsoft Entra ID, the App Service managed identity endpoint, Key
 * Vault, Queue Storage and the third party) and tells each step the
 * environment App Service would give it. The steps' code never knows.
 *
 * @module @keyless/sandbox
 */
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureCertificates, type Certificates } from "./ca.ts";
import { AuditLog } from "./audit/log.ts";
import { ResourceStore } from "./arm/resourceStore.ts";
import { Directory } from "./providers/entra/directory.ts";
import { identityEnvironment, type HostEndpoints, type HostName } from "./providers/managed-identity/hosts.ts";
import type { KubernetesCluster } from "./providers/managed-identity/kubernetes.ts";
import { TokenIssuer } from "./providers/entra/tokens.ts";
import type { SecretStore } from "./providers/key-vault/store.ts";
import type { SpanStore } from "./providers/monitor/collector.ts";
import type { QueueService } from "./queue/index.ts";
import { RoleAssignments } from "./providers/authorization/rbac.ts";
import { ROLE_DEFINITIONS } from "./registry.ts";
import type { Interruptible } from "./http/host.ts";
import type {
  ProviderContext,
  ResetReport,
  RunningProvider,
  RunningProviders,
  SandboxPorts,
  SandboxScopes,
} from "./provider.ts";
import { provision, provisionedOf } from "./provisioning.ts";
import { ResourceManager } from "./arm/resourceManager.ts";
import { settingsOf } from "./providers/web/resourceTypes.ts";
import type { WebRunning } from "./providers/web/server.ts";
import { AUDIT_CATEGORY_INFO, PROVIDERS, RESOURCES } from "./registry.ts";
import { Journal, type JournalSummary } from "./state/journal.ts";
import { portsToUse, rememberPorts } from "./state/ports.ts";
import { STATE_FILE, StateStore } from "./state/store.ts";
import { sandboxStateDir } from "./stateDir.ts";
import { loadTenant, type Tenant } from "./tenant.ts";
import { deployedNamesOf, sitesOf, type DeployedNames, type SiteInfo } from "./deployment.ts";
import type { RunningThirdPartyApi } from "@keyless/third-party-api";

export type { SandboxEndpoints } from "./endpoints.ts";
import type { SandboxEndpoints } from "./endpoints.ts";
export { loadTenant, parseTenant, TenantFileError, TENANT_FILE, type Tenant, type TenantApp } from "./tenant.ts";
export { CODE_TAG, EXERCISE_TAG, type SiteInfo } from "./deployment.ts";
export type { Principal, TokenCheck, TokenValidator, Authorizer } from "./contracts.ts";
export type { AuditEvent, AuditCategory, AuditFilter, AuthorizationDecision } from "./audit/log.ts";
export type { Certificates } from "./ca.ts";
export { TokenIssuer } from "./providers/entra/tokens.ts";
export { RoleAssignments, type RoleAssignment } from "./providers/authorization/rbac.ts";
export { ROLE_DEFINITIONS } from "./registry.ts";
export { VAULT_RESOURCE, vaultResourceOf } from "./providers/key-vault/service.ts";
export { MANAGEMENT_RESOURCE } from "./providers/resources/resourceManager.ts";
export { STORAGE_RESOURCE } from "./queue/index.ts";
export {
  HOSTS,
  HOST_TITLES,
  HostNotAvailableError,
  isHost,
  type HostName,
} from "./providers/managed-identity/hosts.ts";
export {
  SpanStore,
  spansOf,
  type TelemetrySpan,
  type SpanKind,
  type AttributeValue,
} from "./providers/monitor/collector.ts";
export {
  explainDenial,
  isChallenge,
  isDenial,
  grantCommand,
  type DenialContext,
  type DenialKind,
  type Explanation,
} from "./denials/explain.ts";
export type { SandboxPorts, SandboxScopes, ResetReport } from "./provider.ts";
export type { JournalSummary } from "./state/journal.ts";
export { discardState, type DiscardedState } from "./state/discard.ts";
export { PROVIDERS } from "./registry.ts";
export { managedIdentityIdsOf } from "./providers/entra/directory.ts";
export { THIRD_PARTY_APP, THIRD_PARTY_FUNCTION } from "./providers/web/thirdParty.ts";

export interface SandboxOptions {
  /** Ports to listen on; 0 (the default) picks free ones. */
  readonly ports?: Partial<SandboxPorts>;
  /** Where its state is kept (`state.db`, the CA, the audit log): the folder in KEYLESS_SANDBOX_DIR when it starts, else `<repo>/.sandbox`, as npm start and az read it (stateDir.ts). */
  readonly stateDir?: string;
  /** What lives outside Resource Manager: tenant.json's, unless given. */
  readonly tenant?: Tenant;
  /** New and deleted role assignments take effect only after this delay, as on Azure. */
  readonly roleAssignmentDelayMs?: number;
  /**
   * How long deleting and recovering a Key Vault secret take, in every vault (0, the default: at once). On
   * Azure a few seconds, which the SDKs' pollers and `az` wait out (see SecretStore.transitionDelayMs).
   */
  readonly keyVaultTransitionDelayMs?: number;
  readonly tokenLifetimeSeconds?: number;
  /** Start Queue Storage: true by default. */
  readonly queue?: boolean;
  /** Return before Queue Storage is ready (default: wait). It starts in-process, ready when it listens: both are the same. */
  readonly waitForQueue?: boolean;
  /** Told when a service goes down or comes back, in a sentence: `npm start` prints it. */
  readonly onEvent?: (text: string) => void;
  /** Where the audit log is appended, one JSON line an event: `<stateDir>/audit.jsonl` by default; false keeps it in memory only. */
  readonly auditFile?: string | false;
  /**
   * Where each site's app runs (see hosts.ts), by site name, or asked of each site (its name and code): App
   * Service when not given. Only the environment it gets differs.
   */
  readonly hosts?: Readonly<Record<string, HostName>> | ((site: SiteInfo) => HostName | undefined);
}

export interface Sandbox {
  readonly endpoints: SandboxEndpoints;
  /** What lives outside Resource Manager (tenant.json). */
  readonly tenant: Tenant;
  /** What the deployment made that the lessons name: the vault, the storage account and its queues. */
  readonly world: World;
  readonly scopes: SandboxScopes;
  readonly thirdParty: RunningThirdPartyApi;
  readonly tokens: TokenIssuer;
  readonly rbac: RoleAssignments;
  readonly directory: Directory;
  readonly secrets: SecretStore;
  /** Resource Manager's control plane: every resource, through the same door as `az` and deployments. */
  readonly arm: ResourceManager;
  /** App Service: where each site answers, what was deployed to it, and where the apps `npm start` runs listen. */
  readonly web: WebRunning;
  /** A site's URL, through App Service's front ends: `https://<site>.azurewebsites.localhost:<port>`. */
  siteUrl(site: string): string;
  readonly certificates: Certificates;
  /** Every sign-in and every Key Vault and Queue Storage request, as Azure's logs show them. */
  readonly audit: AuditLog;
  /** Queue Storage, when started. */
  readonly queue: QueueService;
  /** The spans the apps sent to the OpenTelemetry collector (see telemetry/collector.ts). */
  readonly telemetry: SpanStore;
  /** Settles when every service, Queue Storage included, answers. */
  readonly ready: Promise<void>;
  /** The sites that run an app: the template's (each with the folder of its code) and the exercises'. */
  sites(): SiteInfo[];
  /**
   * The environment a site's app gets: its application settings (as `az webapp config appsettings list`
   * shows them) and what its host adds (the `hosts` option's, or `host`; App Service by default).
   */
  siteEnvironment(site: string, host?: HostName): Record<string, string>;
  /** Where a site's app runs: App Service unless the `hosts` option said otherwise. */
  hostOf(site: string): HostName;
  /** The AKS cluster: its OIDC issuer, and the service-account tokens it signs (workload identity). */
  readonly cluster: KubernetesCluster;
  /** Where its state is kept (`state.db`), its CA, its audit log. */
  readonly stateDir: string;
  /** Everything the sandbox keeps, row by row (for checks that a refused request changed nothing). */
  stateSnapshot(): Record<string, unknown[]>;
  /** What callers changed since provisioning, by kind (what a reset would discard). */
  changes(): JournalSummary[];
  /** Back to the provisioned state, in one transaction: secrets, role assignments, keys; says what it discarded. */
  reset(): Promise<ResetReport>;
  /** For fault tests: takes one service down (its callers get "connection refused"), its state and port kept, until `startService`. */
  stopService(name: InterruptibleService): Promise<void>;
  /** Brings back a service that `stopService` took down, on the same port. */
  startService(name: InterruptibleService): Promise<void>;
  stop(): Promise<void>;
}

/** Plain JavaScript, so that any Node (20 too) can load it from NODE_OPTIONS. */
const DNS_PRELOAD = fileURLToPath(new URL("./dnsPreload.mjs", import.meta.url));

/** What the deployment made that the lessons name. */
export interface World {
  /** The vault's name (the deployment's keyVaultName). */
  readonly keyVault: string;
  /** The storage account whose queues Queue Storage serves (the deployment's storageAccountName). */
  readonly storageAccount: string;
  /** Its queues now: the deployment's, and those callers made since. */
  readonly queues: readonly string[];
}

export function scopesOf(tenant: Tenant, names: DeployedNames = deployedNamesOf(tenant)): SandboxScopes {
  const subscription = `/subscriptions/${tenant.subscription.id}`;
  const resourceGroup = `${subscription}/resourceGroups/${tenant.deployment.resourceGroup}`;
  const storageAccount = `${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${names.storageAccount}`;
  return {
    subscription,
    resourceGroup,
    vault: `${resourceGroup}/providers/Microsoft.KeyVault/vaults/${names.keyVault}`,
    storageAccount,
    queue: (name) => `${storageAccount}/queueServices/default/queues/${name}`,
  };
}

/** The services a fault test can take down, by the names the tests know them by. */
export type InterruptibleService = "entraId" | "managedIdentity" | "keyVault" | "queueStorage";

/** The port each service listens on, by the name `SandboxPorts` gives it. */
function portsOf(running: RunningProviders): Record<string, number> {
  const portOf = (url: string | undefined) => (url && URL.canParse(url) ? Number(new URL(url).port) : 0);
  const hosts = running["managed-identity"];
  return {
    thirdParty: running.web.api.port,
    web: portOf(`https://${running.web.hostNameOf("any")}`),
    login: portOf(running.entra.url),
    management: portOf(running.resources.url),
    identity: portOf(hosts.appService.endpoint),
    containerApps: portOf(hosts.containerApps.endpoint),
    imds: portOf(hosts.imds.address),
    cluster: portOf(hosts.kubernetes.cluster.issuerUrl),
    vault: portOf(running["key-vault"].urlOf("any")),
    queue: portOf(running.storage.queue?.accountUrl),
    telemetry: portOf(running.monitor.tracesUrl),
  };
}

/** Starts every provider of the registry, in its order. */
async function startProviders(context: ProviderContext): Promise<RunningProvider[]> {
  const started: RunningProvider[] = [];
  const running = context.running as unknown as Record<string, RunningProvider>;
  try {
    for (const provider of PROVIDERS) {
      if (!provider.server) continue;
      const { server } = await provider.server();
      const instance = await server.start(context);
      running[provider.name] = instance;
      started.push(instance);
    }
  } catch (error) {
    // Half a sandbox is no sandbox: what started stops, and the caller learns why.
    await Promise.allSettled(started.map((instance) => instance.stop()));
    throw error;
  }
  return started;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const tenant = options.tenant ?? loadTenant();
  const names = deployedNamesOf(tenant);
  const stateDir = options.stateDir ?? sandboxStateDir(process.env);
  // Everything callers change is kept here, until `npm run reset` (state/store.ts).
  const state = StateStore.open(join(stateDir, STATE_FILE));
  const journal = new Journal(state);
  const directory = new Directory(tenant, { state, journal });
  const rbac = new RoleAssignments({
    roles: ROLE_DEFINITIONS,
    delayMs: options.roleAssignmentDelayMs ?? 0,
    state,
    journal,
    nameOf: (objectId) => directory.describe(objectId)?.displayName,
  });
  const auditFile = options.auditFile ?? `${stateDir}/audit.jsonl`;
  // This sandbox's audiences: the registry's, and those services add once they listen.
  const resources = [...RESOURCES];
  const audit = new AuditLog({
    lookup: (objectId) => directory.describe(objectId),
    categories: AUDIT_CATEGORY_INFO.map((category) => category.name),
    ...(auditFile ? { file: auditFile } : {}),
  });
  const running = {} as RunningProviders;
  const { ports, moved } = await portsToUse<SandboxPorts>(state, options.ports ?? {}, {
    thirdParty: 0,
    login: 0,
    management: 0,
    identity: 0,
    vault: 0,
    queue: 0,
  });
  const resourceStore = new ResourceStore(state);
  const arm = new ResourceManager({
    state,
    rbac,
    audit,
    describe: (objectId) => directory.describe(objectId),
  });
  const context: ProviderContext = {
    tenant,
    names,
    scopes: scopesOf(tenant, names),
    state,
    arm,
    resourceStore,
    journal,
    certificates: await ensureCertificates(`${stateDir}/ca`),
    tokens: await TokenIssuer.create({
      tenantId: tenant.tenant.id,
      state,
      ...(options.tokenLifetimeSeconds ? { lifetimeSeconds: options.tokenLifetimeSeconds } : {}),
    }),
    directory,
    rbac,
    stateDir,
    ports,
    resources,
    addResource: (resource) => void (resources.includes(resource) || resources.push(resource)),
    authorityHost: () => running.entra.url,
    account: () => account(),
    resetAll: () => sandbox.reset(),
    siteEnvironment: (site) => sandbox.siteEnvironment(site),
    onEvent: options.onEvent ?? (() => {}),
    without: new Set(options.queue === false ? ["queue"] : []),
    running,
    audit,
  };
  const started = await startProviders(context);
  running["key-vault"].transitionDelayMs = options.keyVaultTransitionDelayMs ?? 0;
  /** Empties the store (but for the tenant's signing keys and the services' ports: a reset changes neither) and provisions it anew. */
  const provisionAnew = async () => {
    try {
      state.clearAll(["signingKeys", "ports"]);
      rbac.reload();
      await provision(context);
    } finally {
      // Whether it went through or not, what runs follows the store.
      rbac.reload();
      for (const instance of started) await instance.reload?.();
    }
  };
  rememberPorts(state, portsOf(running));
  for (const name of moved)
    context.onEvent(
      `The ${name} service's port was taken: it listens elsewhere now, and settings that name its old port are stale until npm run reset.`,
    );
  // A new state store gets the provisioned state; a kept one keeps what callers changed since.
  if (!provisionedOf(context)) await provisionAnew();
  const queue = options.queue === false ? undefined : running.storage.queue;
  if (options.waitForQueue !== false) await queue?.ready;
  const identityHosts = running["managed-identity"];
  const world: World = {
    keyVault: names.keyVault,
    storageAccount: names.storageAccount,
    get queues() {
      return running.storage.queues();
    },
  };
  // The queue the deployment made (its queueId output), whether or not a caller deleted it since.
  const deployedQueue =
    String(provisionedOf(context)?.outputs["queueId"] ?? "")
      .split("/")
      .at(-1) || world.queues[0];

  const endpoints: SandboxEndpoints = {
    thirdPartyApi: running.web.api.endpoint,
    ...(queue && deployedQueue ? { queueUrl: queue.queueUrl(deployedQueue) } : {}),
    authorityHost: running.entra.url,
    identityEndpoint: identityHosts.appService.endpoint,
    keyVaultUrl: running["key-vault"].urlOf(names.keyVault),
    caFile: context.certificates.caFile,
    caBundle: context.certificates.caBundle,
    resourceManager: running.resources.url,
    dnsPreload: DNS_PRELOAD,
    admin: running.resources.admin,
    telemetry: running.monitor.tracesUrl,
    identityHosts: {
      containerApps: identityHosts.containerApps.endpoint,
      imds: identityHosts.imds.address,
      clusterIssuer: identityHosts.kubernetes.cluster.issuerUrl,
    },
    graph: running.entra.graphUrl,
    github: { issuer: running.github.issuer.url, runner: running.github.runner },
  };
  const hosts: HostEndpoints = {
    appService: identityHosts.appService.endpoint,
    containerApps: identityHosts.containerApps,
    imds: identityHosts.imds.address,
    aks: { tokenFile: identityHosts.kubernetes.tokenFile },
    authorityHost: running.entra.url,
  };
  /** Where a site's app runs (site names are case-insensitive, as on Azure). */
  const hostOf = (site: string): HostName => {
    const { hosts: given } = options;
    const same = (name: string) => name.toLowerCase() === site.toLowerCase();
    if (typeof given === "function") {
      const info = sitesOf(resourceStore, directory).find((candidate) => same(candidate.name));
      return (info && given(info)) ?? "app-service";
    }
    return Object.entries(given ?? {}).find(([name]) => same(name))?.[1] ?? "app-service";
  };
  const settingsContext = { resources: resourceStore, directory, endpoints, hosts, tenant, scopes: context.scopes };
  const cluster = identityHosts.kubernetes.cluster;
  /** The profile `az login` keeps: who the developer is, and their subscription. */
  const account = () => ({
    subscription: { id: tenant.subscription.id, name: tenant.subscription.name },
    tenantId: tenant.tenant.id,
    tenantAlias: tenant.tenant.alias,
    user: { name: directory.users[0]?.displayName ?? "", objectId: directory.users[0]?.objectId ?? "" },
  });
  const interruptibles: Record<InterruptibleService, Interruptible> = {
    entraId: running.entra,
    managedIdentity: identityHosts.appService,
    keyVault: running["key-vault"],
    queueStorage: running.storage.queue ?? { takeDown: async () => {}, bringBack: async () => {} },
  };

  const sandbox: Sandbox = {
    endpoints,
    tenant,
    world,
    scopes: context.scopes,
    thirdParty: running.web.api,
    tokens: context.tokens,
    rbac,
    directory,
    secrets: running["key-vault"].secretsOf(names.keyVault),
    arm,
    web: running.web,
    siteUrl: (site) => `https://${running.web.hostNameOf(site)}`,
    telemetry: running.monitor.spans,
    certificates: context.certificates,
    audit,
    stateDir,
    ready: queue?.ready ?? Promise.resolve(),
    get queue() {
      if (!queue) throw new Error("This sandbox was started with { queue: false }.");
      return queue;
    },
    sites: () => sitesOf(resourceStore, directory),
    siteEnvironment: (site, host) => siteEnvironment(site, { ...settingsContext, host: host ?? hostOf(site) }),
    hostOf,
    cluster,
    changes: () => journal.summary(),
    stateSnapshot: () => state.snapshot(),
    async reset() {
      // What callers changed since provisioning, said before it goes.
      const discarded = journal.summary();
      await provisionAnew();
      return { discarded };
    },
    stopService: (name) => interruptibles[name].takeDown(),
    startService: (name) => interruptibles[name].bringBack(),
    async stop() {
      await Promise.all(started.map((instance) => instance.stop()));
      await audit.close();
      state.close();
    },
  };
  return sandbox;
}

/**
 * An app's environment, as App Service gives it: the application settings its
 * site holds (the template's, or those `az webapp config appsettings set`
 * wrote), and what the platform adds: how its host hands it its managed
 * identity (IDENTITY_ENDPOINT and IDENTITY_HEADER on App Service), and, in the
 * sandbox only, trust in the sandbox's CA, `*.localhost` resolved, and the
 * sandbox's Entra ID for an app that signs in with a secret.
 */
function siteEnvironment(
  name: string,
  {
    resources,
    directory,
    endpoints,
    hosts,
    host,
    tenant,
    scopes,
  }: {
    resources: ResourceStore;
    directory: Directory;
    endpoints: SandboxEndpoints;
    hosts: HostEndpoints;
    host: HostName;
    tenant: Tenant;
    scopes: SandboxScopes;
  },
): Record<string, string> {
  const site = resources.get(`${scopes.resourceGroup}/providers/Microsoft.Web/sites/${name}`);
  if (!site) throw new AppNotFoundError(name);
  const settings = settingsOf(resources, site.id);
  const trustAndResolve = {
    // Environment only: trust the sandbox CA and resolve *.localhost. On Azure neither is needed.
    NODE_EXTRA_CA_CERTS: endpoints.caFile,
    NODE_OPTIONS: `--import ${pathToFileURL(endpoints.dnsPreload).href}`,
    // The same trust for an app in another language: Python's requests and ssl read these.
    REQUESTS_CA_BUNDLE: endpoints.caBundle,
    SSL_CERT_FILE: endpoints.caBundle,
  };
  // How the app's host hands it its managed identity (hosts.ts); App Service unless it runs elsewhere.
  const identity = identityEnvironment(host, site.name, { tenant, directory, endpoints: hosts });
  // An app that signs in with a client secret asks Entra ID: the sandbox's, here (on Azure, the default one).
  const authority: Record<string, string> = settings["AZURE_CLIENT_SECRET"]
    ? { AZURE_AUTHORITY_HOST: endpoints.authorityHost }
    : {};
  return { ...settings, ...(identity ?? {}), ...authority, ...trustAndResolve };
}

/** No app of that name in the sandbox. */
export class AppNotFoundError extends Error {
  override name = "AppNotFoundError";
  constructor(app: string) {
    super(`The sandbox has no app named ${app}.`);
  }
}
