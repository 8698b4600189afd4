/**
 * The sandbox: Azure, offline, on one machine. It runs the services the steps
 * talk to (Microsoft Entra ID, the App Service managed identity endpoint, Key
 * Vault, Queue Storage and the third party) and tells each step the
 * environment App Service would give it. The steps' code never knows.
 */
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureCertificates, type Certificates } from "./ca.ts";
import { AuditLog } from "./audit/log.ts";
import { Directory } from "./directory.ts";
import { identityEnvironment, type HostEndpoints, type HostName } from "./hosts.ts";
import { federatedCredentialsOf } from "./identity/workloadIdentity.ts";
import type { KubernetesCluster } from "./identity/kubernetes.ts";
import { TokenIssuer } from "./identity/tokens.ts";
import type { SecretStore } from "./keyvault/store.ts";
import type { SpanStore } from "./telemetry/collector.ts";
import type { QueueService } from "./queue/index.ts";
import { RoleAssignments } from "./rbac.ts";
import {
  RESOURCES,
  SERVICES,
  type InterruptibleService,
  type RunningService,
  type RunningServices,
  type SandboxPorts,
  type SandboxScopes,
  type ServiceContext,
} from "./services.ts";
import { loadSeed, type Seed } from "./seed.ts";
import { STATE_FILE, StateStore } from "./state/store.ts";
import type { RunningThirdPartyApi } from "@keyless/third-party-api";

export type { Seed } from "./seed.ts";
export type { Principal, TokenCheck, TokenValidator, Authorizer } from "./contracts.ts";
export type { AuditEvent, AuditCategory, AuditFilter, AuthorizationDecision } from "./audit/log.ts";
export type { Certificates } from "./ca.ts";
export { TokenIssuer } from "./identity/tokens.ts";
export { RoleAssignments, ROLE_DEFINITIONS, type RoleAssignment } from "./rbac.ts";
export { VAULT_RESOURCE, vaultResourceOf } from "./keyvault/service.ts";
export { MANAGEMENT_RESOURCE } from "./arm/service.ts";
export { STORAGE_RESOURCE } from "./queue/index.ts";
export { HOSTS, HOST_TITLES, HostNotAvailableError, isHost, type HostName } from "./hosts.ts";
export { SpanStore, spansOf, type TelemetrySpan, type SpanKind, type AttributeValue } from "./telemetry/collector.ts";
export {
  explainDenial,
  isChallenge,
  isDenial,
  grantCommand,
  type DenialContext,
  type DenialKind,
  type Explanation,
} from "./denials/explain.ts";
export {
  SERVICES,
  type InterruptibleService,
  type SandboxPorts,
  type SandboxScopes,
  type SandboxService,
} from "./services.ts";

/** The workshop's steps, by number. */
export const STEPS = ["01", "02", "03", "04"] as const;
export type StepNumber = (typeof STEPS)[number];

