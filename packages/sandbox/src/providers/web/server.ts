/**
 * App Service's part of the sandbox: its resource types (plans, sites and
 * their settings, identities, host keys; functions and their keys), and the scenario's third party, an
 * Azure Function that wants its key in `x-functions-key`, served over HTTPS at
 * its function app's host name, with the keys Azure Functions keeps (in the
 * state store, so a rotation outlives a restart).
 */
import { startThirdPartyApi, type RunningThirdPartyApi } from "@keyless/third-party-api";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { FunctionKeys } from "./functionKeys.ts";
import { functionTypes } from "./functionTypes.ts";
import { THIRD_PARTY_APP, THIRD_PARTY_FUNCTION } from "./thirdParty.ts";
import { webTypes } from "./resourceTypes.ts";

export interface WebRunning extends RunningProvider {
  readonly api: RunningThirdPartyApi;
  readonly functionKeys: FunctionKeys;
  /** Where a site answers: `<name>.azurewebsites.localhost:<port>`. */
  hostNameOf(site: string): string;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly web: WebRunning;
  }
}

const HOST_SUFFIX = "azurewebsites.localhost";

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<WebRunning> {
    const api = await startThirdPartyApi({
      keys: context.seed.thirdParty.keys,
      port: context.ports.thirdParty,
      tls: { cert: context.certificates.certPem, key: context.certificates.keyPem },
      hostName: `${THIRD_PARTY_APP}.${HOST_SUFFIX}`,
    });
    const functionKeys = new FunctionKeys({ function: api, state: context.state, journal: context.journal });
    // The third party's function app answers on its own port; the other sites are not served yet.
    const hostNameOf = (site: string) =>
      site.toLowerCase() === THIRD_PARTY_APP
        ? `${THIRD_PARTY_APP}.${HOST_SUFFIX}:${api.port}`
        : `${site.toLowerCase()}.${HOST_SUFFIX}`;
    context.arm.register(
      ...webTypes({
        resources: context.resourceStore,
        directory: context.directory,
        tenantId: context.seed.tenant.id,
        hostNameOf,
        thirdParty: { name: THIRD_PARTY_APP, keys: functionKeys, issued: context.seed.thirdParty.keys },
      }),
      ...functionTypes({
        resources: context.resourceStore,
        thirdParty: { name: THIRD_PARTY_APP, functionName: THIRD_PARTY_FUNCTION, keys: functionKeys },
        hostNameOf,
      }),
    );
    return {
      api,
      functionKeys,
      hostNameOf,
      reload: async () => {
        functionKeys.reload();
        api.setFault(null);
        await api.start();
      },
      stop: () => api.stop(),
    };
  },
};
