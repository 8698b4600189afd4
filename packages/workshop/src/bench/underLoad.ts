/**
 * getcode under load, each step beside its bare baseline, and Queue Storage's
 * enqueues with and without the gateway: one sandbox, started here, on free
 * ports, as npm start starts it; each step and each baseline in a process of
 * its own, started as npm start starts a step.
 *
 * Each pair is measured in rounds of A B B A (baseline, step, step, baseline)
 * after a warm-up of both, so that a machine that speeds up or slows down
 * during the pair, or that is busy with something else now and then, favours
 * neither; the throughput ratio is the median of the rounds' ratios. Step 04 and the enqueue runs
 * start each phase on an empty queue: Azurite saves its whole message index on
 * every change, so a longer queue is a slower one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startStep, type RunningStep } from "@keyless/app-process";
import { STEPS, startSandbox, type AuditEvent, type Sandbox, type StepNumber } from "@keyless/sandbox";
import { STEP_TIMEOUT_MS } from "../layout/repo.ts";
import { stepDir } from "../layout/stepFolders.ts";
import { LoadGenerator, merge, type LoadRequest, type LoadResult, type QueueTarget } from "./load.ts";
import { cpuMs, rssMb } from "./resources.ts";
import { ownStateDir } from "./startup.ts";
import { median } from "./stats.ts";

/** The folder whose src/server.ts is the bare baseline. */
const BASELINE_DIR = fileURLToPath(new URL("baseline", import.meta.url));

export interface LoadSettings {
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly stateDir: string;
}

export type Measured = ReturnType<typeof merge>;

/** Calls to the token service and to Key Vault, counted from the sandbox's audit log while counting is on. */
export interface Calls {
  readonly tokenService: number;
  readonly keyVault: number;
}

export interface StepUnderLoad {
  readonly step: StepNumber;
  readonly measured: Measured;
  readonly baseline: Measured;
  /** The step's throughput / its baseline's: the median of the rounds' ratios. */
  readonly throughputRatio: number;
  /** Resident memory after the load, MB (undefined where the system does not say). */
  readonly rssMb: number | undefined;
  readonly baselineRssMb: number | undefined;
  /** CPU time the server's process used per measured request, ms (undefined where the system does not say). */
  readonly cpuMsPerRequest: number | undefined;
  readonly baselineCpuMsPerRequest: number | undefined;
  /** During the step's measured phases only. */
  readonly calls: Calls;
  /** Step 04: messages that reached the queue during its measured phases (each 200 must have one). */
  readonly queued?: number;
}

export interface EnqueueFigures {
  /** Straight to Azurite with the account key. */
  readonly azurite: Measured;
  /** Through the gateway, with step 04's managed identity's token. */
  readonly gateway: Measured;
  /** gateway / Azurite throughput: the median of the rounds' ratios. */
  readonly throughputRatio: number | undefined;
  /** During the gateway's measured phases. */
  readonly calls: Calls;
}

/** Counts token-service sign-ins and Key Vault requests from the audit log, while on. */
class CallCounter {
  #on = false;
  tokenService = 0;
  keyVault = 0;
  constructor(sandbox: Sandbox) {
    sandbox.audit.subscribe((event: AuditEvent) => {
      if (!this.#on) return;
      if (
        event.category === "ServicePrincipalSignInLogs" ||
        event.category === "ManagedIdentitySignInLogs" ||
        event.category === "SignInLogs"
      )
        this.tokenService++;
      if (event.category === "AuditEvent") this.keyVault++;
    });
  }
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.#on = true;
    try {
      return await work();
    } finally {
      this.#on = false;
    }
  }
  take(): Calls {
    const calls = { tokenService: this.tokenService, keyVault: this.keyVault };
    this.tokenService = 0;
    this.keyVault = 0;
    return calls;
  }
}

type Side = "baseline" | "measured";

/** How many rounds of A B B A a pair is measured in. */
const ROUNDS = 8;

/**
 * The phases of a pair, [side, requests, round]: ROUNDS rounds of baseline, measured,
 * measured, baseline, each side's requests split evenly across its phases. Short,
 * interleaved phases give both sides the same share of whatever else the machine does
 * meanwhile.
 */
