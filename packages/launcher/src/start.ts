/**
 * `npm start [-- 03]`: the sandbox (Azure, offline) and the workshop's steps,
 * step 0N on port 300N. Ctrl-C stops everything.
 *
 * Nothing it starts outlives it, and `.sandbox/endpoints.json` exists only
 * while it runs:
 * - Ctrl-C, its terminal closing, a `kill` (the signals stopSignals names for
 *   this system), an uncaught error, and its parent going away (npm got
 *   SIGTERM) all take the same orderly stop: the file goes first, then the
 *   steps, the control endpoint and the sandbox.
 * - When it is killed outright (SIGKILL, or any kill on Windows), its children
 *   end by themselves: each step through its lifeline (see app-process'
 *   stepLifeline.ts). The file stays, but it names this process: the other
 *   commands see that it is gone and call the file stale. The sandbox's state
 *   (`.sandbox/state.db`) is as it was at the last change: every change is
 *   committed before it is answered.
 */
import { dirname, relative } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import {
  SECRET_VARIABLES,
  STEPS,
  portInUse,
  portsInUse,
  siteOfStep,
  startStep,
  stepOfSite,
  stopSignals,
  whoHolds,
  type RunningStep,
  type StepNumber,
} from "@keyless/app-process";
import { startDashboard, telemetryEnvironment, type AppRun, type RunningDashboard } from "@keyless/dashboard";
import {
  HOSTS,
  HOST_TITLES,
  isHost,
  startSandbox,
  type HostName,
  type Sandbox,
  type SandboxPorts,
} from "@keyless/sandbox";
import {
  compileCacheDir,
  DASHBOARD_PORT,
  endpointsFile,
  NotRunningError,
  REPO_ROOT,
  SANDBOX_PORTS,
  stepTimeoutMs,
  stepTitle,
  UsageError,
  bold,
  cyan,
  dim,
  fail,
  green,
  loadExercise,
  parseStep,
  reachRunningWorkshop,
  readableLogLine,
  red,
  shownPath,
  stepDir,
  stepPort,
  table,
  workspacePort,
  yellow,
  type ControlEndpoint,
} from "@keyless/workshop";
import { startControlServer } from "./controlServer.ts";
import { removeOwnEndpointsFile, writeEndpointsFile } from "./endpointsFile.ts";
import { WorkspaceApps, workspaceRoutes } from "./learnerApps.ts";
import { watchParent } from "./parentWatch.ts";

type ServiceName = keyof SandboxPorts;
/** The sandbox's services by the name of their port, in the learner's words. */
const SERVICE_NAMES: Readonly<Record<string, string>> = {
  thirdParty: "third-party API",
  login: "Entra ID",
  vault: "Key Vault",
  queue: "Queue Storage",
  identity: "managed identity endpoint",
  management: "Resource Manager",
  containerApps: "Container Apps identity endpoint",
  imds: "virtual machine's IMDS",
  cluster: "AKS OIDC issuer",
  github: "GitHub Actions' OIDC provider",
  graph: "Microsoft Graph",
  web: "App Service front ends",
};
const isService = (name: string): name is ServiceName => name in SERVICE_NAMES || name in SANDBOX_PORTS;
const isStep = (name: string): name is StepNumber => STEPS.includes(name);

/** `--port vault=8443`: one port, for tests that need a given port busy. */
function parsePort(value: string, previous: Readonly<Record<string, number>>): Record<string, number> {
  const [name = "", text = ""] = value.split("=");
  const port = Number(text);
  if (
    !(isService(name) || isStep(name) || name === "dashboard") ||
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65535
  ) {
    throw new InvalidArgumentError(
      `expected <name>=<port>, the name one of ${[...STEPS, ...Object.keys(SERVICE_NAMES)].join(", ")}.`,
    );
  }
  return { ...previous, [name]: port };
}

/** The steps whose app signs in with a managed identity, and so can run on another host. */
const HOSTED_STEPS: readonly StepNumber[] = ["03", "04"];

/** `--host 03=aks`: where a step's app runs, and so how it gets its identity (environment only). */
function parseHost(
  value: string,
  previous: Readonly<Partial<Record<StepNumber, HostName>>>,
): Partial<Record<StepNumber, HostName>> {
  const [given = "", host = ""] = value.split("=");
  const step = given.padStart(2, "0");
  if (!isStep(step) || !isHost(host))
    throw new InvalidArgumentError(`expected <step>=<host>, e.g. 03=aks; the host one of ${HOSTS.join(", ")}.`);
  if (!HOSTED_STEPS.includes(step))
    throw new InvalidArgumentError(
      `step ${step} has no managed identity to get from a host: only steps ${HOSTED_STEPS.join(" and ")} do.`,
    );
  return { ...previous, [step]: host };
}

