/**
 * One job of a workflow, run as a GitHub runner runs it, on this machine:
 *
 * 1. set up: its folders (RUNNER_TEMP, its tools, its command files), its
 *    environment (GitHub's variables, the workflow's and the job's `env:`),
 *    and, when its permissions grant `id-token: write`, the two variables of
 *    GitHub's token request (the job is registered with the sandbox's GitHub
 *    provider, which then signs tokens stating this run's facts);
 * 2. each step in order, if its `if:` holds: a played action, or a `run:`
 *    script in its shell with the expressions in it replaced; the command
 *    files read after each;
 * 3. the post steps of the actions that ran, last first (azure/login's
 *    `az account clear`), then the job ends and its token request with it.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { SandboxEndpoints } from "@keyless/sandbox";
import { inputsOf, resolveAction } from "./actions/index.ts";
import type { ActionContext, PlayedAction } from "./actions/action.ts";
import {
  CommandFileError,
  parseCommandFile,
  parsePathFile,
  processOutputLine,
  readCommandFile,
} from "./commandFiles.ts";
import { defaultVariables, eventPayload, githubContext, refOf, runnerContext, type RunFacts } from "./environment.ts";
import { condition, ExpressionError, interpolate, truthy, evaluate, type Scope, type Value } from "./expressions.ts";
import type { RunLog } from "./log.ts";
import { run, which } from "./processes.ts";
import { DNS_PRELOAD, SANDBOX_NOT_RUNNING, azTool, endJob, registerJob, type JobTokenGrant } from "./sandbox.ts";
import { grantsIdToken, stepTitle, type Job, type Step, type Workflow } from "./workflow.ts";

export type Conclusion = "success" | "failure" | "cancelled" | "skipped";

export interface JobResult {
  readonly id: string;
  readonly name: string;
  readonly conclusion: Conclusion;
  readonly outputs: Readonly<Record<string, string>>;
  /** What its steps wrote to GITHUB_STEP_SUMMARY. */
  readonly summary: string;
  /** The subject its token stated, when it had one (what Entra ID matched). */
  readonly subject?: string;
}

export interface JobOptions {
  readonly id: string;
  readonly job: Job;
  readonly workflow: Workflow;
  readonly facts: RunFacts;
  readonly variables: Readonly<Record<string, string>>;
  readonly needs: Readonly<Record<string, { result: Conclusion; outputs: Readonly<Record<string, string>> }>>;
  /** The job's folder (removed by the caller when the run ends). */
  readonly dir: string;
  readonly stateDir: string;
  readonly sandbox: SandboxEndpoints | undefined;
  /** `--environment`: the environment the job runs in, whatever its `environment:` says. */
  readonly environment?: string;
  /** The machine's environment, which steps inherit (less what GitHub's runner would not have). */
  readonly machineEnv: Readonly<Record<string, string | undefined>>;
  readonly log: RunLog;
  readonly signal?: AbortSignal;
  /** Told once of each `vars.*` read that is not set. */
  readonly onMissing: (path: string) => void;
}

/** The machine's variables a GitHub runner would not pass on: another runner's, npm's own, credentials for Azure. */
const NOT_INHERITED = /^(GITHUB_|ACTIONS_|RUNNER_|AZURE_|INPUT_|STATE_|npm_|NODE_OPTIONS$|NODE$|INIT_CWD$|KEYLESS_)/;

/** The shells GitHub knows, as the runner invokes them: the script's path replaces {0}. */
const SHELLS: Readonly<Record<string, readonly string[]>> = {
  bash: ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
  sh: ["sh", "-e", "{0}"],
  python: ["python3", "{0}"],
};

const minutes = (value: unknown): number | undefined => {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number * 60_000 : undefined;
};

