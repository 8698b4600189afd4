/**
 * getcode under load, each step beside its bare baseline, and Queue Storage
 * beside Azurite alone (queue.ts): one sandbox, started here, on free ports,
 * as npm start starts it; each step and each baseline in a process of its
 * own, started as npm start starts a step. Each pair is measured in rounds of
 * A B B A (pairs.ts). Step 04 starts each phase on an empty queue, so that the
 * queue's count after a phase is the messages that phase sent.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { STEPS, siteOfStep, startStep, type RunningStep, type StepNumber } from "@keyless/app-process";
import { startSandbox } from "@keyless/sandbox";
import { stepTimeoutMs } from "../layout/repo.ts";
import { stepDir } from "../layout/stepFolders.ts";
import { LoadGenerator, type LoadRequest } from "./load.ts";
import { CallCounter, Pair, phases, type Calls, type Measured, type Side } from "./pairs.ts";
import { cpuMs, rssMb } from "./resources.ts";
import { measureQueue, type QueueFigures } from "./queue.ts";
import { ownStateDir } from "./startup.ts";

export type { Calls, Measured } from "./pairs.ts";

/** The folder whose src/server.ts is the bare baseline. */
const BASELINE_DIR = fileURLToPath(new URL("baseline", import.meta.url));

export interface LoadSettings {
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  /** Queue Storage's depths to measure enqueues at. */
  readonly depths: readonly number[];
  readonly stateDir: string;
}

export interface StepUnderLoad {
  readonly step: StepNumber;
  readonly measured: Measured;
  readonly baseline: Measured;
  /** The step's throughput / its baseline's: the median of the rounds' ratios. */
  readonly throughputRatio: number;
  /** Resident memory after the load, MB (Linux). */
  readonly rssMb: number | undefined;
  readonly baselineRssMb: number | undefined;
  /** CPU time the server's process used per measured request, ms (Linux). */
  readonly cpuMsPerRequest: number | undefined;
  readonly baselineCpuMsPerRequest: number | undefined;
  /** During the step's measured phases only. */
  readonly calls: Calls;
  /** Step 04: messages that reached the queue during its measured phases (each 200 must have one). */
  readonly queued?: number;
}

/** Starts a server as npm start starts a step, and its process (for its memory). */
async function startServer(
  dir: string,
  env: Record<string, string>,
): Promise<{ running: RunningStep; pid: number | undefined }> {
  const running = await startStep({ dir, env, timeoutMs: 60_000 });
  return { running, pid: running.pid };
}

export async function measureUnderLoad(
  settings: LoadSettings,
): Promise<{ steps: StepUnderLoad[]; queue: QueueFigures }> {
  const { stateDir } = settings;
  // Its own state: the npm starts' kept one names their ports, not this sandbox's.
  const sandbox = await startSandbox({ stateDir: ownStateDir(stateDir, "load"), onEvent: () => {} });
  const queueName = sandbox.world.queues[0] ?? "code-requests";
  const step04 = sandbox.siteEnvironment("keyless-step-04");
  const generator = new LoadGenerator({
    caPem: readFileSync(sandbox.endpoints.caFile, "utf8"),
    identity: {
      IDENTITY_ENDPOINT: step04["IDENTITY_ENDPOINT"] ?? "",
      IDENTITY_HEADER: step04["IDENTITY_HEADER"] ?? "",
    },
  });
  const counter = new CallCounter(sandbox);
  const load = (request: LoadRequest) => generator.run(request);
  try {
    const steps: StepUnderLoad[] = [];
    for (const step of STEPS) {
      // What npm start gives a step (start.ts), and to the baseline beside it the same, plus the third party's key.
      const env = {
        ...sandbox.siteEnvironment(siteOfStep(sandbox.sites(), step)),
        PORT: "0",
        THIRD_PARTY_API_TIMEOUT_MS: String(stepTimeoutMs()),
        NODE_COMPILE_CACHE: join(stateDir, "compile-cache"),
      };
      const measured = await startServer(stepDir(step), env);
      const baseline = await startServer(BASELINE_DIR, {
        ...env,
        BENCH_THIRD_PARTY_KEY: sandbox.thirdParty.keys()[0] ?? "",
      }).catch(async (error: unknown) => {
        await measured.running.stop();
        throw error;
      });
      try {
        const getcode = (url: string, count: number): LoadRequest => ({
          kind: "getcode",
          url,
          count,
          concurrency: settings.concurrency,
        });
        if (settings.warmup > 0) {
          await load(getcode(baseline.running.url, settings.warmup));
          await load(getcode(measured.running.url, settings.warmup));
        }
        const pair = new Pair();
        const cpu: Record<Side, number | undefined> = { baseline: 0, measured: 0 };
        let queued = 0;
        // A step whose settings name a queue sends to it: its queue is emptied before each phase, and counted.
        const queues = "STORAGE_QUEUE_URL" in env;
        for (const [side, count, round] of phases(settings.requests)) {
          if (queues) await sandbox.queue.clear(queueName);
          const server = side === "measured" ? measured : baseline;
          const cpuBefore = await cpuMs(server.pid);
          const request = getcode(server.running.url, count);
          // Only the step's own phases count: the baseline never calls the token service or Key Vault, but its queue client signs in as step 04 does.
          pair.add(side, round, await (side === "measured" ? counter.during(() => load(request)) : load(request)));
          const cpuAfter = await cpuMs(server.pid);
          cpu[side] =
            cpuBefore === undefined || cpuAfter === undefined || cpu[side] === undefined
              ? undefined
              : cpu[side] + cpuAfter - cpuBefore;
          if (queues && side === "measured") queued += await sandbox.queue.count(queueName);
        }
        const perRequest = (side: Side) => {
          const total = cpu[side];
          return total === undefined ? undefined : total / settings.requests;
        };
        steps.push({
          step,
          measured: pair.merged("measured"),
          baseline: pair.merged("baseline"),
          throughputRatio: pair.throughputRatio(),
          rssMb: await rssMb(measured.pid),
          baselineRssMb: await rssMb(baseline.pid),
          cpuMsPerRequest: perRequest("measured"),
          baselineCpuMsPerRequest: perRequest("baseline"),
          calls: counter.take(),
          ...(queues ? { queued } : {}),
        });
      } finally {
        await Promise.all([measured.running.stop(), baseline.running.stop()]);
      }
    }
    await sandbox.queue.clear(queueName);
    return { steps, queue: await measureQueue(sandbox, queueName, settings, load, counter) };
  } finally {
    await generator.close();
    await sandbox.stop();
  }
}
