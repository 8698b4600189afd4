/**
 * `az keyvault …`: the Key Vault data plane through the real protocol (the
 * same SecretClient the steps use, with the developer's token), so a learner
 * who lacks a role gets the vault's own 403, exactly as on Azure; and `az
 * keyvault show`, the vault as Resource Manager holds it (its id is a role's scope).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { SecretClient, SecretProperties } from "@azure/keyvault-secrets";
import type { Command } from "commander";
import type { Connection } from "../../az/connection.ts";
import { azDate, type Run, type Shell, usage } from "../../az/shell.ts";

const attributes = (properties: SecretProperties) => ({
  created: azDate(properties.createdOn),
  enabled: properties.enabled ?? true,
  expires: azDate(properties.expiresOn),
  notBefore: azDate(properties.notBefore),
  recoverableDays: properties.recoverableDays ?? null,
  recoveryLevel: properties.recoveryLevel ?? null,
  updated: azDate(properties.updatedOn),
});

/** The shape `az keyvault secret show/set` prints. */
function secretJson(properties: SecretProperties, value?: string) {
  return {
    attributes: attributes(properties),
    contentType: properties.contentType ?? null,
    id: properties.id ?? null,
    kid: properties.keyId ?? null,
    managed: properties.managed ?? null,
    name: properties.name,
    tags: properties.tags ?? null,
    ...(value !== undefined ? { value } : {}),
  };
}

/** The shape of one item of `az keyvault secret list`: no value, no version in the id. */
const secretItemJson = (properties: SecretProperties) => ({
  attributes: attributes(properties),
  contentType: properties.contentType ?? null,
  id: properties.id ?? null,
  managed: properties.managed ?? null,
  name: properties.name,
  tags: properties.tags ?? null,
});

/** Microsoft.KeyVault's api-version `az keyvault show` sends. */
const VAULT_API = "2023-07-01";

interface Vault {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly location?: string;
  readonly tags?: Record<string, string>;
  readonly properties?: Record<string, unknown>;
}

/** `az keyvault show`'s shape: the vault as Resource Manager answers it. */
const vaultJson = (vault: Vault) => ({
  id: vault.id,
  location: vault.location ?? null,
  name: vault.name,
  properties: vault.properties ?? {},
  systemData: null,
  tags: vault.tags ?? {},
  type: vault.type,
});

const vaultUrlOf = (connection: Connection, vaultName: string) => {
  const url = new URL(connection.endpoints.keyVaultUrl);
  url.hostname = url.hostname.replace(/^[^.]+/, vaultName.toLowerCase());
  return url.origin;
};

const tagsOf = (pairs: readonly string[] | undefined) =>
  pairs
    ? Object.fromEntries(pairs.map((pair) => [pair.split("=")[0] ?? "", pair.split("=").slice(1).join("=")]))
    : undefined;

