/**
 * The registry of the sandbox's resource providers: one line each, in the
 * order they start. Every other list the sandbox keeps is computed here from
 * their manifests: the built-in roles, the token audiences, the audit log's
 * categories, the denials' wording, the `az` command groups. A new provider is
 * a new folder under providers/ and one line below.
 */
import type { AuditCategoryInfo, DenialWording, ProviderManifest } from "./provider.ts";
import { authorization } from "./providers/authorization/index.ts";
import { entra } from "./providers/entra/index.ts";
import { github } from "./providers/github/index.ts";
import { keyVault } from "./providers/key-vault/index.ts";
import { managedIdentity } from "./providers/managed-identity/index.ts";
import { monitor } from "./providers/monitor/index.ts";
import { resources } from "./providers/resources/index.ts";
import { storage } from "./providers/storage/index.ts";
import { web } from "./providers/web/index.ts";
import type { RoleDefinition } from "./roles.ts";

export const PROVIDERS: readonly ProviderManifest[] = [
  web,
  entra,
  managedIdentity,
  github,
  authorization,
  keyVault,
  storage,
  monitor,
  resources,
];

/** Every built-in role, from every provider. */
export const ROLE_DEFINITIONS: readonly RoleDefinition[] = PROVIDERS.flatMap((provider) => provider.roles ?? []);

/** The audiences tokens can be issued for (a provider may add its own once it listens: the vault's carries its port). */
export const AUDIENCES: readonly string[] = PROVIDERS.flatMap((provider) => provider.audiences ?? []);

/** The resource a token is asked for by default for each audience: a provider's first. */
export const RESOURCES: readonly string[] = PROVIDERS.flatMap((provider) => provider.audiences?.slice(0, 1) ?? []);

/** The logs of the audit log, in the order a learner meets them. */
export const AUDIT_CATEGORY_INFO: readonly AuditCategoryInfo[] = PROVIDERS.flatMap(
  (provider) => provider.auditCategories ?? [],
);

/** How each data plane's denials are worded, by the audit category its requests are logged under. */
export const DENIAL_WORDINGS: readonly DenialWording[] = PROVIDERS.flatMap((provider) =>
  provider.denials ? [provider.denials] : [],
);
