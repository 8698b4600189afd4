/**
 * `npm run bench`: the workshop's speed and memory figures, each beside a bare
 * baseline, as ratios. Printed, never asserted: a test checks what the command
 * does, not how fast the machine is.
 *
 * - getcode under load: each step beside a bare `node:http` server doing the
 *   same work (bench/baseline), throughput and latency, with the targets.
 * - Queue Storage: enqueues through the sandbox's Queue Storage beside Azurite
 *   alone, at several depths (messages already waiting), with the targets.
 * - Token-service and Key Vault calls during the measured load (must be 0).
 * - The sandbox's start with and without Queue Storage, and npm start's ready
 *   time and memory.
 * - How long a step that cannot start takes to say why.
 *
 * Everything runs on free ports, in a temporary state folder: it never meets
 * a learner's workshop. It refuses to run beside a running npm start, whose
 * work would skew every figure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, constants, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { hasLoadAverage, stopSignals } from "@keyless/app-process";
import { NotRunningError, reachRunningWorkshop } from "../running/control.ts";
import { endpointsFile } from "../layout/repo.ts";
import { bold, dim, fail, table } from "../terminal/ui.ts";
import { median, percentile, figure, ratio, verdict } from "../bench/stats.ts";
// Types only: the sandbox and the SDKs load once the options are valid, so --help and usage errors answer at once.
import type { SandboxStart, WorkshopStart } from "../bench/startup.ts";
import type { Calls, Measured, StepUnderLoad } from "../bench/underLoad.ts";
import type { QueueFigures } from "../bench/queue.ts";

/** The targets, on 2 idle cores. */
const TARGETS = {
  /** Steps 01-03: throughput at least this share of their bare baseline's. */
  stepThroughput: 0.6,
  /** Step 04 (the queue send dominates both): at least this share. */
  queueStepThroughput: 0.8,
  /** Enqueues through the sandbox's Queue Storage, on an empty queue (Azure: 2,000 a second per queue). */
  queueMessagesPerSecond: 1000,
  /** A message costs at most this many times at any depth what it costs on an empty queue: flat. */
  queueDepthCost: 1.5,
  /** npm start, from the launcher's start to its ready table. */
  readyMs: 1500,
  /** A step that cannot start exits with its one line within this. */
  failureSeconds: 10,
} as const;

/** Depths, as a comma-separated list of whole numbers: "0,1000,10000". */
function depthList(text: string): number[] {
  const depths = text.split(",").map((item) => item.trim());
  if (depths.length === 0 || depths.some((item) => !/^\d{1,6}$/.test(item)))
    throw new InvalidArgumentError("Expected whole numbers separated by commas, such as 0,1000,10000.");
  return [...new Set(depths.map(Number))].sort((a, b) => a - b);
}

/** A whole number of at least `min`, or a usage error that says so. */
function wholeNumber(min: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min)
      throw new InvalidArgumentError(`Expected a whole number of ${min} or more.`);
    return value;
  };
}

const program = new Command("npm run bench --")
  .description(
    "Measure the workshop's speed and memory, each figure beside a bare baseline, as ratios: getcode on each step against a bare node:http server doing the same work, enqueues through the sandbox's Queue Storage beside Azurite alone at several depths, token-service and Key Vault calls under load, the sandbox's start with and without Queue Storage, and npm start's ready time and memory. Runs on free ports in a temporary folder; stop npm start first.",
  )
  .option(
    "--runs <n>",
    "how many times to start npm start, and the sandbox each way, for the medians (after one warm-up start)",
    wholeNumber(1),
    3,
  )
  .option(
    "--requests <n>",
    "measured getcode requests for each step and for each baseline, and enqueues each way",
    wholeNumber(1),
    1000,
  )
  .option("--concurrency <n>", "requests in flight at once, from the load generator", wholeNumber(1), 16)
  .option("--warmup <n>", "requests sent to each server before measuring it (not counted)", wholeNumber(0), 200)
  .option(
    "--depths <list>",
    "the queue depths (messages already waiting) to measure enqueues at, comma-separated",
    depthList,
    [0, 1000, 10_000],
  )
  .addHelpText(
    "after",
    `
Targets (on 2 idle cores): steps 01-03 at least ${TARGETS.stepThroughput}x their baseline's throughput, step 04 at least ${TARGETS.queueStepThroughput}x;
at least ${TARGETS.queueMessagesPerSecond} enqueues a second through the sandbox's Queue Storage, and a message's cost at every depth
at most ${TARGETS.queueDepthCost}x its cost on an empty queue; no token-service or Key Vault call per request after warm-up;
npm start ready within ${TARGETS.readyMs / 1000} s; a step that cannot start exits within ${TARGETS.failureSeconds} s. Each figure
is printed with "met" or "NOT MET"; the command never fails on one.

Examples:
  npm run bench
  npm run bench -- --runs 5 --requests 4000
  npm run bench -- --depths 0,100000`,
  )
  // Every usage error in one line, exit code 2, as the other commands; --help exits 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program.parse(process.argv);
