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
import type { RoleDefinition } from "./roles.ts";

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
export type AzCommands = (az: Command, run: import("./az/shell.ts").Run) => void;

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
}
