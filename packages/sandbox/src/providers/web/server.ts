/**
 * App Service's part of the sandbox: the scenario's third party, an Azure
 * Function that wants its key in `x-functions-key`, with the function keys
 * Azure Functions keeps (kept in the state store, so a rotation outlives a
 * restart).
 */
import { startThirdPartyApi, type RunningThirdPartyApi } from "@keyless/third-party-api";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { FunctionKeys } from "./functionKeys.ts";

export interface WebRunning extends RunningProvider {
  readonly api: RunningThirdPartyApi;
  readonly functionKeys: FunctionKeys;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly web: WebRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<WebRunning> {
    const api = await startThirdPartyApi({ keys: context.seed.thirdParty.keys, port: context.ports.thirdParty });
    const functionKeys = new FunctionKeys({ function: api, state: context.state, journal: context.journal });
    return {
      api,
      functionKeys,
      reload: async () => {
        functionKeys.reload();
        api.setFault(null);
        await api.start();
      },
      stop: () => api.stop(),
    };
  },
};
