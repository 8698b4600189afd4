/**
 * `npm run bench`: the workshop's speed and memory figures, printed, never
 * asserted. Starts `npm start`'s launcher a few times (time to ready, memory of
 * the whole process tree), then measures getcode on every step under load and
 * counts step 04's queue messages against its 200s. Last, how long a step takes
 * to stop with its one-line reason when it cannot start (the target is 10 s).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStepExpectingFailure } from "@keyless/contract-tests/start-step";
import { startSandbox } from "@keyless/sandbox";
import { Command } from "commander";
import { connectToRunningWorkshop } from "./control.ts";
import { REPO_ROOT } from "./repo.ts";
import { stepDir } from "./stepFolders.ts";
import { bold, table } from "./ui.ts";

const program = new Command("npm run bench --")
  .description("Measure start-up time, memory and getcode latency of the sandbox and steps (stop npm start first: it uses the same ports).")
  .option("--runs <n>", "how many times to start everything", "3")
  .option("--requests <n>", "getcode requests per step", "400")
  .option("--concurrency <n>", "requests in flight at once", "20")
  .parse(process.argv);
const options = program.opts<{ runs: string; requests: string; concurrency: string }>();

/** Resident memory of a process and all its descendants, from /proc (Linux). */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let kb = 0;
  const visit = (id: number) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${id}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // ended
    }
    for (const child of children.get(id) ?? []) visit(child);
  };
  visit(pid);
  return kb / 1024;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? NaN;

async function startOnce(): Promise<{ readyMs: number; rssMb: number; stop: () => Promise<void> }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["src/start.ts"], { cwd: `${REPO_ROOT}packages/workshop`, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } });
  let text = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("keyless is running")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${text}`)));
  });
  const readyMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    readyMs,
    rssMb: treeRssMb(child.pid ?? 0),
    stop: async () => {
      const exited = once(child, "exit");
      child.kill("SIGINT");
      await exited;
    },
  };
}

async function load(url: string, requests: number, concurrency: number): Promise<{ latencies: number[]; ok: number; codes: string[] }> {
  const latencies: number[] = [];
  const codes: string[] = [];
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const started = performance.now();
        const response = await fetch(`${url}/api/v1/getcode`);
        const body = (await response.json()) as { code?: string };
        latencies.push(performance.now() - started);
        if (response.status === 200 && body.code) {
          ok++;
          codes.push(body.code);
        }
      }
    }),
  );
  return { latencies, ok, codes };
}

const runs = Number(options.runs);
const starts: { readyMs: number; rssMb: number }[] = [];
for (let run = 0; run < runs; run++) {
  const started = await startOnce();
  starts.push(started);
  if (run < runs - 1) await started.stop();
  else {
    const workshop = connectToRunningWorkshop();
    const rows: string[][] = [["step", "requests", "200s", "p50 ms", "p95 ms", "req/s"]];
    for (const [step, url] of Object.entries(workshop.endpoints.steps).sort()) {
      const began = performance.now();
      const result = await load(url, Number(options.requests), Number(options.concurrency));
      const seconds = (performance.now() - began) / 1000;
      rows.push([step, options.requests, String(result.ok), median(result.latencies).toFixed(1), percentile(result.latencies, 0.95).toFixed(1), (result.latencies.length / seconds).toFixed(0)]);
    }
    console.log(bold("\ngetcode under load"));
    console.log(table(rows));
    // Exactly once: every 200 from step 04 has its queue message, and there is no other message.
    const url = workshop.endpoints.steps["04"];
    if (url) {
      await workshop.reset();
      const result = await load(url, Number(options.requests), Number(options.concurrency));
      const queued = await workshop.queueCount();
      console.log(bold("\nstep 04, exactly once"));
      console.log(table([["requests", "200s", "queue messages", "distinct codes"], [options.requests, String(result.ok), String(queued), String(new Set(result.codes).size)]]));
    }
    await started.stop();
  }
}
console.log(bold("\nstart-up (npm start's launcher: sandbox, Azurite and the steps)"));
console.log(
  table([
    ["runs", "ready median ms", "ready min–max ms", "RSS of the process tree, median MB"],
    [
      String(runs),
      median(starts.map((s) => s.readyMs)).toFixed(0),
      `${Math.min(...starts.map((s) => s.readyMs)).toFixed(0)}–${Math.max(...starts.map((s) => s.readyMs)).toFixed(0)}`,
      median(starts.map((s) => s.rssMb)).toFixed(0),
    ],
  ]),
);

/** Each start-up failure the lessons provoke: how long until the step exits with its one line. */
async function timeStartupFailures(): Promise<string[][]> {
  const stateDir = await mkdtemp(join(tmpdir(), "keyless-bench-"));
  const sandbox = await startSandbox({ stateDir, queue: false });
  const withoutRole = (step: "02" | "03") => {
    const principalId = step === "02" ? (sandbox.directory.servicePrincipals[0]?.objectId ?? "") : (sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "");
    return {
      before: () => void sandbox.rbac.remove({ principalId, role: "Key Vault Secrets User", scope: sandbox.scopes.vault }),
      after: () => void sandbox.rbac.add({ principalId, role: "Key Vault Secrets User", scope: sandbox.scopes.vault }, { immediately: true }),
    };
  };
  const cases: { step: "02" | "03"; what: string; env?: Record<string, string>; before?: () => void; after?: () => void }[] = [
    { step: "02", what: "wrong client secret", env: { AZURE_CLIENT_SECRET: "not-the-secret" } },
    { step: "02", what: "missing secret", env: { THIRD_PARTY_API_SECRET_NAME: "no-such-secret" } },
    { step: "02", what: "vault unreachable", env: { KEY_VAULT_URL: "https://keyless-kv.vault.localhost:1" } },
    { step: "02", what: "missing role", ...withoutRole("02") },
    { step: "03", what: "identity endpoint unreachable", env: { IDENTITY_ENDPOINT: "http://127.0.0.1:1/msi/token" } },
    { step: "03", what: "missing role", ...withoutRole("03") },
  ];
  const rows = [["step", "cause", "exit code", "seconds to exit"]];
  try {
    for (const failure of cases) {
      failure.before?.();
      try {
        const result = await startStepExpectingFailure({ dir: stepDir(failure.step), env: { ...sandbox.stepEnvironment(failure.step), ...failure.env }, timeoutMs: 30_000 });
        rows.push([failure.step, failure.what, String(result.exitCode), (result.elapsedMs / 1000).toFixed(1)]);
      } finally {
        failure.after?.();
      }
    }
  } finally {
    await sandbox.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  return rows;
}

console.log(bold("\nstart-up failures (target: exit within 10 s with one clear line)"));
console.log(table(await timeStartupFailures()));
