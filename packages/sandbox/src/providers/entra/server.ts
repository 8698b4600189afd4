/**
 * Microsoft Entra ID: OpenID configuration, signing keys and the token endpoint
 * (client credentials, a user's password, federated assertions). It answers
 * to the tenant's GUID and to `adfs`.
 */
import { closing, host, interruptible, type Interruptible } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { entraErrors } from "./errors.ts";
import { createTokenService } from "./tokenService.ts";

export interface EntraRunning extends RunningProvider, Interruptible {
  /** `https://localhost:<port>`: AZURE_AUTHORITY_HOST. */
  readonly url: string;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly entra: EntraRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<EntraRunning> {
    // The cluster starts after Entra ID: it is looked up when an assertion comes.
    const cluster = () => context.running["managed-identity"]?.kubernetes.cluster;
    const service = await host(
      createTokenService({
        issuer: context.tokens,
        directory: context.directory,
        resources: context.resources,
        authorityHost: () => context.authorityHost(),
        tenantAlias: context.seed.tenant.alias,
        audit: context.audit,
        users: context.seed.users,
        federation: {
          clusterIssuer: (name) => (cluster()?.name === name ? cluster()?.issuerUrl : undefined),
          keysOf: (issuerUrl) => (cluster()?.issuerUrl === issuerUrl ? cluster()?.jwks() : undefined),
        },
      }),
      {
        name: "Microsoft Entra ID",
        errors: entraErrors,
        tls: { cert: context.certificates.certPem, key: context.certificates.keyPem },
        port: context.ports.login,
      },
    );
    return { url: `https://localhost:${service.port}`, stop: closing(service), ...interruptible(service) };
  },
};