/**
 * On Azure a deleted secret takes a few seconds to show under deletedsecrets, a recovered one to show again
 * under secrets; the SDKs' pollers (and az) wait. npm start makes the sandbox take as long, so that code which
 * calls the REST API itself meets the wait here too (lesson 02, Try it).
 */
const KEY_VAULT_TRANSITION_SECONDS = 3;

const program = new Command("npm start --")
  .description("Start the sandbox (Azure, offline) and the workshop's steps. Ctrl-C stops everything.")
  .argument("[steps...]", `steps to run (${STEPS.join(" ")}); all when omitted`)
  .option(
    "--role-delay <seconds>",
    "make every role change (a new assignment, and a deleted one) take effect only after this delay, as on Azure",
    "0",
  )
  .option(
    "--vault-delay <seconds>",
    "how long deleting and recovering a Key Vault secret take, as on Azure (az and the SDKs wait for it)",
    String(KEY_VAULT_TRANSITION_SECONDS),
  )
  .option("--no-dashboard", `no live view (http://localhost:${DASHBOARD_PORT}), and the apps not traced`)
  .addOption(
    new Option(
      "--host <step=host>",
      `run step 03 or 04 on another Azure host, same code: ${HOSTS.join(", ")} (repeat for both)`,
    )
      .argParser(parseHost)
      .default({}, "app-service"),
  )
  // For tests: every service and step on a free port, so a second workshop never collides with yours.
  .addOption(new Option("--free-ports").hideHelp())
  // For tests: a given port for one service or step (e.g. one the test holds, to see it reported).
  .addOption(new Option("--port <name=port>").hideHelp().argParser(parsePort).default({}))
  .addHelpText(
    "after",
    "\nExamples:\n  npm start            the sandbox and all four steps\n  npm start -- 03      the sandbox and step 03 only\n  npm start -- 03 --host 03=aks\n                       step 03 on AKS: workload identity instead of App Service's endpoint\n",
  )
  .showHelpAfterError();

program.parse(process.argv);
const options = program.opts<{
  roleDelay: string;
  vaultDelay: string;
  dashboard: boolean;
  freePorts?: boolean;
  port: Record<string, number>;
  host: Partial<Record<StepNumber, HostName>>;
}>();

/** The port a step gets: a test's own, 0 (any free one) with --free-ports, else 300N. */
function portOf(step: StepNumber): number {
  return options.port[step] ?? (options.freePorts ? 0 : stepPort(step));
}

/** The sandbox's ports: the workshop's (none with --free-ports: any free one), and a test's own. */
function sandboxPorts(): Partial<SandboxPorts> {
  const given = Object.entries(options.port).filter(([name]) => isService(name));
  return { ...(options.freePorts ? {} : SANDBOX_PORTS), ...Object.fromEntries(given) };
}

/** A port someone else holds, in the launcher's words: which one, how to find who, what to do then. */
function stepPortBusy(step: StepNumber, port: number): string {
  return `Port ${port} is in use by another program (${whoHolds(port)} shows which): stop it, then npm run restart -- ${step}.`;
}

// What runs, so that any way out can stop it.
let sandboxStarting: Promise<Sandbox> | undefined;
let control: (ControlEndpoint & { stop(): Promise<void> }) | undefined;
/** The live view, unless --no-dashboard (or its port was taken). */
let dashboard: RunningDashboard | undefined;
const running = new Map<StepNumber, RunningStep>();
/** The steps npm start was asked to run, and those restarted since: `npm run doctor` calls one that is not running down. */
const askedSteps = new Set<StepNumber>();
/** The learner's own apps (npm run exercise), each beside the steps on 310N. */
let workspace: WorkspaceApps | undefined;
let stopping = false;
/** The file this run writes and, on any way out, removes: `.sandbox/endpoints.json`, or KEYLESS_SANDBOX_DIR's. */
const ENDPOINTS_FILE = endpointsFile();

/** Prints a line; a terminal that is gone (its window closed) or a closed pipe is no reason to fail. */
function say(text: string, stream: NodeJS.WriteStream = process.stdout): void {
  try {
    stream.write(`${text}\n`);
  } catch {
    // nowhere to write to
  }
}
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

