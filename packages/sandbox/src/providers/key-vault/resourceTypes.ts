/**
 * Microsoft.KeyVault's control plane: vaults, and secrets as Resource Manager
 * sees them (a template sets a secret's value; a GET never shows it). A vault
 * created here is served by the data plane at once, at
 * `https://<name>.vault.localhost:<port>`.
 */
import { envelope, type ResourceStore, storedType } from "../../arm/resourceStore.ts";
import { type ArmResource, ArmFailure, type ResourceTypeHandler } from "../../arm/resourceType.ts";
import type { SecretStore } from "./store.ts";
import { MAX_CONTENT_TYPE_LENGTH, MAX_VALUE_LENGTH, SECRET_NAME } from "./validation.ts";

export const VAULT_TYPE = "Microsoft.KeyVault/vaults";
export const SECRET_TYPE = "Microsoft.KeyVault/vaults/secrets";

/** Azure's rule: 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, no "--". */
const VAULT_NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

export interface KeyVaultTypesOptions {
  readonly resources: ResourceStore;
  readonly tenantId: string;
  /** The vault's URL in the sandbox: `https://<name>.vault.localhost:<port>`. */
  readonly vaultUrl: (name: string) => string;
  /** The secrets of a vault. */
  readonly secretsOf: (vault: string) => SecretStore;
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

export function keyVaultTypes(options: KeyVaultTypesOptions): ResourceTypeHandler[] {
  const vaults = storedType(options.resources, {
    type: VAULT_TYPE,
    accept: ({ id, body }) => {
      if (!VAULT_NAME.test(id.name))
        throw new ArmFailure(
          400,
          "VaultNameNotValid",
          `The vault name '${id.name.slice(0, 64)}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.`,
        );
      if (!body.location)
        throw new ArmFailure(400, "LocationRequired", "The location property is required for this definition.");
      const properties = record(body.properties);
      const sku = record(properties["sku"]);
      if (sku["name"] !== "standard" && sku["name"] !== "premium")
        throw new ArmFailure(400, "BadRequest", "The property 'sku.name' must be 'standard' or 'premium'.");
      // The workshop teaches Azure RBAC for Key Vault (the default for new vaults): access policies are history,
      // and a vault that asks for them is refused rather than served as if it had RBAC.
      if (properties["enableRbacAuthorization"] === false)
        throw new ArmFailure(
          400,
          "BadRequest",
          "This sandbox serves vaults with Azure RBAC only (enableRbacAuthorization: true, the default for new vaults): access policies are not supported.",
        );
      return envelope(id, body, {
        ...properties,
        tenantId: typeof properties["tenantId"] === "string" ? properties["tenantId"] : options.tenantId,
        enableRbacAuthorization: true,
        accessPolicies: [],
        enableSoftDelete: true,
        softDeleteRetentionInDays: properties["softDeleteRetentionInDays"] ?? 90,
        provisioningState: "Succeeded",
      });
    },
    // Its URL carries the data plane's port, which a restart may change: computed when shown.
    show: (vault) => ({ ...vault, properties: { ...vault.properties, vaultUri: `${options.vaultUrl(vault.name)}/` } }),
  });

  const showSecret = (vaultId: string, vault: string, name: string): ArmResource | undefined => {
    const secret = options.secretsOf(vault).get(name);
    const version = secret?.versions.at(-1);
    if (!secret || !version) return undefined;
    const uri = `${options.vaultUrl(vault)}/secrets/${secret.name}`;
    return {
      id: `${vaultId}/secrets/${secret.name}`,
      name: secret.name,
      type: SECRET_TYPE,
      properties: {
        secretUri: uri,
        secretUriWithVersion: `${uri}/${version.version}`,
        ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
        attributes: {
          enabled: version.enabled,
          ...(version.notBefore !== undefined ? { nbf: version.notBefore } : {}),
          ...(version.expires !== undefined ? { exp: version.expires } : {}),
          created: version.created,
          updated: version.updated,
        },
      },
    };
  };
  const secrets: ResourceTypeHandler = {
    type: SECRET_TYPE,
    put({ id, body }) {
      const [vault = "", name = ""] = id.names;
      if (!SECRET_NAME.test(name))
        throw new ArmFailure(
          400,
          "BadRequest",
          `The secret name '${name.slice(0, 127)}' is invalid: 1-127 letters, digits and hyphens.`,
        );
      const properties = record(body.properties);
      const value = properties["value"];
      if (typeof value !== "string")
        throw new ArmFailure(400, "BadRequest", "The property 'properties.value' is required and must be a string.");
      if (value.length > MAX_VALUE_LENGTH)
        throw new ArmFailure(
          400,
          "BadRequest",
          `Secret is beyond the maximum permitted length of ${MAX_VALUE_LENGTH} characters.`,
        );
      const contentType = properties["contentType"];
      if (
        contentType !== undefined &&
        (typeof contentType !== "string" || contentType.length > MAX_CONTENT_TYPE_LENGTH)
      )
        throw new ArmFailure(
          400,
          "BadRequest",
          `The property 'contentType' must be a string of at most ${MAX_CONTENT_TYPE_LENGTH} characters.`,
        );
      const attributes = record(properties["attributes"]);
      const store = options.secretsOf(vault);
      if (store.getDeleted(name) || store.inTransition(name))
        throw new ArmFailure(
          409,
          "Conflict",
          `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        );
      store.set(name, {
        value,
        ...(typeof contentType === "string" ? { contentType } : {}),
        ...(typeof attributes["enabled"] === "boolean" ? { enabled: attributes["enabled"] } : {}),
        ...(typeof attributes["nbf"] === "number" ? { notBefore: attributes["nbf"] } : {}),
        ...(typeof attributes["exp"] === "number" ? { expires: attributes["exp"] } : {}),
      });
      const shown = showSecret(id.parent ?? "", vault, name);
      if (!shown) throw new ArmFailure(500, "InternalServerError", "The secret could not be read back.");
      return shown;
    },
    get: (id) => showSecret(id.parent ?? "", id.names[0] ?? "", id.names[1] ?? ""),
    list: (parent) => {
      const vault = parent.split("/").at(-1) ?? "";
      return options
        .secretsOf(vault)
        .list()
        .flatMap((secret) => showSecret(parent, vault, secret.name) ?? []);
    },
    delete: ({ id }) => options.secretsOf(id.names[0] ?? "").delete(id.names[1] ?? "") !== undefined,
  };
  return [vaults, secrets];
}
