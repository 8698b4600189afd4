/**
 * The deployment the tenant file names, and what the sandbox reads of it: the
 * template and its parameters (the vault's and the storage account's names,
 * which the services need before anything is deployed), and, once it is
 * provisioned, what the resource store holds: the sites, and the code each
 * one runs.
 *
 * A site says which code it runs with a tag on its `Microsoft.Web/sites`
 * resource, `keyless-code` (a folder of the repository, `steps/03-…`), which
 * Azure keeps and ignores; an exercise's site says which site it is like
 * with `keyless-exercise`. No step number is known here.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ResourceStore } from "./arm/resourceStore.ts";
import type { Directory } from "./providers/entra/directory.ts";
import { settingsOf } from "./providers/web/resourceTypes.ts";
import type { Tenant } from "./tenant.ts";

/** The repository's root: the tenant file's paths are relative to it. */
const REPO_ROOT = new URL("../../../", import.meta.url);

/** The tag that names the folder of the code a site runs. */
export const CODE_TAG = "keyless-code";
/** The tag that names the site an exercise's site is like. */
export const EXERCISE_TAG = "keyless-exercise";

const SITE_TYPE = "microsoft.web/sites";

export interface DeploymentFiles {
  readonly template: string;
  readonly parameters: string;
}

/** The template and parameters files of the tenant's deployment, as paths. */
export function deploymentFilesOf(tenant: Tenant): DeploymentFiles {
  return {
    template: fileURLToPath(new URL(tenant.deployment.template, REPO_ROOT)),
    parameters: fileURLToPath(new URL(tenant.deployment.parameters, REPO_ROOT)),
  };
}

/** The parameters file's values, by name. */
export function deploymentParameters(tenant: Tenant): Record<string, unknown> {
  const file = JSON.parse(readFileSync(deploymentFilesOf(tenant).parameters, "utf8")) as {
    parameters?: Record<string, { value?: unknown }>;
  };
  return Object.fromEntries(Object.entries(file.parameters ?? {}).map(([name, entry]) => [name, entry.value]));
}

/** The names the services need before the deployment runs: what its parameters give the vault and the storage account. */
export interface DeployedNames {
  readonly keyVault: string;
  readonly storageAccount: string;
}

export function deployedNamesOf(tenant: Tenant): DeployedNames {
  const parameters = deploymentParameters(tenant);
  const named = (parameter: string) => {
    const value = parameters[parameter];
    if (typeof value !== "string" || value === "")
      throw new Error(`${tenant.deployment.parameters} must give ${parameter} a value: the sandbox serves it by name.`);
    return value;
  };
  return { keyVault: named("keyVaultName"), storageAccount: named("storageAccountName") };
}

/** A site of the sandbox that runs an app: a template's (with its code) or an exercise's (like one of those). */
export interface SiteInfo {
  readonly name: string;
  /** The repository folder whose code it runs (its `keyless-code` tag), e.g. `steps/03-managed-identity`. */
  readonly code?: string;
  /** For an exercise's site: the site it is like (its `keyless-exercise` tag). */
  readonly like?: string;
  /** How it signs in: its system-assigned managed identity, a service principal's secret in its settings, or not at all. */
  readonly identity: "system" | "service-principal" | "none";
}

/** The sites that run an app (the function app of the third party is not one), in name order. */
export function sitesOf(resources: ResourceStore, directory: Directory): SiteInfo[] {
  return resources
    .ofType(SITE_TYPE)
    .flatMap((site): SiteInfo[] => {
      const tags = site.tags ?? {};
      const code = tags[CODE_TAG];
      const like = tags[EXERCISE_TAG];
      if (code === undefined && like === undefined) return [];
      const identity = directory.apps.has(site.name)
        ? "system"
        : settingsOf(resources, site.id)["AZURE_CLIENT_SECRET"]
          ? "service-principal"
          : "none";
      return [{ name: site.name, ...(code ? { code } : {}), ...(like ? { like } : {}), identity }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