/** How long the orderly stop may take before the launcher exits anyway (its children are killed at exit). */
const STOP_DEADLINE_MS = 10_000;

/** The one way out: the file first (the sandbox is going away), then everything that runs, then exit. */
async function shutDown(exitCode: number, { quiet = false } = {}): Promise<void> {
  if (stopping) return;
  stopping = true;
  removeOwnEndpointsFile(ENDPOINTS_FILE);
  if (!quiet) say(dim("\nStopping..."));
  setTimeout(() => process.exit(exitCode), STOP_DEADLINE_MS).unref();
  await Promise.allSettled([
    ...[...running.values()].map((step) => step.stop()),
    workspace?.stop(),
    control?.stop(),
    dashboard?.stop(),
    sandboxStarting?.then((sandbox) => sandbox.stop()),
  ]);
  // Steps still starting are killed by startStep's exit hook.
  process.exit(exitCode);
}

// Whatever happens from here on, the file goes and nothing started stays.
process.on("exit", () => removeOwnEndpointsFile(ENDPOINTS_FILE));
for (const signal of stopSignals()) {
  // `on`, not `once`: a second signal while stopping must not kill the launcher half-way.
  process.on(signal, () => void shutDown(0));
}
// npm got SIGTERM (it passes it to its shell only), or the terminal's shell is gone.
watchParent(() => void shutDown(0));
const unexpected = (error: unknown) => {
  const line = firstLine(error);
  say(
    fail(
      `npm start stopped on an unexpected error: ${/[.!?]$/.test(line) ? line : `${line}.`} Run npm run doctor, then npm start again.`,
    ),
    process.stderr,
  );
  if (stopping) process.exit(1);
  void shutDown(1, { quiet: true });
};
process.on("uncaughtException", unexpected);
process.on("unhandledRejection", unexpected);

async function main(): Promise<void> {
  const started = performance.now();
  const steps = program.args.length > 0 ? [...new Set(program.args.map(parseStep))].sort() : [...STEPS];
  for (const step of steps) askedSteps.add(step);
  const roleDelaySeconds = Number(options.roleDelay);
  if (!Number.isFinite(roleDelaySeconds) || roleDelaySeconds < 0)
    throw new UsageError("--role-delay takes a number of seconds.");
  const vaultDelaySeconds = Number(options.vaultDelay);
  if (!Number.isFinite(vaultDelaySeconds) || vaultDelaySeconds < 0 || vaultDelaySeconds > 60)
    throw new UsageError("--vault-delay takes a number of seconds, from 0 to 60.");

  await refuseIfRunning();
  const ports = sandboxPorts();
  const busy = await portsInUse(Object.values(ports).filter((port) => port !== 0));
  if (busy.length > 0) throw new StartError(sandboxPortsBusy(ports, busy));
  const failures = new Map<StepNumber, string>();
  for (const step of steps) {
    const port = portOf(step);
    if (port !== 0 && (await portInUse(port))) failures.set(step, `Not started. ${stepPortBusy(step, port)}`);
  }

  sandboxStarting = startSandbox({
    ports,
    stateDir: dirname(ENDPOINTS_FILE),
    roleAssignmentDelayMs: roleDelaySeconds * 1000,
    keyVaultTransitionDelayMs: vaultDelaySeconds * 1000,
    // Where each step's app runs: App Service unless --host says otherwise (a step's site is the one that runs its code).
    hosts: (site) => {
      const step = stepOfSite([site], site.name);
      return step ? options.host[step] : undefined;
    },
    // A service went down or came back: the learner sees it as it happens.
    onEvent: (text) => console.log(`${dim("[sandbox]")} ${text}`),
  });
  const sandbox = await sandboxStarting;
  workspace = new WorkspaceApps({
    sandbox,
    port: (step) => (options.freePorts ? 0 : workspacePort(step)),
    env: {
      THIRD_PARTY_API_TIMEOUT_MS: String(stepTimeoutMs()),
      NODE_COMPILE_CACHE: compileCacheDir(),
    },
    say,
    onChange: () => writeEndpoints(sandbox),
    traced: (app, env) => traced(sandbox, app, env),
  });
  const learnerApps = workspace.startExisting();
  await Promise.all(
    steps
      .filter((step) => !failures.has(step))
      .map(async (step) => {
        try {
          const stepRunning = await startStepInSandbox(sandbox, step);
          if (stopping) await stepRunning.stop();
          else running.set(step, stepRunning);
        } catch (error) {
          failures.set(step, lastLine(error));
        }
      }),
  );

  await learnerApps;
  await sandbox.ready;
  if (stopping) return;
  control = await startControlServer(sandbox, {
    routes: workspaceRoutes(sandbox, workspace),
    logs: (step) => running.get(step as StepNumber)?.output() ?? "",
    secrets: () => [
      ...sandbox.thirdParty.keys(),
      // Every step that ever ran: one started later by `npm run restart` has secrets too.
      ...STEPS.filter((step) => steps.includes(step) || running.has(step)).flatMap((step) =>
        SECRET_VARIABLES.flatMap((name) => sandbox.siteEnvironment(siteOf(sandbox, step))[name] ?? []),
      ),
      ...(workspace?.secrets() ?? []),
    ],
    async restart(text) {
      const step = parseStep(text);
      askedSteps.add(step);
      await running.get(step)?.stop();
      running.delete(step);
      const port = portOf(step);
      try {
        if (port !== 0 && (await portInUse(port))) throw new Error(stepPortBusy(step, port));
        const restarted = await startStepInSandbox(sandbox, step);
        running.set(step, restarted);
        writeEndpoints(sandbox);
        return { url: restarted.url };
      } catch (error) {
        const line = lastLine(error);
        say(`${cyan(`[${step}]`)} ${red(line)}`);
        writeEndpoints(sandbox);
        return { error: line };
      }
    },
  });
  if (stopping) return;
  if (options.dashboard) dashboard = await startLiveView(sandbox, steps, failures);
  if (stopping) return;
  writeEndpoints(sandbox);
  printReady(sandbox, steps, failures, performance.now() - started);
}