export interface SandboxOptions {
  /** Ports to listen on; 0 (the default) picks free ones. */
  readonly ports?: Partial<SandboxPorts>;
  /** Where the CA (`<stateDir>/ca`) and the state (`<stateDir>/state.db`) are kept. Defaults to `<repo>/.sandbox`. */
  readonly stateDir?: string;
  readonly seed?: Seed;
  /** New and deleted role assignments take effect only after this delay, as on Azure. */
  readonly roleAssignmentDelayMs?: number;
  readonly tokenLifetimeSeconds?: number;
  /** Start Queue Storage: true by default. */
  readonly queue?: boolean;
  /** Return before Queue Storage is ready (default: wait). It starts in-process, ready when it listens: both are the same. */
  readonly waitForQueue?: boolean;
  /** Told when a service goes down or comes back, in a sentence: `npm start` prints it. */
  readonly onEvent?: (text: string) => void;
  /** Where the audit log is appended, one JSON line an event: `<stateDir>/audit.jsonl` by default; false keeps it in memory only. */
  readonly auditFile?: string | false;
  /** Where each step's app runs (see hosts.ts): App Service when not given. Only the environment it gets differs. */
  readonly hosts?: Partial<Record<StepNumber, HostName>>;
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
  /** The public and system CAs plus the sandbox CA, one file: REQUESTS_CA_BUNDLE and SSL_CERT_FILE (Python, the Azure CLI). */
  readonly caBundle: string;
  /** Azure Resource Manager: what the real Azure CLI's `az cloud register --endpoint-resource-manager` names. */
  readonly resourceManager: string;
  /** The `--import` preload that resolves `*.localhost`. */
  readonly dnsPreload: string;
  /** The admin API for the sandbox's `az` CLI. */
  readonly admin: { readonly url: string; readonly key: string };
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the OpenTelemetry collector's traces URL (OTLP/HTTP, JSON). */
  readonly telemetry: string;
  /** The other hosts' identity endpoints: Container Apps' IDENTITY_ENDPOINT, the VM's IMDS address, the AKS cluster's OIDC issuer. */
  readonly identityHosts: { readonly containerApps: string; readonly imds: string; readonly clusterIssuer: string };
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
  /** Every sign-in and every Key Vault and Queue Storage request, as Azure's logs show them. */
  readonly audit: AuditLog;
  /** Queue Storage, when started. */
  readonly queue: QueueService;
  /** The spans the apps sent to the OpenTelemetry collector (see telemetry/collector.ts). */
  readonly telemetry: SpanStore;
  /** Settles when every service, Queue Storage included, answers. */
  readonly ready: Promise<void>;
  /** The environment a step gets: what App Service application settings would hold, or another host's (its `hosts` option, or `host`). */
  stepEnvironment(step: StepNumber, host?: HostName): Record<string, string>;
  /** Any app's application settings (`keyless-step-03`, `keyless-workspace-03`), as `az webapp config appsettings list` shows them; on another host, that host's environment. */
  appSettings(app: string, host?: HostName): Record<string, string>;
  /** Where a step's app runs: App Service unless the `hosts` option said otherwise. */
  hostOf(step: StepNumber): HostName;
  /** The AKS cluster: its OIDC issuer, and the service-account tokens it signs (workload identity). */
  readonly cluster: KubernetesCluster;
  /** Back to the seed: secrets, role assignments, third-party keys. */
  reset(): Promise<void>;
  /** For fault tests: takes one service down (its callers get "connection refused"), its state and port kept, until `startService`. */
  stopService(name: InterruptibleService): Promise<void>;
  /** Brings back a service that `stopService` took down, on the same port. */
  startService(name: InterruptibleService): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_STATE_DIR = fileURLToPath(new URL("../../../.sandbox", import.meta.url));
/** Plain JavaScript, so that any Node (20 too) can load it from NODE_OPTIONS. */
const DNS_PRELOAD = fileURLToPath(new URL("./dnsPreload.mjs", import.meta.url));

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

/** The seed's role assignments, as `az role assignment create` would make them, in effect at once. */
function seedRoleAssignments(seed: Seed, directory: Directory, rbac: RoleAssignments): void {
  rbac.clear();
  for (const assignment of seed.roleAssignments) {
    const principal = directory.find(assignment.assignee);
    if (!principal) throw new Error(`seed.json: no principal named ${assignment.assignee}.`);
    rbac.add(
      {
        principalId: principal.objectId,
        principalType: principal.type,
        role: assignment.role,
        scope: assignment.scope,
      },
      { immediately: true },
    );
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? loadSeed();
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const directory = new Directory(seed);
  const rbac = new RoleAssignments(options.roleAssignmentDelayMs ?? 0);
  seedRoleAssignments(seed, directory, rbac);
  const running: Partial<Record<keyof typeof SERVICES, RunningService>> = {};
  const state = StateStore.open(join(stateDir, STATE_FILE));
  const auditFile = options.auditFile ?? `${stateDir}/audit.jsonl`;
  // This sandbox's audiences: the registry's, and those services add once they listen.
  const resources = [...RESOURCES];
  const audit = new AuditLog({
    lookup: (objectId) => directory.describe(objectId),
    ...(auditFile ? { file: auditFile } : {}),
  });
  const context: ServiceContext = {
    seed,
    scopes: scopesOf(seed),
    certificates: await ensureCertificates(`${stateDir}/ca`),
    tokens: await TokenIssuer.create({
      tenantId: seed.tenant.id,
      ...(options.tokenLifetimeSeconds ? { lifetimeSeconds: options.tokenLifetimeSeconds } : {}),
    }),
    directory,
    rbac,
    stateDir,
    state,
    ports: { thirdParty: 0, login: 0, management: 0, identity: 0, vault: 0, queue: 0, ...options.ports },
    resources,
    addResource: (resource) => void (resources.includes(resource) || resources.push(resource)),
    authorityHost: () => services.entraId.url,
    account: () => account(),
    resetAll: () => sandbox.reset(),
    appSettings: (app) => sandbox.appSettings(app),
    onEvent: options.onEvent ?? (() => {}),
    running: running as RunningServices,
    audit,
  };
  // Each service in the registry's order.
  for (const [name, service] of Object.entries(SERVICES) as [
    keyof typeof SERVICES,
    (typeof SERVICES)[keyof typeof SERVICES],
  ][]) {
    if (name === "queueStorage" && options.queue === false) continue;
    running[name] = await service.start(context);
  }
  const services = running as RunningServices & { queueStorage?: RunningServices["queueStorage"] };
  const queue = options.queue === false ? undefined : services.queueStorage.queue;
  if (options.waitForQueue !== false) await queue?.ready;

  const endpoints: SandboxEndpoints = {
    thirdPartyApi: services.thirdParty.api.endpoint,
    ...(queue ? { queueUrl: queue.queueUrl(seed.storage.queues[0] ?? "code-requests") } : {}),
    authorityHost: services.entraId.url,
    identityEndpoint: services.managedIdentity.endpoint,
    keyVaultUrl: services.keyVault.url,
    caFile: context.certificates.caFile,
    caBundle: context.certificates.caBundle,
    resourceManager: services.resourceManager.url,
    dnsPreload: DNS_PRELOAD,
    admin: services.resourceManager.admin,
    telemetry: services.telemetry.tracesUrl,
    identityHosts: {
      containerApps: services.containerAppsIdentity.endpoint,
      imds: services.imds.address,
      clusterIssuer: services.kubernetes.cluster.issuerUrl,
    },
  };
  const hosts: HostEndpoints = {
    appService: services.managedIdentity.endpoint,
    containerApps: {
      endpoint: services.containerAppsIdentity.endpoint,
      headerOf: services.containerAppsIdentity.headerOf,
    },
    imds: services.imds.address,
    aks: { tokenFile: services.kubernetes.tokenFile },
    authorityHost: services.entraId.url,
  };
  const hostOf = (step: StepNumber): HostName => options.hosts?.[step] ?? "app-service";
  /** A step's app runs where its step does; the exercise apps on App Service. */
  const hostOfApp = (name: string): HostName => {
    const step = seed.apps.find(
      (app) => app.name.toLowerCase() === name.toLowerCase() && app.name.startsWith("keyless-step-"),
    )?.step;
    return step ? hostOf(step) : "app-service";
  };
  const account = () => ({
    subscription: { id: seed.subscription.id, name: "keyless sandbox" },
    tenantId: seed.tenant.id,
    tenantAlias: seed.tenant.alias,
    resourceGroup: seed.subscription.resourceGroup,
    location: seed.subscription.location,
    user: { name: directory.users[0]?.displayName ?? "", objectId: directory.users[0]?.objectId ?? "" },
    vault: { name: seed.keyVault.name, id: context.scopes.vault, url: endpoints.keyVaultUrl },
    storageAccount: { name: seed.storage.account, id: context.scopes.storageAccount },
    webApps: seed.apps.map((app) => {
      const identity = directory.apps.get(app.name);
      const userAssigned = directory.userAssignedOf(app.name).map((attached) => attached.resourceId);
      return {
        name: app.name,
        step: app.step,
        principalId: identity?.objectId ?? "",
        clientId: identity?.appId ?? "",
        ...(app.signsInAs ? { signsInAs: app.signsInAs } : {}),
        ...(userAssigned.length > 0 ? { userAssignedIdentities: userAssigned } : {}),
      };
    }),
    userAssignedIdentities: [...directory.userAssigned.values()].map((identity) => ({
      name: identity.displayName,
      id: identity.resourceId,
      clientId: identity.appId,
      principalId: identity.objectId,
      // The cluster's issuer URL in place of its name, as `az identity federated-credential list` shows it.
      federatedIdentityCredentials: federatedCredentialsOf(identity.federatedIdentityCredentials, {
        clusterIssuer: (name) =>
          services.kubernetes.cluster.name === name ? services.kubernetes.cluster.issuerUrl : undefined,
        keysOf: () => undefined,
      }).map(({ name, issuer, subject, audiences }) => ({ name, issuer, subject, audiences })),
    })),
  });

  const sandbox: Sandbox = {
    endpoints,
    seed,
    scopes: context.scopes,
    thirdParty: services.thirdParty.api,
    tokens: context.tokens,
    rbac,
    directory,
    secrets: services.keyVault.secrets,
    telemetry: services.telemetry.spans,
    certificates: context.certificates,
    audit,
    ready: queue?.ready ?? Promise.resolve(),
    get queue() {
      if (!queue) throw new Error("This sandbox was started with { queue: false }.");
      return queue;
    },
    stepEnvironment: (step, host) =>
      appSettings(`keyless-step-${step}`, { seed, directory, endpoints, hosts, host: host ?? hostOf(step) }),
    appSettings: (name, host) =>
      appSettings(name, { seed, directory, endpoints, hosts, host: host ?? hostOfApp(name) }),
    hostOf,
    cluster: services.kubernetes.cluster,
    async reset() {
      seedRoleAssignments(seed, directory, rbac);
      directory.restoreSecrets();
      for (const service of Object.values(running)) await service.reset();
    },
    stopService: (name) => services[name].takeDown(),
    startService: (name) => services[name].bringBack(),
    async stop() {
      await Promise.all(Object.values(running).map((service) => service.stop()));
      state.close();
      await audit.close();
    },
  };
  return sandbox;
}

/**
 * An app's application settings, as App Service would give them: the settings
 * of the step it runs, and how it signs in (its managed identity's endpoint and
 * header, or its service principal's client id and secret).
 */
function appSettings(
  name: string,
  {
    seed,
    directory,
    endpoints,
    hosts,
    host,
  }: { seed: Seed; directory: Directory; endpoints: SandboxEndpoints; hosts: HostEndpoints; host: HostName },
): Record<string, string> {
  const app = seed.apps.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (!app) throw new AppNotFoundError(name);
  const trustAndResolve = {
    // Environment only: trust the sandbox CA and resolve *.localhost. On Azure neither is needed.
    NODE_EXTRA_CA_CERTS: endpoints.caFile,
    NODE_OPTIONS: `--import ${pathToFileURL(endpoints.dnsPreload).href}`,
    // The same trust for an app in another language: Python's requests and ssl read these.
    REQUESTS_CA_BUNDLE: endpoints.caBundle,
    SSL_CERT_FILE: endpoints.caBundle,
  };
  const vaultSettings = {
    KEY_VAULT_URL: endpoints.keyVaultUrl,
    THIRD_PARTY_API_SECRET_NAME: Object.keys(seed.keyVault.secrets)[0] ?? "third-party-api-key",
    // Only the credentials a server should use: environment, workload or managed identity.
    AZURE_TOKEN_CREDENTIALS: "prod",
  };
  // How the app's host hands it its managed identity (hosts.ts); App Service unless it runs elsewhere.
  const identity = identityEnvironment(host, app, { seed, directory, endpoints: hosts });
  const servicePrincipal = app.signsInAs
    ? directory.servicePrincipals.find((sp) => sp.displayName === app.signsInAs)
    : undefined;
  if (app.signsInAs && !servicePrincipal)
    throw new Error(`seed.json: app ${app.name} signs in as ${app.signsInAs}, which is not a service principal.`);
  const signIn: Record<string, string> = identity
    ? identity
    : servicePrincipal
      ? {
          // The tenant alias the SDK trusts offline; on Azure, the directory's GUID.
          AZURE_TENANT_ID: seed.tenant.alias,
          AZURE_CLIENT_ID: servicePrincipal.appId ?? "",
          AZURE_CLIENT_SECRET: servicePrincipal.secret,
          AZURE_AUTHORITY_HOST: endpoints.authorityHost,
        }
      : {};
  const base = { THIRD_PARTY_API_ENDPOINT: endpoints.thirdPartyApi };
  if (app.step === "01") return base;
  if (app.step === "04" && !endpoints.queueUrl) throw new Error("The queue service is not running in this sandbox.");
  return {
    ...base,
    ...vaultSettings,
    ...(app.step === "04" && endpoints.queueUrl ? { STORAGE_QUEUE_URL: endpoints.queueUrl } : {}),
    ...signIn,
    ...trustAndResolve,
  };
}

/** No app of that name in the sandbox. */
export class AppNotFoundError extends Error {
  override name = "AppNotFoundError";
  constructor(app: string) {
    super(`The sandbox has no app named ${app}.`);
  }
}
