/**
 * `npm start [-- 03]`: the sandbox (Azure, offline) and the workshop's steps,
 * step 0N on port 300N. Ctrl-C stops everything.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { Command, Option } from "commander";
import { SECRET_VARIABLES, startStep, type RunningStep } from "@keyless/contract-tests/start-step";
import { STEPS, startSandbox, type Sandbox, type StepNumber } from "@keyless/sandbox";
import { startControlServer, type ControlEndpoint } from "./control.ts";
import { ENDPOINTS_FILE, REPO_ROOT, SANDBOX_PORTS, STEP_TIMEOUT_MS, stepPort } from "./repo.ts";
import { stepDir } from "./stepFolders.ts";
import { STEP_TITLES, parseStep } from "./steps.ts";
import { UsageError } from "./usageError.ts";
import { bold, cyan, dim, fail, green, readableLogLine, red, table } from "./ui.ts";

const program = new Command("npm start --")
  .description("Start the sandbox (Azure, offline) and the workshop's steps. Ctrl-C stops everything.")
  .argument("[steps...]", `steps to run (${STEPS.join(" ")}); all when omitted`)
  .option("--role-delay <seconds>", "make new role assignments take effect only after this delay, as on Azure", "0")
  // For tests: every service and step on a free port, so a second workshop never collides with yours.
  .addOption(new Option("--free-ports").hideHelp())
  .addHelpText("after", "\nExamples:\n  npm start            the sandbox and all four steps\n  npm start -- 03      the sandbox and step 03 only\n")
  .showHelpAfterError();

program.parse(process.argv);
const options = program.opts<{ roleDelay: string; freePorts?: boolean }>();

async function main(): Promise<void> {
  const started = performance.now();
  const steps = program.args.length > 0 ? [...new Set(program.args.map(parseStep))].sort() : [...STEPS];
  const roleDelaySeconds = Number(options.roleDelay);
  if (!Number.isFinite(roleDelaySeconds) || roleDelaySeconds < 0) throw new UsageError("--role-delay takes a number of seconds.");

  const sandbox = await startSandbox({
    ports: options.freePorts ? {} : SANDBOX_PORTS,
    stateDir: dirname(ENDPOINTS_FILE),
    roleAssignmentDelayMs: roleDelaySeconds * 1000,
    // The steps start while Azurite does; none of them touches Storage before its first request.
    waitForQueue: false,
  });
  const running = new Map<StepNumber, RunningStep>();
  const failures = new Map<StepNumber, string>();
  await Promise.all(
    steps.map(async (step) => {
      try {
        running.set(step, await startStepInSandbox(sandbox, step));
      } catch (error) {
        failures.set(step, lastLine(error));
      }
    }),
  );

  await sandbox.ready;
  const control = await startControlServer(sandbox, {
    logs: (step) => running.get(step as StepNumber)?.output() ?? "",
    secrets: () => [
      ...sandbox.thirdParty.keys(),
      ...steps.flatMap((step) => SECRET_VARIABLES.flatMap((name) => sandbox.stepEnvironment(step)[name] ?? [])),
    ],
    async restart(text) {
      const step = parseStep(text);
      await running.get(step)?.stop();
      running.delete(step);
      try {
        const restarted = await startStepInSandbox(sandbox, step);
        running.set(step, restarted);
        writeEndpoints(sandbox, running, control);
        return { url: restarted.url };
      } catch (error) {
        const line = lastLine(error);
        console.log(`${cyan(`[${step}]`)} ${red(line)}`);
        writeEndpoints(sandbox, running, control);
        return { error: line };
      }
    },
  });
  writeEndpoints(sandbox, running, control);
  printReady(sandbox, steps, running, failures, performance.now() - started);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log(dim("\nStopping..."));
    await Promise.all([...running.values()].map((step) => step.stop()));
    await control.stop();
    await sandbox.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  // Closing the terminal window: the same orderly stop.
  process.once("SIGHUP", () => void stop());
}

function startStepInSandbox(sandbox: Sandbox, step: StepNumber): Promise<RunningStep> {
  const prefix = cyan(`[${step}]`);
  return startStep({
    dir: stepDir(step),
    env: {
      ...sandbox.stepEnvironment(step),
      PORT: options.freePorts ? "0" : String(stepPort(step)),
      THIRD_PARTY_API_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
      // Node keeps compiled code here between runs: the SDKs load about a quarter faster.
      NODE_COMPILE_CACHE: join(dirname(ENDPOINTS_FILE), "compile-cache"),
    },
    onLine: (line) => line.trim() && console.log(`${prefix} ${readableLogLine(line)}`),
  });
}

function writeEndpoints(sandbox: Sandbox, running: ReadonlyMap<StepNumber, RunningStep>, control: ControlEndpoint): void {
  const steps = Object.fromEntries([...running].map(([step, { url }]) => [step, url]));
  mkdirSync(dirname(ENDPOINTS_FILE), { recursive: true });
  const endpoints = { ...sandbox.endpoints, steps, control: { url: control.url, token: control.token } };
  writeFileSync(ENDPOINTS_FILE, JSON.stringify(endpoints, null, 2) + "\n", { mode: 0o600 });
}

function printReady(
  sandbox: Sandbox,
  steps: readonly StepNumber[],
  running: ReadonlyMap<StepNumber, RunningStep>,
  failures: ReadonlyMap<StepNumber, string>,
  elapsedMs: number,
): void {
  const rows = steps.map((step) => {
    const url = running.get(step)?.url;
    return [bold(`step ${step}`), STEP_TITLES[step], url ? green(`${url}/api/v1/getcode`) : fail(failures.get(step) ?? "did not start")];
  });
  const { authorityHost, identityEndpoint, keyVaultUrl, queueUrl, thirdPartyApi } = sandbox.endpoints;
  const services: [string, string | undefined][] = [
    ["Entra ID (token service)", authorityHost],
    ["managed identity endpoint", identityEndpoint],
    ["Key Vault", keyVaultUrl],
    ["Queue Storage", queueUrl],
    ["third-party API", thirdPartyApi],
  ];
  for (const [name, url] of services) if (url) rows.push([dim("sandbox"), name, url]);
  console.log(`\n${bold("keyless is running")} ${dim(`(ready in ${(elapsedMs / 1000).toFixed(1)} s)`)}\n`);
  console.log(table(rows));
  console.log(dim(`\n  Endpoints: ${relative(REPO_ROOT, ENDPOINTS_FILE)}.  Lessons: docs/.  Ctrl-C stops everything.\n`));
}

function lastLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").filter((line) => line.trim());
  return lines.findLast((line) => line.startsWith("Did not start:")) ?? lines.at(-1) ?? "did not start";
}

main().catch((error: unknown) => {
  const port = /EADDRINUSE.*:(\d+)/.exec(String(error))?.[1];
  if (port) console.error(fail(`Port ${port} is in use: is keyless already running? Stop it, or run npm run doctor.`));
  else console.error(fail(error instanceof Error ? error.message : String(error)));
  process.exit(error instanceof UsageError ? 2 : 1);
});