const options = program.opts<{
  runs: number;
  requests: number;
  concurrency: number;
  warmup: number;
  depths: number[];
}>();

/** Refuses to run beside a running npm start: one line, exit code 2. A file an npm start left behind is not one. */
async function refuseIfRunning(): Promise<void> {
  try {
    await reachRunningWorkshop(endpointsFile());
  } catch (error) {
    if (error instanceof NotRunningError && (error.reason === "none" || error.reason === "stale")) return;
    if (error instanceof NotRunningError) {
      console.error(
        fail(
          error.reason === "unresponsive"
            ? "npm start is running, but paused (it does not answer): resume it with fg and stop it with Ctrl-C, then run npm run bench again."
            : `npm start is running: stop it with Ctrl-C, then run npm run bench again. (${error.message})`,
        ),
      );
      process.exit(2);
    }
    // Its launcher answered, if oddly: it runs.
  }
  console.error(
    fail(
      "npm start is running: stop it (Ctrl-C in its terminal), then run npm run bench again; it starts its own workshop and needs the machine to itself.",
    ),
  );
  process.exit(2);
}

const heading = (text: string, detail?: string) => console.log(`\n${bold(text)}${detail ? ` ${dim(detail)}` : ""}`);
const ms = (value: number | undefined) => figure(value, value !== undefined && value < 10 ? 1 : 0);
const mb = (value: number | undefined) => figure(value, 0);
const rps = (value: number | undefined) => figure(value, 0);

function printUnderLoad(
  result: { steps: StepUnderLoad[]; queue: QueueFigures },
  titles: Readonly<Record<string, string>>,
): void {
  const { requests, concurrency, warmup } = options;
  heading(
    "getcode under load: each step beside its bare baseline",
    `(${requests} requests to each, ${concurrency} in flight, after ${warmup} to warm up; in rounds of bare, step, step, bare)`,
  );
  console.log(
    dim(
      "  bare: node:http and the same third-party call (endpoint, x-functions-key, timeout); beside step 04 also the same queue send (QueueClient, managed identity).",
    ),
  );
  console.log(
    dim(
      "  ratio: step / bare; for req/s the median of the rounds' ratios, so a burst of other work during one round does not decide it.",
    ),
  );
  const throughput = [["step", "", "req/s", "bare req/s", "ratio", "target", "", "200s"]];
  for (const { step, measured, baseline, queued, throughputRatio } of result.steps) {
    const target = queued !== undefined ? TARGETS.queueStepThroughput : TARGETS.stepThroughput;
    const answered = `${measured.ok}/${measured.latencies.length}${queued === undefined ? "" : `, ${queued} queued`}`;
    throughput.push([
      step,
      titles[step] ?? "",
      rps(measured.requestsPerSecond),
      rps(baseline.requestsPerSecond),
      ratio(throughputRatio, 1),
      `≥ ${target}×`,
      verdict(Number.isFinite(throughputRatio) ? throughputRatio >= target : undefined),
      answered,
    ]);
  }
  console.log(table(throughput));
  console.log("");
  const latency = [
    [
      "step",
      "p50 ms",
      "bare",
      "ratio",
      "p99 ms",
      "bare",
      "ratio",
      "CPU ms/req",
      "bare",
      "ratio",
      "RSS MB",
      "bare",
      "ratio",
    ],
  ];
  for (const {
    step,
    measured,
    baseline,
    rssMb,
    baselineRssMb,
    cpuMsPerRequest,
    baselineCpuMsPerRequest,
  } of result.steps) {
    const p50 = [percentile(measured.latencies, 0.5), percentile(baseline.latencies, 0.5)] as const;
    const p99 = [percentile(measured.latencies, 0.99), percentile(baseline.latencies, 0.99)] as const;
    latency.push([
      step,
      ms(p50[0]),
      ms(p50[1]),
      ratio(...p50),
      ms(p99[0]),
      ms(p99[1]),
      ratio(...p99),
      figure(cpuMsPerRequest, 2),
      figure(baselineCpuMsPerRequest, 2),
      ratio(cpuMsPerRequest, baselineCpuMsPerRequest),
      mb(rssMb),
      mb(baselineRssMb),
      ratio(rssMb, baselineRssMb),
    ]);
  }
  console.log(table(latency));

  printQueue(result.queue);

  heading(
    "Token service and Key Vault calls during the measured load",
    "(from the sandbox's audit log, after warm-up; target: 0 per request)",
  );
  const calls = [["what", "requests", "token-service sign-ins", "Key Vault calls", "per request", "target"]];
  const callRow = (what: string, count: number, { tokenService, keyVault }: Calls) => [
    what,
    String(count),
    String(tokenService),
    String(keyVault),
    figure((tokenService + keyVault) / count, 3),
    verdict(tokenService + keyVault === 0),
  ];
  for (const { step, measured, calls: counted } of result.steps)
    calls.push(callRow(`step ${step}`, measured.latencies.length, counted));
  const enqueued = result.queue.depths.reduce((sum, depth) => sum + depth.sandbox.latencies.length, 0);
  calls.push(callRow("enqueue through the sandbox", enqueued, result.queue.calls));
  console.log(table(calls));
}

