/** Queue Storage, behind a gateway that checks tokens and roles as Azure does, and its accounts and queues as resources. */
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { type QueueService, startQueueService } from "../../queue/index.ts";
import { storageTypes } from "./resourceTypes.ts";

export interface StorageRunning extends RunningProvider {
  /** Queue Storage's data plane, unless the sandbox was started without it. */
  readonly queue: QueueService | undefined;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly storage: StorageRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<StorageRunning> {
    const { seed } = context;
    const queue = context.without.has("queue")
      ? undefined
      : await startQueueService({
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
    // The queues Resource Manager knows of, by account (the data plane creates its seed's own).
    const names = context.state.collection<true>("queueNames");
    const key = (account: string, name: string) => `${account}/${name}`.toLowerCase();
    context.arm.register(
      ...storageTypes({
        resources: context.resourceStore,
        queueEndpoint: (account) => `${queue?.accountUrl.replace(/\/[^/]*$/, "") ?? "https://127.0.0.1"}/${account}/`,
        queues: {
          create: (account, name) => names.put(key(account, name), true),
          delete: (account, name) => void names.delete(key(account, name)),
          exists: (account, name) => names.has(key(account, name)),
          list: (account) =>
            names
              .entries()
              .map(([name]) => name)
              .filter((name) => name.startsWith(`${account.toLowerCase()}/`))
              .map((name) => name.slice(account.length + 1)),
        },
      }),
    );
    return {
      queue,
      reload: async () => {
        await queue?.ready;
        await queue?.reset();
      },
      stop: async () => queue?.stop(),
    };
  },
};
