/**
 * Azure Key Vault: its vaults (Resource Manager's control plane) and their
 * secrets' data plane, behind Microsoft Entra tokens and Azure RBAC, every
 * vault at `https://<name>.vault.localhost:<port>` on one server.
 */
import { closing, host, interruptible, type Interruptible } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { keyVaultErrors } from "./errors.ts";
import type { VaultInstance } from "./handlers.ts";
import { keyVaultTypes, VAULT_TYPE } from "./resourceTypes.ts";
import { createKeyVault, vaultResourceOf } from "./service.ts";
import { SecretStore } from "./store.ts";

export interface KeyVaultRunning extends RunningProvider, Interruptible {
  /** A vault's URL: `https://<name>.vault.localhost:<port>`. */
  urlOf(vault: string): string;
  /** A vault's secrets. */
  secretsOf(vault: string): SecretStore;
  /** How long a deletion or a recovery takes, for every vault (see SecretStore.transitionDelayMs). */
  transitionDelayMs: number;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly "key-vault": KeyVaultRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<KeyVaultRunning> {
    const { tenant, arm } = context;
    let port = 0;
    let transitionDelayMs = 0;
    const stores = new Map<string, SecretStore>();
    const secretsOf = (vault: string) => {
      const key = vault.toLowerCase();
      let store = stores.get(key);
      if (!store) {
        store = new SecretStore({ vault: key, state: context.state, journal: context.journal, transitionDelayMs });
        stores.set(key, store);
      }
      return store;
    };
    const urlOf = (vault: string) => `https://${vault.toLowerCase()}.vault.localhost:${port}`;
    arm.register(
      ...keyVaultTypes({ resources: context.resourceStore, tenantId: tenant.tenant.id, vaultUrl: urlOf, secretsOf }),
    );
    /** The vault of a name, from Resource Manager: a vault created by a deployment or `az` is served at once. */
    const vault = (name: string): VaultInstance | undefined => {
      const found = context.resourceStore.ofType(VAULT_TYPE).find((candidate) => candidate.name.toLowerCase() === name);
      return found
        ? {
            name: found.name,
            resourceId: found.id,
            location: found.location ?? "",
            store: secretsOf(found.name),
            url: urlOf(found.name),
          }
        : undefined;
    };
    const service = await host(
      createKeyVault({
        vault,
        serviceId: `${context.scopes.subscription}/providers/Microsoft.KeyVault`,
        tokens: context.tokens.validator(),
        rbac: context.rbac,
        authority: () => `${context.authorityHost()}/${tenant.tenant.alias}`,
        issuer: context.tokens.issuer,
        challengeResource: () => vaultResourceOf(urlOf("vault")),
        audit: context.audit,
      }),
      {
        name: "Azure Key Vault",
        errors: keyVaultErrors,
        tls: { cert: context.certificates.certPem, key: context.certificates.keyPem },
        port: context.ports.vault,
      },
    );
    port = service.port;
    context.addResource(vaultResourceOf(urlOf("vault")));
    return {
      urlOf,
      secretsOf,
      get transitionDelayMs() {
        return transitionDelayMs;
      },
      set transitionDelayMs(ms: number) {
        transitionDelayMs = ms;
        for (const store of stores.values()) store.transitionDelayMs = ms;
      },
      stop: closing(service),
      ...interruptible(service),
    };
  },
};