function printQueue(result: QueueFigures): void {
  const { requests, concurrency, warmup } = options;
  heading(
    "Queue Storage: enqueue through the sandbox, beside Azurite alone, by depth",
    `(${requests} messages each way at each depth, ${concurrency} in flight, after ${warmup}; in rounds of Azurite, sandbox, sandbox, Azurite; the real QueueClient)`,
  );
  console.log(
    dim(
      "  sandbox: step 04's QueueClient and managed identity: HTTPS, a token, RBAC, and each message committed to the state store before its 201.",
    ),
  );
  console.log(
    dim(
      "  Azurite alone: the same client with the account key, plain HTTP, and Azurite's default persistence on disk (saved every 5 s, so",
    ),
  );
  console.log(
    dim(
      "  a kill loses what it acknowledged since: less work per message than the sandbox does, a demanding baseline).",
    ),
  );
  console.log(
    dim(
      "  depth: messages waiting when the measurement starts (each queue grows by the measured messages meanwhile); ms/msg: 1 / msg/s.",
    ),
  );
  const first = result.depths[0];
  const costOf = (figures: Measured) => 1000 / figures.requestsPerSecond;
  const rows = [
    [
      "depth",
      "sandbox msg/s",
      "Azurite",
      "ratio",
      "sandbox ms/msg",
      "vs first",
      "Azurite",
      "vs first",
      "p50 ms",
      "Azurite",
      "p99 ms",
      "Azurite",
      "201s",
    ],
  ];
  for (const { depth, sandbox, azurite, throughputRatio } of result.depths)
    rows.push([
      String(depth),
      rps(sandbox.requestsPerSecond),
      rps(azurite.requestsPerSecond),
      ratio(throughputRatio, 1),
      figure(costOf(sandbox), 2),
      ratio(costOf(sandbox), first && costOf(first.sandbox)),
      figure(costOf(azurite), 2),
      ratio(costOf(azurite), first && costOf(first.azurite)),
      ms(percentile(sandbox.latencies, 0.5)),
      ms(percentile(azurite.latencies, 0.5)),
      ms(percentile(sandbox.latencies, 0.99)),
      ms(percentile(azurite.latencies, 0.99)),
      `${sandbox.ok}/${sandbox.latencies.length}, ${azurite.ok}/${azurite.latencies.length}`,
    ]);
  console.log(table(rows));
  console.log("");
  const deepest = result.depths.at(-1);
  const flatness = deepest && first ? costOf(deepest.sandbox) / costOf(first.sandbox) : undefined;
  console.log(
    table([
      ["target", "figure", "target", ""],
      [
        `sandbox enqueues at depth ${first?.depth ?? "n/a"}`,
        `${rps(first?.sandbox.requestsPerSecond)} msg/s`,
        `≥ ${TARGETS.queueMessagesPerSecond}`,
        verdict(first ? first.sandbox.requestsPerSecond >= TARGETS.queueMessagesPerSecond : undefined),
      ],
      [
        `sandbox cost at depth ${deepest?.depth ?? "n/a"} / at ${first?.depth ?? "n/a"}`,
        ratio(flatness, 1),
        `≤ ${TARGETS.queueDepthCost}×`,
        verdict(flatness === undefined || !Number.isFinite(flatness) ? undefined : flatness <= TARGETS.queueDepthCost),
      ],
    ]),
  );
}

