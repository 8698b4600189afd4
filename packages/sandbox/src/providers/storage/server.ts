/** Queue Storage, behind a gateway that checks tokens and roles as Azure does. */
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { startQueueService, type QueueService } from "../../queue/index.ts";

export interface StorageRunning extends RunningProvider {
  readonly queue: QueueService;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly storage: StorageRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<StorageRunning> {
    const { seed } = context;
    const queue = await startQueueService({
      certificates: context.certificates,
      tokens: context.tokens.validator(),
      rbac: context.rbac,
      accountScope: context.scopes.storageAccount,
      account: seed.storage.account,
      queues: seed.storage.queues,
      authority: () => `${context.authorityHost()}/${seed.tenant.id}`,
      port: context.ports.queue,
      compileCacheDir: `${context.stateDir}/compile-cache`,
      onEvent: (text) => context.onEvent(text),
      audit: context.audit,
    });
    return { queue, reload: () => queue.reset(), stop: () => queue.stop() };
  },
};
