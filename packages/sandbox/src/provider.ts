/**
 * What a resource provider folder declares. Azure is organised by resource
 * provider (Microsoft.KeyVault, Microsoft.Storage, Microsoft.Web, …): each owns
 * its resource types (the control plane, through Resource Manager), its data
 * plane, its built-in roles, the audience of its tokens and the logs it
 * writes. The sandbox is organised the same way: `src/providers/<name>/` is one
 * provider, `index.ts` in it is its manifest, and `src/registry.ts` lists them.
 *
 * A manifest is data and lazy loaders only, so that reading it costs nothing:
 * the `az` CLI and the live view read every manifest without loading a
 * server.
 */
import type { Command } from "commander";
import type { ResourceManager } from "./arm/resourceManager.ts";
import type { ResourceStore } from "./arm/resourceStore.ts";
import type { AuditLog } from "./audit/log.ts";
import type { Run } from "./az/shell.ts";
import type { Certificates } from "./ca.ts";
import type { RoleAssignments } from "./providers/authorization/rbac.ts";
import type { Directory } from "./providers/entra/directory.ts";
import type { TokenIssuer } from "./providers/entra/tokens.ts";
import type { AdminAccount } from "./providers/resources/admin.ts";
import type { RoleDefinition } from "./roles.ts";
import type { DeployedNames } from "./deployment.ts";
import type { Tenant } from "./tenant.ts";
import type { Journal, JournalSummary } from "./state/journal.ts";
import type { StateStore } from "./state/store.ts";

/** One of the logs Azure keeps, which a provider writes: `AuditEvent`, `StorageQueueLogs`, `SignInLogs`… */
export interface AuditCategoryInfo {
  readonly name: string;
  /** What it records, in a sentence (for `az sandbox audit list --help` and the live view). */
  readonly description: string;
}

/** How the denials of a provider's data plane are worded (see denials/explain.ts). */
export interface DenialWording {
  /** The audit category of its data plane's requests. */
  readonly category: string;
  /** The service, in the learner's words: "Key Vault", "Queue Storage". */
  readonly service: string;
  /** The audience its tokens must name. */
  readonly audience: string;
  /** Azure's messages for the codes its log keeps without one. */
  readonly messages?: Readonly<Record<string, string>>;
  /** The scope a fix grants at, from the resource an action was checked on: the vault for a secret. */
  readonly fixScope?: (resource: string) => string;
  /** Its refusal of an account key or SAS, when it has keys at all. */
  readonly keyAuthentication?: { readonly reason: string; readonly fix: string };
}

/** Registers the provider's `az` command groups (`az keyvault`, `az role`): see az/shell.ts. */
export type AzCommands = (az: Command, run: Run) => void;

export interface ProviderManifest {
  /** Its folder under src/providers. */
  readonly name: string;
  /** In the learner's words: "Azure Key Vault". */
  readonly title: string;
  /** Its Azure resource provider namespace, when it has one: "Microsoft.KeyVault". */
  readonly namespace?: string;
  /** The built-in roles it brings, with Azure's ids and actions. */
  readonly roles?: readonly RoleDefinition[];
  /** The audiences its data plane accepts; the first is the one clients ask tokens for. */
  readonly audiences?: readonly string[];
  /** The logs it writes. */
  readonly auditCategories?: readonly AuditCategoryInfo[];
  readonly denials?: DenialWording;
  /** Its `az` command groups, loaded only by the CLI. */
  readonly az?: () => Promise<{ readonly register: AzCommands }>;
  /**
   * The top-level groups its `az` registers (`keyvault`; `account`, `login`, `logout`, `ad`): the CLI loads
   * only the providers whose group a command names. Tested against what `az` registers.
   */
  readonly azGroups?: readonly string[];
  /** Its servers, loaded only by the sandbox. */
  readonly server?: () => Promise<{ readonly server: ProviderServer }>;
}

/**
 * The providers as they run, by name: each provider's server.ts adds its own
 * entry (`declare module "../../provider.ts"`), so that another provider can
 * reach it typed, and no list of them is kept here.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by each provider's server.ts
export interface RunningProviders {}

/** What every running provider can do. */
export interface RunningProvider {
  /** Stops its servers (its state stays in the store). */
  stop(): Promise<void>;
  /** Reads its state again, after a reset wrote the store anew. */
  reload?(): Promise<void> | void;
}

/** The server side of a provider: loaded only by the sandbox itself, never by `az`. */
export interface ProviderServer {
  start(context: ProviderContext): Promise<RunningProvider>;
}

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
  /** App Service's front ends: every site, and its deployment service; any free port when not given. */
  readonly web?: number;
  /** GitHub Actions' OIDC provider (the issuer workflows' tokens name); any free port when not given. */
  readonly github?: number;
  /** Microsoft Graph (app registrations, their federated credentials); any free port when not given. */
  readonly graph?: number;
}

/** The ARM resource ids of the sandbox's resources, for role assignment scopes. */
export interface SandboxScopes {
  readonly subscription: string;
  readonly resourceGroup: string;
  readonly vault: string;
  readonly storageAccount: string;
  queue(name: string): string;
}

/** What every provider starts with: the shared state, Entra ID's tokens and directory, RBAC, and the others. */
export interface ProviderContext {
  /** What lives outside Resource Manager (tenant.json). */
  readonly tenant: Tenant;
  /** The names the deployment gives the vault and the storage account (its parameters), known before it runs. */
  readonly names: DeployedNames;
  readonly scopes: SandboxScopes;
  readonly state: StateStore;
  /** Resource Manager's control plane: each provider registers its resource types with it. */
  readonly arm: ResourceManager;
  /** Where Resource Manager keeps resources (for types that need nothing more: arm/resourceStore.ts). */
  readonly resourceStore: ResourceStore;
  /** What callers changed since provisioning: `npm run reset` reads it. */
  readonly journal: Journal;
  readonly certificates: Certificates;
  readonly tokens: TokenIssuer;
  readonly directory: Directory;
  readonly rbac: RoleAssignments;
  readonly stateDir: string;
  readonly ports: SandboxPorts;
  /** Every resource a token can be asked for: the registry's audiences (and those `addResource` adds). */
  readonly resources: readonly string[];
  /** One more audience, known once a service listens: the vault's resource carries its port (see key-vault/service.ts). */
  addResource(resource: string): void;
  /** `https://localhost:<port>`: Microsoft Entra ID, once it listens. */
  authorityHost(): string;
  /** The whole sandbox back to its provisioned state (Resource Manager offers it to `az`). */
  resetAll(): Promise<ResetReport>;
  /** What `az account show` and friends describe. */
  account(): AdminAccount;
  /** A site's environment: its application settings, and what its host adds. */
  siteEnvironment(site: string): Record<string, string>;
  /** A sentence for whoever runs the sandbox: a service went down or came back. */
  onEvent(text: string): void;
  /** Services the caller asked not to run (`queue`: tests that need no Queue Storage); their resource types stay. */
  readonly without: ReadonlySet<string>;
  /** The providers started before this one, by name. */
  readonly running: RunningProviders;
  /** Every sign-in and data-plane request, as Azure's logs would show them. */
  readonly audit: AuditLog;
}

/** What a reset discarded: the changes made since provisioning, by kind. */
export interface ResetReport {
  readonly discarded: readonly JournalSummary[];
}