/** Another `npm start` on the same folder: say so, rather than fail on its ports. A stale file is removed on the way. */
async function refuseIfRunning(): Promise<void> {
  try {
    await reachRunningWorkshop(ENDPOINTS_FILE);
  } catch (error) {
    if (error instanceof NotRunningError && error.reason !== "unresponsive") return;
    throw new StartError(error instanceof Error ? error.message : String(error));
  }
  throw new StartError(
    "keyless is already running, in another terminal: use it, or stop it there (Ctrl-C) before you start it again.",
  );
}

function sandboxPortsBusy(ports: Partial<SandboxPorts>, busy: readonly number[]): string {
  const named = busy.map((port) => {
    const service = Object.entries(ports).find(([, value]) => value === port)?.[0];
    return `${port} (${(service && SERVICE_NAMES[service]) ?? "sandbox"})`;
  });
  const [first = 0] = busy;
  return busy.length === 1
    ? `Port ${named[0]} is in use by another program (${whoHolds(first)} shows which): stop it, then npm start again.`
    : `Ports ${named.join(", ")} are in use by other programs (${whoHolds(first)} shows which): stop them, then npm start again.`;
}

/** The site that runs a step: the one whose code is the step's folder (the template tags each site with its code). */
const siteOf = (sandbox: Sandbox, step: StepNumber): string => siteOfStep(sandbox.sites(), step);

/** A step's app, started as its site's code: App Service's front ends reach it at the site's URL too. */
async function startStepInSandbox(sandbox: Sandbox, step: StepNumber): Promise<RunningStep> {
  const site = siteOf(sandbox, step);
  const started = await startStepProcess(sandbox, step);
  sandbox.web.setBackend(site, Number(new URL(started.url).port));
  return {
    ...started,
    stop: async () => {
      sandbox.web.setBackend(site, undefined);
      await started.stop();
    },
  };
}

function startStepProcess(sandbox: Sandbox, step: StepNumber): Promise<RunningStep> {
  const prefix = cyan(`[${step}]`);
  const port = portOf(step);
  return startStep({
    dir: stepDir(step),
    env: traced(sandbox, siteOf(sandbox, step), {
      ...sandbox.siteEnvironment(siteOf(sandbox, step)),
      PORT: String(port),
      THIRD_PARTY_API_TIMEOUT_MS: String(stepTimeoutMs()),
      // Node keeps compiled code here between runs: the SDKs load about a quarter faster.
      NODE_COMPILE_CACHE: compileCacheDir(),
    }),
    onLine: (line) => {
      // The step's own "Did not start: ..." is said once, where its failure is reported: the ready table, or
      // the line npm run restart gets.
      if (line.trim() && !STEP_VERDICT.test(line)) say(`${prefix} ${readableLogLine(line)}`);
    },
  }).catch((error: unknown) => {
    // Taken between the check and the step's own listen: say it in the launcher's words (PORT is not the learner's to set here).
    if (port !== 0 && /EADDRINUSE|port is already in use/i.test(String(error)))
      throw new Error(`Did not start. ${stepPortBusy(step, port)}`);
    throw error;
  });
}

