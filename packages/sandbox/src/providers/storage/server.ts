/**
 * Queue Storage: its queues and messages in the state store, behind a gateway
 * that checks tokens and roles as Azure does; and storage accounts and queues
 * as Resource Manager's resources, the same queues seen from the control plane.
 */
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { type QueueService, startQueueService } from "../../queue/index.ts";
import { QueueStore } from "../../queue/store.ts";
import { provisionedOf } from "../../provisioning.ts";
import { storageTypes } from "./resourceTypes.ts";

export interface StorageRunning extends RunningProvider {
  /** Queue Storage's data plane, unless the sandbox was started without it. */
  readonly queue: QueueService | undefined;
  /** The account's queues now, by name: the deployment's, and those callers made since. */
  queues(): string[];
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly storage: StorageRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<StorageRunning> {
    const { tenant, names } = context;
    const queue = context.without.has("queue")
      ? undefined
      : await startQueueService({
          certificates: context.certificates,
          tokens: context.tokens.validator(),
          rbac: context.rbac,
          accountScope: context.scopes.storageAccount,
          account: names.storageAccount,
          // The deployment makes the queues (infra/main.json), through Resource Manager; a kept store has them.
          queues: () => provisionedOf(context)?.queues ?? [],
          authority: () => `${context.authorityHost()}/${tenant.tenant.id}`,
          state: context.state,
          port: context.ports.queue,
          audit: context.audit,
        });
    // The queues Resource Manager sees are the data plane's own, in the same store.
    const store = new QueueStore(context.state);
    const queueNames = () => store.listQueues({ prefix: "", from: "", limit: 5000 }).queues.map((queue) => queue.name);
    context.arm.register(
      ...storageTypes({
        resources: context.resourceStore,
        queueEndpoint: (account) => `${queue?.accountUrl.replace(/\/[^/]*$/, "") ?? "https://127.0.0.1"}/${account}/`,
        queues: {
          create: (_account, name, metadata) => void store.createQueue(name, Object.entries(metadata)),
          delete: (_account, name) => void store.deleteQueue(name),
          exists: (_account, name) => store.queue(name) !== undefined,
          list: () => queueNames(),
        },
      }),
    );
    return {
      queue,
      queues: queueNames,
      reload: async () => {
        await queue?.ready;
        // A reset provisioned the store anew: the deployment's queues stay, all else of Queue Storage's goes.
        await queue?.reset();
      },
      stop: async () => queue?.stop(),
    };
  },
};