export async function runJob(options: JobOptions): Promise<JobResult> {
  const { id, job, workflow, facts, log, machineEnv } = options;
  const name = job.name ?? id;
  const secrets: Record<string, Value> = {};
  const baseScope = (extra: Record<string, Value> = {}): Scope => ({
    contexts: {
      github: githubContext(facts, defaultVariables(facts, { id, eventPath: "", temp: "", toolCache: "" })),
      vars: options.variables,
      secrets,
      inputs: {},
      needs: Object.fromEntries(
        Object.entries(options.needs).map(([need, value]) => [need, { result: value.result, outputs: value.outputs }]),
      ),
      ...extra,
    },
    onMissing: options.onMissing,
  });
  const failedNeed = Object.values(options.needs).some(
    (need) => need.result !== "success" && need.result !== "skipped",
  );
  const failed = (): JobResult => ({ id, name, conclusion: "failure", outputs: {}, summary: "" });
  const skipped = (why: string): JobResult => {
    log.line(`Job ${id} (${name}): skipped: ${why}`);
    return { id, name, conclusion: "skipped", outputs: {}, summary: "" };
  };

  // Whether the job runs at all: its `if:` (with the needs' results), before anything is set up.
  try {
    const status = failedNeed ? "failure" : "success";
    if (!condition(job.if, { ...baseScope(), status }))
      return skipped(
        job.if === undefined ? "a job it needs did not succeed." : `its if: is false (${String(job.if)}).`,
      );
  } catch (error) {
    log.error(`${id}: if: ${(error as Error).message}`);
    return failed();
  }

  log.line("");
  log.line(`Job ${id} (${name})`);
  for (const [key, what] of [
    ["strategy", "a matrix"],
    ["services", "service containers"],
    ["container", "a job container"],
    ["uses", "a reusable workflow"],
  ] as const) {
    if (job[key] !== undefined) {
      log.error(
        `${id}: ${key}: is not played by the rehearsal (${what} needs Docker or GitHub). Run this job on GitHub.`,
      );
      return failed();
    }
  }
  const runsOn = JSON.stringify(job["runs-on"] ?? "");
  if (!/ubuntu|linux|self-hosted/i.test(runsOn))
    log.warning(`runs-on: ${runsOn}: the rehearsal runs every job on this machine, in bash.`);

  // 1. Set up the job.
  const temp = join(options.dir, "_temp");
  const toolsDir = join(options.dir, "_tool");
  const files = join(options.dir, "_files");
  for (const dir of [temp, toolsDir, files]) mkdirSync(dir, { recursive: true });
  const eventPath = join(files, "event.json");
  writeFileSync(eventPath, JSON.stringify(eventPayload(facts), null, 2));
  const defaults = defaultVariables(facts, { id, eventPath, temp, toolCache: toolsDir });

  const environmentName =
    options.environment ?? (typeof job.environment === "string" ? job.environment : job.environment?.name);
  const permissions = job.permissions ?? workflow.permissions;
  let grant: JobTokenGrant | undefined;
  if (grantsIdToken(permissions)) {
    if (!options.sandbox) {
      log.error(
        `${id}: the job may ask GitHub for its token (id-token: write), and GitHub's provider is the sandbox's. ${SANDBOX_NOT_RUNNING}`,
      );
      return failed();
    }
    try {
      grant = await registerJob(options.sandbox, {
        repository: facts.repository,
        repositoryId: defaults["GITHUB_REPOSITORY_ID"],
        repositoryOwnerId: defaults["GITHUB_REPOSITORY_OWNER_ID"],
        ref: refOf(facts),
        sha: facts.sha,
        eventName: facts.event,
        ...(environmentName ? { environment: environmentName } : {}),
        workflow: facts.workflowName,
        workflowPath: facts.workflowPath,
        actor: facts.actor,
        actorId: defaults["GITHUB_ACTOR_ID"],
        runId: facts.runId,
        runNumber: facts.runNumber,
        ...(facts.event === "pull_request" ? { headRef: facts.branch, baseRef: facts.baseBranch } : {}),
      });
    } catch (error) {
      log.error(`${id}: ${(error as Error).message}`);
      return failed();
    }
    log.mask(grant.requestToken);
  }
  log.line(
    `  token: ${grant ? "this job may ask GitHub for its OIDC token (id-token: write)" : "no id-token: write, so no ACTIONS_ID_TOKEN_REQUEST_URL"}`,
  );
  if (environmentName) log.line(`  environment: ${environmentName}`);

  const inherited = Object.fromEntries(
    Object.entries(machineEnv).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !NOT_INHERITED.test(entry[0]),
    ),
  );
  // What the rehearsal adds that no GitHub-hosted runner needs: the sandbox's az finds the sandbox; the job's az login is
  // the job's own (not the developer's); every program trusts the sandbox's CA and resolves *.localhost.
  const sandboxOnly: Record<string, string> = {
    KEYLESS_SANDBOX_DIR: options.stateDir,
    AZURE_CONFIG_DIR: join(options.dir, ".azure"),
    ...(options.sandbox
      ? {
          NODE_EXTRA_CA_CERTS: options.sandbox.caBundle,
          REQUESTS_CA_BUNDLE: options.sandbox.caBundle,
          SSL_CERT_FILE: options.sandbox.caBundle,
          CURL_CA_BUNDLE: options.sandbox.caBundle,
          NODE_OPTIONS: `--import ${pathToFileURL(DNS_PRELOAD).href}`,
        }
      : {}),
  };
  const tokenVariables: Record<string, string> = grant
    ? { ACTIONS_ID_TOKEN_REQUEST_URL: grant.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: grant.requestToken }
    : {};
  /** `env` context: what the workflow, the job and GITHUB_ENV set (not the machine's). */
  let envContext: Record<string, string> = {};
  const addedPaths: string[] = [azTool(join(toolsDir, "az"))];
  const stepsContext: Record<string, { outputs: Record<string, string>; outcome: Conclusion; conclusion: Conclusion }> =
    {};
  let status: "success" | "failure" | "cancelled" = "success";
  let summary = "";
  const posts: { title: string; action: PlayedAction; context: () => ActionContext }[] = [];
  const jobScope = (): Scope => ({
    ...baseScope({
      env: envContext,
      steps: stepsContext,
      job: { status },
      runner: runnerContext(defaults),
      github: githubContext(facts, defaults),
    }),
    status,
  });

  try {
    envContext = {
      ...evaluateEnv(workflow.env, baseScope({ github: githubContext(facts, defaults) })),
      ...evaluateEnv(job.env, baseScope({ github: githubContext(facts, defaults), env: envContext })),
    };
  } catch (error) {
    log.error(`${id}: env: ${(error as Error).message}`);
    if (grant && options.sandbox) await endJob(options.sandbox, grant);
    return failed();
  }
  const jobTimeout = minutes(job["timeout-minutes"]);
  const deadline = jobTimeout ? Date.now() + jobTimeout : undefined;

  // 2. The steps.
  for (const [index, step] of (job.steps ?? []).entries()) {
    const title = stepTitle(step);
    const stepId = step.id ?? `__step${index}`;
    let outcome: Conclusion;
    const cancelledNow = () => options.signal?.aborted === true;
    if (cancelledNow()) status = "cancelled";
    try {
      if (!condition(step.if, jobScope())) {
        stepsContext[stepId] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
        continue;
      }
    } catch (error) {
      log.line(`▶ ${title}`);
      log.error(`if: ${(error as Error).message}`);
      status = "failure";
      stepsContext[stepId] = { outputs: {}, outcome: "failure", conclusion: "failure" };
      continue;
    }

    log.line("");
    log.line(`▶ ${title}`);
    const stepFiles = {
      GITHUB_ENV: join(files, `set_env_${randomUUID()}`),
      GITHUB_OUTPUT: join(files, `set_output_${randomUUID()}`),
      GITHUB_PATH: join(files, `add_path_${randomUUID()}`),
      GITHUB_STEP_SUMMARY: join(files, `step_summary_${randomUUID()}`),
    };
    for (const file of Object.values(stepFiles)) writeFileSync(file, "");
    let stepEnv: Record<string, string>;
    const path = () => [...addedPaths, inherited["PATH"] ?? ""].join(delimiter);
    try {
      stepEnv = { ...envContext, ...evaluateEnv(step.env, jobScope()) };
    } catch (error) {
      log.error(`env: ${(error as Error).message}`);
      status = "failure";
      stepsContext[stepId] = { outputs: {}, outcome: "failure", conclusion: "failure" };
      continue;
    }
    const processEnv = () => ({
      ...inherited,
      ...defaults,
      ...sandboxOnly,
      ...tokenVariables,
      ...stepEnv,
      ...stepFiles,
      PATH: path(),
    });
    const stepTimeout = minutes(step["timeout-minutes"]);
    const remaining = deadline ? Math.max(1, deadline - Date.now()) : undefined;
    const timeoutMs = [stepTimeout, remaining]
      .filter((value): value is number => value !== undefined)
      .sort((a, b) => a - b)[0];

    if (step.uses !== undefined) {
      outcome = await runAction(step, title, {
        log,
        workspace: facts.workspace,
        env: processEnv,
        addPath: (dir) => addedPaths.unshift(dir),
        toolsDir,
        scope: jobScope,
        posts,
        path,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } else {
      outcome = await runScript(step, title, {
        log,
        workspace: facts.workspace,
        env: processEnv(),
        scope: jobScope(),
        temp,
        defaults: { ...workflow.defaults?.run, ...job.defaults?.run },
        path: path(),
        ...(timeoutMs ? { timeoutMs, timeoutMinutes: Math.round(timeoutMs / 60_000) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }

    // The command files: variables for the later steps, this step's outputs, PATH, the summary.
    let outputs: Record<string, string> = {};
    try {
      envContext = { ...envContext, ...parseCommandFile(readCommandFile(stepFiles.GITHUB_ENV), "env") };
      outputs = parseCommandFile(readCommandFile(stepFiles.GITHUB_OUTPUT), "output");
      addedPaths.unshift(...parsePathFile(readCommandFile(stepFiles.GITHUB_PATH)));
      summary += readCommandFile(stepFiles.GITHUB_STEP_SUMMARY);
    } catch (error) {
      if (!(error instanceof CommandFileError)) throw error;
      log.error(error.message);
      outcome = "failure";
    }
    const continueOnError =
      step["continue-on-error"] !== undefined && truthy(evaluateLoose(step["continue-on-error"], jobScope()));
    const conclusion = outcome === "failure" && continueOnError ? "success" : outcome;
    stepsContext[stepId] = { outputs, outcome, conclusion };
    if (conclusion === "failure" && status === "success") status = "failure";
    if (outcome === "cancelled") status = "cancelled";
  }

  // 3. The post steps, last first, then the job ends.
  for (const post of posts.reverse()) {
    log.line(`Post ${post.title}`);
    await post.action.post?.(post.context());
  }
  if (grant && options.sandbox) await endJob(options.sandbox, grant);

  let outputs: Record<string, string> = {};
  try {
    outputs = Object.fromEntries(
      Object.entries(job.outputs ?? {}).map(([key, value]) => [key, interpolate(value, jobScope())]),
    );
  } catch (error) {
    log.error(`${id}: outputs: ${(error as Error).message}`);
  }
  log.line(`Job ${id}: ${status === "success" ? "succeeded" : status === "cancelled" ? "was cancelled" : "failed"}`);
  return {
    id,
    name,
    conclusion: status,
    outputs,
    summary,
    ...(grant ? { subject: subjectFor(facts, environmentName) } : {}),
  };
}

/** The subject GitHub's token states for this job (as claims.ts computes it in the sandbox). */
function subjectFor(facts: RunFacts, environment: string | undefined): string {
  if (environment) return `repo:${facts.repository}:environment:${environment}`;
  if (facts.event === "pull_request") return `repo:${facts.repository}:pull_request`;
  return `repo:${facts.repository}:ref:${refOf(facts)}`;
}

/** An `env:` map with the expressions in its values replaced. */
function evaluateEnv(env: Readonly<Record<string, string>> | undefined, scope: Scope): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([key, value]) => [key, interpolate(value, scope)]));
}

/** A value that is a literal or one whole expression (`continue-on-error`, `timeout-minutes`). */
function evaluateLoose(value: string | number | boolean, scope: Scope): Value {
  if (typeof value !== "string") return value;
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(value.trim());
  return whole ? evaluate(whole[1] ?? "", scope) : value;
}

interface StepRun {
  readonly log: RunLog;
  readonly workspace: string;
  readonly signal?: AbortSignal;
}

async function runAction(
  step: Step,
  title: string,
  options: StepRun & {
    readonly env: () => Record<string, string>;
    readonly addPath: (dir: string) => void;
    readonly toolsDir: string;
    readonly scope: () => Scope;
    readonly posts: { title: string; action: PlayedAction; context: () => ActionContext }[];
    readonly path: () => string;
  },
): Promise<Conclusion> {
  const { log } = options;
  const uses = step.uses ?? "";
  log.line(`Run ${uses}`);
  const resolved = resolveAction(uses);
  if ("refusal" in resolved) {
    log.error(resolved.refusal);
    return "failure";
  }
  let given: Record<string, string>;
  try {
    given = evaluateEnv(step.with, options.scope());
  } catch (error) {
    log.error(`with: ${(error as Error).message}`);
    return "failure";
  }
  const { inputs, unexpected } = inputsOf(resolved.action, given);
  // As GitHub shows them: the inputs given, and those the action defaults to a value.
  const shown = Object.entries(inputs).filter(([key, value]) => key in given || value !== "");
  if (shown.length > 0) {
    log.line("  with:");
    for (const [key, value] of shown) log.line(`    ${key}: ${value}`);
  }
  if (unexpected.length > 0)
    log.warning(
      `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(resolved.action.inputs).join("', '")}']`,
    );
  const context = (): ActionContext => {
    const env = options.env();
    return {
      inputs,
      env,
      log,
      workspace: options.workspace,
      toolsDir: options.toolsDir,
      which: (program) => which(program, options.path()),
      addPath: options.addPath,
      exec: async (file, args, execOptions) => {
        const program = which(file, options.path()) ?? file;
        if (!execOptions?.silent) log.line(`[command]${program} ${args.join(" ")}`);
        return run(program, args, {
          cwd: options.workspace,
          env: { ...options.env(), PATH: options.path() },
          ...(execOptions?.silent ? {} : { onLine: (line: string) => processOutputLine(line, log) }),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      },
    };
  };
  const ok = await resolved.action.main(context());
  if (resolved.action.post) options.posts.push({ title, action: resolved.action, context });
  return ok ? "success" : options.signal?.aborted ? "cancelled" : "failure";
}

async function runScript(
  step: Step,
  title: string,
  options: StepRun & {
    readonly env: Record<string, string>;
    readonly scope: Scope;
    readonly temp: string;
    readonly defaults: { readonly shell?: string; readonly "working-directory"?: string };
    readonly path: string;
    readonly timeoutMs?: number;
    readonly timeoutMinutes?: number;
  },
): Promise<Conclusion> {
  const { log } = options;
  let script: string;
  let cwd: string;
  try {
    script = interpolate(step.run ?? "", options.scope);
    const dir = step["working-directory"] ?? options.defaults["working-directory"];
    const interpolated = dir === undefined ? undefined : interpolate(dir, options.scope);
    cwd =
      interpolated === undefined
        ? options.workspace
        : isAbsolute(interpolated)
          ? interpolated
          : join(options.workspace, interpolated);
  } catch (error) {
    log.error(error instanceof ExpressionError ? error.message : String(error));
    return "failure";
  }
  const shellName = step.shell ?? options.defaults.shell ?? "bash";
  const shell = SHELLS[shellName] ?? (shellName.includes("{0}") ? shellName.split(/\s+/) : undefined);
  log.line(`Run ${script.trim().split("\n")[0] ?? ""}`);
  for (const line of script.trimEnd().split("\n")) log.line(`  ${line}`);
  if (!shell) {
    log.error(`shell: ${shellName} is not played by the rehearsal: use bash (the default), sh or python.`);
    return "failure";
  }
  const file = join(options.temp, `${randomUUID()}.${shellName === "python" ? "py" : "sh"}`);
  writeFileSync(file, script);
  const [program = "bash", ...args] = shell.map((part) => (part === "{0}" ? file : part));
  const executable = which(program, options.path);
  log.line(`  shell: ${executable ?? program} ${args.map((arg) => (arg === file ? "{0}" : arg)).join(" ")}`);
  if (!executable) {
    log.error(`Unable to locate executable file: ${program}.`);
    return "failure";
  }
  const result = await run(executable, args, {
    cwd,
    env: options.env,
    onLine: (line) => processOutputLine(line, log),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.stopped === "timeout") {
    log.error(`The action '${title}' has timed out after ${options.timeoutMinutes ?? 0} minutes.`);
    return "failure";
  }
  if (result.stopped === "cancelled") {
    log.error("The operation was canceled.");
    return "cancelled";
  }
  if (result.code !== 0) {
    log.error(`Process completed with exit code ${result.code}.`);
    return "failure";
  }
  return "success";
}