/**
 * An app's environment, traced for the live view: the OpenTelemetry preload added to its
 * NODE_OPTIONS, and where its spans go. Environment only, for any app the launcher runs.
 */
function traced(sandbox: Sandbox, app: string, env: Record<string, string>): Record<string, string> {
  if (!options.dashboard) return env;
  return {
    ...env,
    ...telemetryEnvironment({
      app,
      tracesUrl: sandbox.endpoints.telemetry,
      ...(env["NODE_OPTIONS"] ? { nodeOptions: env["NODE_OPTIONS"] } : {}),
    }),
  };
}

/** The live view (http://localhost:3000), given the sandbox and what it may ask of the launcher. A busy port costs the view, not the workshop. */
async function startLiveView(
  sandbox: Sandbox,
  steps: readonly StepNumber[],
  failures: ReadonlyMap<StepNumber, string>,
): Promise<RunningDashboard | undefined> {
  const port = options.port["dashboard"] ?? (options.freePorts ? 0 : DASHBOARD_PORT);
  const errors = new Map(failures);
  const sites = sandbox.sites();
  const stepOf = (app: string) => stepOfSite(sites, app);
  // The learner's own apps (npm run exercise), beside the steps.
  const yours = (app?: string) => (workspace?.list() ?? []).filter((state) => app === undefined || state.app === app);
  try {
    return await startDashboard({
      sandbox,
      port,
      launcher: {
        apps: () =>
          STEPS.filter((step) => steps.includes(step) || askedSteps.has(step) || running.has(step))
            .map((step) => {
              const url = running.get(step)?.url;
              const error = url ? undefined : errors.get(step);
              return {
                app: siteOfStep(sites, step),
                step,
                title: stepTitle(step),
                ...(url ? { url } : {}),
                state: (url ? "running" : error ? "did not start" : "not running") as AppRun["state"],
                ...(error ? { error } : {}),
              };
            })
            .concat(
              yours().map((state) => ({
                app: state.app,
                step: state.step,
                title: `your app for exercise ${state.step} (${shownPath(state.dir)})`,
                ...(state.url ? { url: state.url } : {}),
                state: (state.status === "running"
                  ? "running"
                  : state.status === "failed"
                    ? "did not start"
                    : state.status === "starting"
                      ? "starting"
                      : "not running") as AppRun["state"],
                ...(state.error ? { error: state.error } : {}),
              })),
            ),
        logs: (app) => {
          const own = yours(app)[0];
          if (own) return workspace?.logs(own.step) ?? "";
          const step = stepOf(app);
          return (step && running.get(step)?.output()) || (step && errors.get(step)) || "";
        },
        // The same restart as npm run restart's, through the control endpoint.
        async restart(app) {
          const own = yours(app)[0];
          if (own && workspace) {
            const state = await workspace.start(own.step);
            return state.url ? { url: state.url } : { error: state.error ?? "did not start" };
          }
          const step = stepOf(app);
          if (!step || !control) return { error: `No step runs as ${app}.` };
          const response = await fetch(`${control.url}/steps/${step}/restart`, {
            method: "POST",
            headers: { authorization: `Bearer ${control.token}` },
          });
          const result = (await response.json()) as { url?: string; error?: string };
          if (result.error) errors.set(step, result.error);
          else errors.delete(step);
          return result;
        },
      },
    });
  } catch (error) {
    const busy = /EADDRINUSE/.test(String(error));
    say(
      fail(
        `The live view did not start: ${busy ? `port ${port} is in use by another program (${whoHolds(port)} shows which)` : firstLine(error)}. Everything else runs.`,
      ),
      process.stderr,
    );
    return undefined;
  }
}

function writeEndpoints(sandbox: Sandbox): void {
  dashboard?.appsChanged();
  if (stopping || !control) return;
  const steps = Object.fromEntries([...running].map(([step, { url }]) => [step, url]));
  writeEndpointsFile(ENDPOINTS_FILE, {
    ...sandbox.endpoints,
    steps,
    workspace: workspace?.urls() ?? {},
    askedSteps: [...askedSteps].sort(),
    control: { url: control.url, token: control.token },
    pid: process.pid,
  });
}

