/** Microsoft.Authorization has no server of its own: Resource Manager serves its role assignments and definitions. */
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { authorizationTypes } from "./resourceTypes.ts";

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<RunningProvider> {
    context.arm.register(
      ...authorizationTypes({
        rbac: context.rbac,
        subscriptionId: () => context.tenant.subscription.id,
        tenantId: context.tenant.tenant.id,
        principalType: (objectId) => {
          const found = context.directory.describe(objectId);
          return found ? (found.type === "User" ? "User" : "ServicePrincipal") : undefined;
        },
        principalName: (objectId) => context.directory.describe(objectId)?.displayName,
      }),
    );
    return { stop: async () => {} };
  },
};
