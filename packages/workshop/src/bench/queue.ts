/**
 * Queue Storage's figures: enqueues through the sandbox's Queue Storage beside
 * Azurite alone, at several depths (messages already waiting in the queue).
 *
 * - The sandbox: the real QueueClient with step 04's managed identity, as
 *   step 04 sends: HTTPS, a token, RBAC, and a commit to the state store
 *   before each 201.
 * - Azurite alone (azurite.ts): the same client with the account key, plain
 *   HTTP, Azurite's own on-disk persistence.
 *
 * At each depth both queues are emptied, filled to that depth (not measured),
 * then measured in rounds of A B B A: the queue grows by the measured messages
 * meanwhile, which the table says. The same cost per message at every depth
 * is the point: Azure serves 2,000 messages a second per queue, whatever its
 * depth.
 */
import { join } from "node:path";
import { QueueClient, StorageSharedKeyCredential } from "@azure/storage-queue";
import type { Sandbox } from "@keyless/sandbox";
import { startAzurite } from "./azurite.ts";
import type { LoadRequest, LoadResult, QueueTarget } from "./load.ts";
import { Pair, phases, type CallCounter, type Calls, type Measured } from "./pairs.ts";

/** Filling a queue to its depth goes at this concurrency, whatever the measured one. */
const FILL_CONCURRENCY = 32;

export interface QueueSettings {
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  /** The depths to measure at, from the smallest. */
  readonly depths: readonly number[];
  /** Where Azurite keeps its files (a folder of the benchmark's temporary one). */
  readonly stateDir: string;
}

export interface DepthFigures {
  /** Messages waiting when the measurement started. */
  readonly depth: number;
  readonly sandbox: Measured;
  readonly azurite: Measured;
  /** sandbox / Azurite throughput: the median of the rounds' ratios. */
  readonly throughputRatio: number;
}

export interface QueueFigures {
  readonly depths: readonly DepthFigures[];
  /** During the sandbox's measured phases: token-service and Key Vault calls (must be none). */
  readonly calls: Calls;
}

export async function measureQueue(
  sandbox: Sandbox,
  queueName: string,
  settings: QueueSettings,
  load: (request: LoadRequest) => Promise<LoadResult>,
  counter: CallCounter,
): Promise<QueueFigures> {
  const account = sandbox.world.storageAccount;
  const azurite = await startAzurite(account, join(settings.stateDir, "azurite"));
  try {
    const azuriteQueue = new QueueClient(
      `${azurite.accountUrl}/${queueName}`,
      new StorageSharedKeyCredential(account, azurite.key),
    );
    await azuriteQueue.createIfNotExists();
    const targets: Record<"baseline" | "measured", QueueTarget> = {
      baseline: { kind: "accountKey", accountUrl: azurite.accountUrl, account, key: azurite.key, queue: queueName },
      measured: { kind: "managedIdentity", queueUrl: sandbox.queue.queueUrl(queueName) },
    };
    const enqueue = (target: QueueTarget, count: number, concurrency = settings.concurrency): LoadRequest => ({
      kind: "enqueue",
      target,
      count,
      concurrency,
    });
    if (settings.warmup > 0) {
      await load(enqueue(targets.baseline, settings.warmup));
      await load(enqueue(targets.measured, settings.warmup));
    }
    const depths: DepthFigures[] = [];
    for (const depth of settings.depths) {
      await Promise.all([azuriteQueue.clearMessages(), sandbox.queue.clear(queueName)]);
      if (depth > 0) {
        await load(enqueue(targets.baseline, depth, FILL_CONCURRENCY));
        await load(enqueue(targets.measured, depth, FILL_CONCURRENCY));
      }
      const pair = new Pair();
      for (const [side, count, round] of phases(settings.requests)) {
        const request = enqueue(targets[side], count);
        pair.add(side, round, await (side === "measured" ? counter.during(() => load(request)) : load(request)));
      }
      depths.push({
        depth,
        sandbox: pair.merged("measured"),
        azurite: pair.merged("baseline"),
        throughputRatio: pair.throughputRatio(),
      });
    }
    await sandbox.queue.clear(queueName);
    return { depths, calls: counter.take() };
  } finally {
    await azurite.stop();
  }
}