/** The identity endpoints of the other hosts the steps run on (--host). */
function hostEndpoints(sandbox: Sandbox, steps: readonly StepNumber[]): [string, string][] {
  const used = new Set(steps.map((step) => sandbox.hostOf(siteOf(sandbox, step))));
  const { containerApps, imds, clusterIssuer } = sandbox.endpoints.identityHosts;
  return [
    ...(used.has("container-apps") ? [["Container Apps identity endpoint", containerApps] as [string, string]] : []),
    ...(used.has("vm") ? [["virtual machine's IMDS", imds] as [string, string]] : []),
    ...(used.has("aks") ? [["AKS OIDC issuer", clusterIssuer] as [string, string]] : []),
  ];
}

function printReady(
  sandbox: Sandbox,
  steps: readonly StepNumber[],
  failures: ReadonlyMap<StepNumber, string>,
  elapsedMs: number,
): void {
  const rows = steps.map((step) => {
    const url = running.get(step)?.url;
    const host = sandbox.hostOf(siteOf(sandbox, step));
    const title = host === "app-service" ? stepTitle(step) : `${stepTitle(step)}, on ${HOST_TITLES[host]}`;
    return [
      bold(`step ${step}`),
      title,
      url ? green(`${url}/api/v1/getcode`) : fail(failures.get(step) ?? "did not start"),
    ];
  });
  const { authorityHost, identityEndpoint, keyVaultUrl, queueUrl, thirdPartyApi } = sandbox.endpoints;
  const services: [string, string | undefined][] = [
    ["Entra ID (token service)", authorityHost],
    ["managed identity endpoint", identityEndpoint],
    // The other hosts' endpoints, for the steps that run there.
    ...hostEndpoints(sandbox, steps),
    ["Key Vault", keyVaultUrl],
    ["Queue Storage", queueUrl],
    ["third-party API", thirdPartyApi],
  ];
  // The learner's own apps: one that does not start is the exercise's business, not the workshop's.
  for (const app of workspace?.list() ?? []) {
    const where = `exercise ${app.step}: ${loadExercise(app.step).title} (${shownPath(app.dir)})`;
    rows.push([
      yellow(`yours ${app.step}`),
      where,
      app.url ? green(`${app.url}/api/v1/getcode`) : fail(`did not start: npm run check -- ${app.step} says why`),
    ]);
  }
  for (const [name, url] of services) if (url) rows.push([dim("sandbox"), name, url]);
  if (dashboard)
    rows.unshift([bold("live view"), "see it happen: roles, secrets, the queue, every request", green(dashboard.url)]);
  const notRunning = steps.filter((step) => !running.has(step));
  const headline =
    notRunning.length === 0
      ? bold("keyless is running")
      : notRunning.length === steps.length
        ? `${bold("keyless is running, but no step started")}`
        : `${bold(`keyless is running, but ${notRunning.length === 1 ? "step" : "steps"} ${notRunning.join(", ")} did not start`)}`;
  say(`\n${headline} ${dim(`(ready in ${(elapsedMs / 1000).toFixed(1)} s)`)}\n`);
  say(table(rows));
  say(dim(`\n  Endpoints: ${relative(REPO_ROOT, ENDPOINTS_FILE)}.  Lessons: docs/.  Ctrl-C stops everything.\n`));
}

/** A start-up failure the learner can fix: one line, exit code 1. */
class StartError extends Error {
  override name = "StartError";
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").find((line) => line.trim()) ?? "unknown error";
}

/** The one line a step prints when it cannot start (see each step's server.ts). */
const STEP_VERDICT = /^Did not start[:.]/;

function lastLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").filter((line) => line.trim());
  return lines.findLast((line) => STEP_VERDICT.test(line)) ?? lines.at(-1) ?? "did not start";
}

main().catch((error: unknown) => {
  if (stopping) return;
  const port = /EADDRINUSE.*:(\d+)/.exec(String(error))?.[1];
  if (port)
    say(
      fail(
        `Port ${port} is in use by another program (${whoHolds(Number(port))} shows which): stop it, then npm start again.`,
      ),
      process.stderr,
    );
  else
    say(
      fail(error instanceof StartError || error instanceof UsageError ? error.message : firstLine(error)),
      process.stderr,
    );
  void shutDown(error instanceof UsageError ? 2 : 1, { quiet: true });
});
