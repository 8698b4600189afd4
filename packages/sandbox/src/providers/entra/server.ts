/**
 * Microsoft Entra ID: OpenID configuration, signing keys and the token endpoint
 * (client credentials, a user's password, federated assertions). It answers
 * to the tenant's GUID and to `adfs`. Beside it, Microsoft Graph (graph.ts):
 * the app registrations and their federated credentials.
 */
import { closing, host, interruptible, type Interruptible } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { entraErrors } from "./errors.ts";
import type { FederationTrust } from "./federation.ts";
import { createGraph } from "./graph.ts";
import { graphErrors } from "./graphErrors.ts";
import { createTokenService } from "./tokenService.ts";

export interface EntraRunning extends RunningProvider, Interruptible {
  /** `https://localhost:<port>`: AZURE_AUTHORITY_HOST. */
  readonly url: string;
  /** `https://localhost:<port>`: Microsoft Graph, and the resource its tokens name (the cloud's microsoftGraphResourceId). */
  readonly graphUrl: string;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly entra: EntraRunning;
  }
}

/**
 * The issuers Entra ID trusts, and where each client's federated credentials are kept. The cluster and
 * GitHub's provider start after Entra ID: they are looked up when an assertion comes.
 */
function federationOf(context: ProviderContext): FederationTrust {
  const cluster = () => context.running["managed-identity"]?.kubernetes.cluster;
  const github = () => context.running.github?.issuer;
  return {
    clusterIssuer: (name) => (cluster()?.name === name ? cluster()?.issuerUrl : undefined),
    issuer(url) {
      if (url !== "" && cluster()?.issuerUrl === url)
        return {
          keys: cluster()?.jwks() ?? { keys: [] },
          renewal: "the projected token file is renewed by the cluster: read it again",
        };
      if (url !== "" && github()?.url === url)
        return {
          keys: github()?.jwks() ?? { keys: [] },
          renewal: "a job's token lives five minutes: ask for a new one (azure/login does, at each run)",
        };
      return undefined;
    },
    credentialsOf(client) {
      if (client.kind === "Application")
        return context.directory.registrations.federatedCredentialsOfClient(client.appId);
      // A user-assigned identity's, kept with it by Resource Manager (managed-identity/resourceTypes.ts).
      return client.identity.federatedIdentityCredentials;
    },
  };
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<EntraRunning> {
    const tls = { cert: context.certificates.certPem, key: context.certificates.keyPem };
    const service = await host(
      createTokenService({
        issuer: context.tokens,
        directory: context.directory,
        resources: context.resources,
        authorityHost: () => context.authorityHost(),
        tenantAlias: context.tenant.tenant.alias,
        audit: context.audit,
        users: context.tenant.users,
        federation: federationOf(context),
      }),
      { name: "Microsoft Entra ID", errors: entraErrors, tls, port: context.ports.login },
    );
    let graphUrl = "";
    const graph = await host(
      createGraph({
        directory: context.directory,
        tokens: context.tokens.validator(),
        url: () => graphUrl,
        tenantId: context.tenant.tenant.id,
      }),
      { name: "Microsoft Graph", errors: graphErrors, tls, port: context.ports.graph ?? 0 },
    );
    graphUrl = `https://localhost:${graph.port}`;
    // Graph's resource is its own URL, as graph.microsoft.com's is: tokens can be asked for it now.
    context.addResource(graphUrl);
    return {
      url: `https://localhost:${service.port}`,
      graphUrl,
      stop: closing(service, graph),
      ...interruptible(service),
    };
  },
};