function phases(requests: number): [Side, number, number][] {
  const pieces = 2 * ROUNDS;
  const size = (index: number) => Math.floor(requests / pieces) + (index < requests % pieces ? 1 : 0);
  const order: [Side, number, number][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [first, second] = [size(2 * round), size(2 * round + 1)];
    order.push(
      ["baseline", first, round],
      ["measured", first, round],
      ["measured", second, round],
      ["baseline", second, round],
    );
  }
  return order.filter(([, count]) => count > 0);
}

/** A pair's phases as they are measured, by side and round. */
class Pair {
  readonly #phases: { side: Side; round: number; result: LoadResult }[] = [];
  add(side: Side, round: number, result: LoadResult): void {
    this.#phases.push({ side, round, result });
  }
  merged(side: Side): Measured {
    return merge(this.#phases.filter((phase) => phase.side === side).map((phase) => phase.result));
  }
  /**
   * measured / baseline throughput, round by round, and the median of those: a burst of
   * other work on the machine during one round moves that round's ratio, not the median.
   */
  throughputRatio(): number {
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const of = (side: Side) =>
        this.#phases.filter((phase) => phase.round === round && phase.side === side).map((phase) => phase.result);
      const [measured, baseline] = [of("measured"), of("baseline")];
      if (measured.length > 0 && baseline.length > 0)
        ratios.push(merge(measured).requestsPerSecond / merge(baseline).requestsPerSecond);
    }
    return median(ratios);
  }
}

/** Starts a server as npm start starts a step. */
async function startServer(
  dir: string,
  env: Record<string, string>,
): Promise<{ running: RunningStep; pid: number | undefined }> {
  const running = await startStep({ dir, env, timeoutMs: 60_000 });
  return { running, pid: running.pid };
}

export async function measureUnderLoad(
  settings: LoadSettings,
): Promise<{ steps: StepUnderLoad[]; enqueue: EnqueueFigures }> {
  const { stateDir } = settings;
  // Its own state: the npm starts' kept one names their ports, not this sandbox's.
  const sandbox = await startSandbox({ stateDir: ownStateDir(stateDir, "load"), onEvent: () => {} });
  const queueName = sandbox.seed.storage.queues[0] ?? "code-requests";
  const step04 = sandbox.stepEnvironment("04");
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
        ...sandbox.stepEnvironment(step),
        PORT: "0",
        THIRD_PARTY_API_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
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
        for (const [side, count, round] of phases(settings.requests)) {
          if (step === "04") await sandbox.queue.clear(queueName);
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
          if (step === "04" && side === "measured") queued += await sandbox.queue.count(queueName);
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
          ...(step === "04" ? { queued } : {}),
        });
      } finally {
        await Promise.all([measured.running.stop(), baseline.running.stop()]);
      }
    }
    await sandbox.queue.clear(queueName);
    return { steps, enqueue: await measureEnqueue(sandbox, queueName, settings, load, counter) };
  } finally {
    await generator.close();
    await sandbox.stop();
  }
}

/** Enqueues straight to Azurite (the account key) and through the gateway (a token), in rounds of A B B A. */
async function measureEnqueue(
  sandbox: Sandbox,
  queueName: string,
  settings: LoadSettings,
  load: (request: LoadRequest) => Promise<LoadResult>,
  counter: CallCounter,
): Promise<EnqueueFigures> {
  const { account } = sandbox.seed.storage;
  const direct: QueueTarget = {
    kind: "accountKey",
    accountUrl: `http://127.0.0.1:${sandbox.queue.backendPort}/${account}`,
    account,
    key: sandbox.queue.backendKey,
    queue: queueName,
  };
  const gateway: QueueTarget = { kind: "managedIdentity", queueUrl: sandbox.endpoints.queueUrl ?? "" };
  const enqueue = (target: QueueTarget, count: number): LoadRequest => ({
    kind: "enqueue",
    target,
    count,
    concurrency: settings.concurrency,
  });
  if (settings.warmup > 0) {
    await load(enqueue(direct, settings.warmup));
    await load(enqueue(gateway, settings.warmup));
  }
  const pair = new Pair();
  for (const [side, count, round] of phases(settings.requests)) {
    await sandbox.queue.clear(queueName);
    if (side === "baseline") pair.add(side, round, await load(enqueue(direct, count)));
    else pair.add(side, round, await counter.during(() => load(enqueue(gateway, count))));
  }
  await sandbox.queue.clear(queueName);
  return {
    azurite: pair.merged("baseline"),
    gateway: pair.merged("measured"),
    throughputRatio: pair.throughputRatio(),
    calls: counter.take(),
  };
}