function printStarts(
  sandboxStarts: { without: SandboxStart[]; with: SandboxStart[] },
  workshop: WorkshopStart[],
  withoutLiveView: WorkshopStart[],
): void {
  const { runs } = options;
  heading(
    "Sandbox start, with and without Queue Storage",
    `(startSandbox() in a process of its own, median of ${runs})`,
  );
  const summary = (starts: SandboxStart[]) => ({
    startMs: median(starts.map((start) => start.startMs)),
    ownMb: median(starts.map((start) => start.ownMb)),
  });
  const without = summary(sandboxStarts.without);
  const withQueue = summary(sandboxStarts.with);
  console.log(
    table([
      ["sandbox", "start ms", "RSS MB"],
      ["without Queue Storage ({ queue: false })", ms(without.startMs), mb(without.ownMb)],
      ["with Queue Storage (the default)", ms(withQueue.startMs), mb(withQueue.ownMb)],
      ["with / without", ratio(withQueue.startMs, without.startMs), ratio(withQueue.ownMb, without.ownMb)],
    ]),
  );

  heading(
    "npm start: the launcher, the sandbox and all four steps",
    `(median of ${runs}, after one warm-up start; from the launcher's start to its ready table)`,
  );
  const figures = (starts: WorkshopStart[]) => {
    const ready = starts.map((start) => start.readyMs);
    return {
      ready: median(ready),
      range: `${ms(Math.min(...ready))}–${ms(Math.max(...ready))}`,
      own: median(starts.map((start) => start.ownReadyMs)),
      rss: starts.every((start) => start.rss) ? median(starts.map((start) => start.rss?.mb ?? 0)) : undefined,
      processes: starts[0]?.rss ? String(starts[0].rss.processes) : "n/a",
    };
  };
  const full = figures(workshop);
  const bare = figures(withoutLiveView);
  console.log(
    table([
      [
        "npm start",
        "ready ms",
        "min–max",
        "as the launcher prints it",
        "target",
        "",
        "RSS MB, whole process tree",
        "processes",
      ],
      [
        "with the live view (the default)",
        ms(full.ready),
        full.range,
        ms(full.own),
        `≤ ${TARGETS.readyMs}`,
        verdict(full.ready <= TARGETS.readyMs),
        mb(full.rss),
        full.processes,
      ],
      [
        "without it (--no-dashboard)",
        ms(bare.ready),
        bare.range,
        ms(bare.own),
        `≤ ${TARGETS.readyMs}`,
        verdict(bare.ready <= TARGETS.readyMs),
        mb(bare.rss),
        bare.processes,
      ],
      [
        "the live view adds",
        `+${ms(full.ready - bare.ready)}`,
        "",
        `+${ms(full.own - bare.own)}`,
        "",
        "",
        full.rss !== undefined && bare.rss !== undefined ? `+${mb(full.rss - bare.rss)}` : "n/a",
        "",
      ],
    ]),
  );
}

async function main(): Promise<void> {
  await refuseIfRunning();
  const { startSandboxOnce, startWorkshopOnce, timeStartupFailures } = await import("../bench/startup.ts");
  const { measureUnderLoad } = await import("../bench/underLoad.ts");
  const { STEP_TITLES } = await import("../layout/steps.ts");
  const stateDir = mkdtempSync(join(tmpdir(), "keyless-bench-"));
  process.on("exit", () => rmSync(stateDir, { recursive: true, force: true }));
  const load = loadavg()[0];
  console.log(
    dim(
      `Measuring on ${availableParallelism()} cores${hasLoadAverage() ? `, load ${load?.toFixed(1)}` : ""}; the targets are for 2 idle cores.`,
    ),
  );

  // One uncounted start first: it makes the sandbox's CA and Node's compile cache, as a learner's first npm start does.
  await startWorkshopOnce(stateDir);
  const workshop: WorkshopStart[] = [];
  const withoutLiveView: WorkshopStart[] = [];
  for (let run = 0; run < options.runs; run++) {
    workshop.push(await startWorkshopOnce(stateDir));
    withoutLiveView.push(await startWorkshopOnce(stateDir, { liveView: false }));
  }
  const sandboxStarts = { without: [] as SandboxStart[], with: [] as SandboxStart[] };
  for (let run = 0; run < options.runs; run++) {
    sandboxStarts.without.push(await startSandboxOnce(stateDir, false));
    sandboxStarts.with.push(await startSandboxOnce(stateDir, true));
  }
  printStarts(sandboxStarts, workshop, withoutLiveView);

  printUnderLoad(await measureUnderLoad({ ...options, stateDir }), STEP_TITLES);

  heading("Start-up failures", `(target: the step exits with its one line within ${TARGETS.failureSeconds} s)`);
  const failures = await timeStartupFailures(stateDir);
  console.log(
    table([
      ["step", "cause", "exit code", "seconds", "target"],
      ...failures.map((failure) => [
        failure.step,
        failure.cause,
        String(failure.exitCode),
        failure.seconds.toFixed(1),
        verdict(failure.exitCode !== 0 && failure.seconds <= TARGETS.failureSeconds),
      ]),
    ]),
  );
}

// Ctrl-C or a closing terminal: through exit, so that what was started (steps, Azurite, the temporary folder) goes too.
for (const signal of stopSignals()) process.on(signal, () => process.exit(128 + (constants.signals[signal] ?? 0)));
main().then(
  () => process.exit(0),
  (error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    console.error(fail(`The benchmark stopped: ${text.split("\n").find((line) => line.trim()) ?? "unknown error"}`));
    process.exit(1);
  },
);