export function register(az: Command, run: Run): void {
  const keyvault = az.command("keyvault").description("Manage KeyVault keys, secrets, and certificates.");
  const secret = keyvault.command("secret").description("Manage secrets.");
  // Loaded on use: the SDK is most of az's start-up time, and role commands don't need it.
  const client = async (connection: Connection, vaultName: string): Promise<SecretClient> => {
    const { SecretClient } = await import("@azure/keyvault-secrets");
    return new SecretClient(vaultUrlOf(connection, vaultName), connection.credential);
  };
  const onVault = (vaultName: string, work: (vault: SecretClient, shell: Shell) => Promise<unknown>) =>
    run(async (connection, shell) => work(await client(connection, vaultName), shell));
  const named = (command: Command) =>
    command
      .requiredOption("--vault-name <name>", "name of the Key Vault")
      .requiredOption("-n, --name <name>", "name of the secret");

  keyvault
    .command("show")
    .description("Show details of a Vault.")
    .requiredOption("-n, --name <name>", "name of the Vault")
    .option("-g, --resource-group <group>", "name of the resource group")
    .action((options: { name: string; resourceGroup?: string }) =>
      run(async (connection) => {
        // Resource Manager's vault, found in its group or, as az does without -g, among the subscription's vaults.
        const subscription = `/subscriptions/${await connection.subscriptionId()}`;
        if (options.resourceGroup)
          return vaultJson(
            await connection.arm<Vault>(
              "GET",
              `${subscription}/resourceGroups/${options.resourceGroup}/providers/Microsoft.KeyVault/vaults/${options.name}`,
              VAULT_API,
            ),
          );
        const { value } = await connection.arm<{ value: Vault[] }>(
          "GET",
          `${subscription}/providers/Microsoft.KeyVault/vaults`,
          VAULT_API,
        );
        const found = value.find((vault) => vault.name.toLowerCase() === options.name.toLowerCase());
        if (!found)
          throw Object.assign(new Error(`The Vault '${options.name}' not found within subscription.`), {
            code: "ResourceNotFound",
          });
        return vaultJson(found);
      }),
    );

  named(secret.command("set"))
    .description("Create a secret (if one doesn't exist) or update a secret in a KeyVault.")
    .option("--value <value>", "plain text secret value")
    .option("-f, --file <path>", "source file for secret")
    .option("--encoding <encoding>", "source file encoding (utf-8 only here)", "utf-8")
    .option("--description <text>", "description of the secret contents (e.g. password, connection string)")
    .option("--disabled", "create secret in disabled state")
    .option("--expires <date>", "expiration UTC datetime (Y-m-d'T'H:M:S'Z')")
    .option("--not-before <date>", "key not usable before the provided UTC datetime (Y-m-d'T'H:M:S'Z')")
    .option("--tags <tags...>", "space-separated tags: key[=value]")
    .action(
      (options: {
        vaultName: string;
        name: string;
        value?: string;
        file?: string;
        encoding: string;
        description?: string;
        disabled?: boolean;
        expires?: string;
        notBefore?: string;
        tags?: string[];
      }) =>
        onVault(options.vaultName, async (vault, shell) => {
          if ((options.value === undefined) === (options.file === undefined))
            throw usage("usage error: --value VALUE | --file PATH");
          // npm runs scripts in the package folder; INIT_CWD is where the learner typed the command.
          const value =
            options.value ??
            readFileSync(resolve(shell.env["INIT_CWD"] ?? shell.file("."), options.file ?? ""), "utf8");
          const saved = await vault.setSecret(options.name, value, {
            // az records how a file was read, so `az keyvault secret download` can write it back.
            tags: { "file-encoding": options.encoding, ...tagsOf(options.tags) },
            ...(options.description ? { contentType: options.description } : {}),
            ...(options.disabled ? { enabled: false } : {}),
            ...(options.expires ? { expiresOn: new Date(options.expires) } : {}),
            ...(options.notBefore ? { notBefore: new Date(options.notBefore) } : {}),
          });
          return secretJson(saved.properties, saved.value);
        }),
    );

  named(secret.command("show"))
    .description("Get a specified secret from a given key vault.")
    .option("-v, --version <version>", "the secret version (default: latest)")
    .action((options: { vaultName: string; name: string; version?: string }) =>
      onVault(options.vaultName, async (vault) => {
        const found = await vault.getSecret(options.name, options.version ? { version: options.version } : {});
        return secretJson(found.properties, found.value);
      }),
    );

  secret
    .command("list")
    .description("List secrets in a specified key vault.")
    .requiredOption("--vault-name <name>", "name of the Key Vault")
    .option("--maxresults <n>", "maximum number of results to return")
    .action((options: { vaultName: string; maxresults?: string }) =>
      onVault(options.vaultName, async (vault) => {
        const items = [];
        for await (const properties of vault.listPropertiesOfSecrets()) {
          items.push(secretItemJson(properties));
          if (options.maxresults && items.length >= Number(options.maxresults)) break;
        }
        return items;
      }),
    );

  named(secret.command("list-versions"))
    .description("List all versions of the specified secret.")
    .action((options: { vaultName: string; name: string }) =>
      onVault(options.vaultName, async (vault) => {
        const items = [];
        for await (const properties of vault.listPropertiesOfSecretVersions(options.name))
          items.push(secretItemJson(properties));
        return items;
      }),
    );

  named(secret.command("set-attributes"))
    .description("Updates the attributes associated with a specified secret in a given key vault.")
    .option("--version <version>", "the secret version (default: latest)")
    .option("--enabled <bool>", "enable the secret (true or false)")
    .option("--content-type <type>", "type of the secret value such as a password")
    .option("--tags <tags...>", "space-separated tags: key[=value]")
    .action(
      (options: {
        vaultName: string;
        name: string;
        version?: string;
        enabled?: string;
        contentType?: string;
        tags?: string[];
      }) =>
        onVault(options.vaultName, async (vault) => {
          // An empty version is the latest one, as az sends it.
          const updated = await vault.updateSecretProperties(options.name, options.version ?? "", {
            ...(options.enabled !== undefined ? { enabled: options.enabled.toLowerCase() === "true" } : {}),
            ...(options.contentType ? { contentType: options.contentType } : {}),
            ...(options.tags ? { tags: tagsOf(options.tags) ?? {} } : {}),
          });
          return secretJson(updated);
        }),
    );

  named(secret.command("delete"))
    .description("Delete a secret from a specified key vault (soft delete: it can be recovered until it is purged).")
    .action((options: { vaultName: string; name: string }) =>
      onVault(options.vaultName, async (vault) => {
        const deleted = await (await vault.beginDeleteSecret(options.name)).pollUntilDone();
        return {
          ...secretJson(deleted.properties),
          deletedDate: azDate(deleted.properties.deletedOn),
          recoveryId: deleted.properties.recoveryId ?? null,
          scheduledPurgeDate: azDate(deleted.properties.scheduledPurgeDate),
        };
      }),
    );

  secret
    .command("list-deleted")
    .description("Lists deleted secrets for the specified vault.")
    .requiredOption("--vault-name <name>", "name of the Key Vault")
    .action((options: { vaultName: string }) =>
      onVault(options.vaultName, async (vault) => {
        const items = [];
        for await (const deleted of vault.listDeletedSecrets()) {
          items.push({
            ...secretItemJson(deleted.properties),
            deletedDate: azDate(deleted.properties.deletedOn),
            recoveryId: deleted.properties.recoveryId ?? null,
            scheduledPurgeDate: azDate(deleted.properties.scheduledPurgeDate),
          });
        }
        return items;
      }),
    );

  named(secret.command("recover"))
    .description("Recover a deleted secret to its latest version.")
    .action((options: { vaultName: string; name: string }) =>
      onVault(options.vaultName, async (vault) =>
        secretJson(await (await vault.beginRecoverDeletedSecret(options.name)).pollUntilDone()),
      ),
    );

  named(secret.command("purge"))
    .description("Permanently delete the specified secret.")
    .action((options: { vaultName: string; name: string }) =>
      onVault(options.vaultName, async (vault) => {
        await vault.purgeDeletedSecret(options.name);
        return undefined;
      }),
    );
}
