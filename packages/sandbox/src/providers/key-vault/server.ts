/** Azure Key Vault: its secrets, kept in the state store, behind Microsoft Entra tokens and Azure RBAC. */
import { closing, host, interruptible, type Interruptible } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { keyVaultErrors } from "./errors.ts";
import { createKeyVault, vaultResourceOf } from "./service.ts";
import { SecretStore } from "./store.ts";

export interface KeyVaultRunning extends RunningProvider, Interruptible {
  /** KEY_VAULT_URL: `https://<name>.vault.localhost:<port>`. */
  readonly url: string;
  readonly secrets: SecretStore;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly "key-vault": KeyVaultRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<KeyVaultRunning> {
    const { seed, scopes } = context;
    const secrets = new SecretStore({ vault: seed.keyVault.name, state: context.state, journal: context.journal });
    let url = "";
    const service = await host(
      createKeyVault({
        name: seed.keyVault.name,
        store: secrets,
        resourceId: scopes.vault,
        location: seed.subscription.location,
        tokens: context.tokens.validator(),
        rbac: context.rbac,
        authority: () => `${context.authorityHost()}/${seed.tenant.alias}`,
        issuer: context.tokens.issuer,
        vaultUrl: () => url,
        audit: context.audit,
      }),
      {
        name: "Azure Key Vault",
        errors: keyVaultErrors,
        tls: { cert: context.certificates.certPem, key: context.certificates.keyPem },
        port: context.ports.vault,
      },
    );
    url = `https://${seed.keyVault.name}.vault.localhost:${service.port}`;
    context.addResource(vaultResourceOf(url));
    return { url, secrets, stop: closing(service), ...interruptible(service) };
  },
};
