/**
 * The rehearsal of a workflow run: the workflow file read as GitHub reads it,
 * whether the event would start it, then its jobs in the order their `needs`
 * give, each on this machine against the sandbox (job.ts). Every job's folder
 * lives in the sandbox's state folder while the run lasts, and goes with it.
 *
 * What it records, for whoever grades a rehearsal: `pipeline/last-run.json`
 * in the state folder (the run's facts, each job's conclusion and the subject
 * its token stated), never a token.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Value } from "./expressions.ts";
import { refOf, type RunFacts } from "./environment.ts";
import { runJob, type Conclusion, type JobResult } from "./job.ts";
import { RunLog } from "./log.ts";
import { runningSandbox } from "./sandbox.ts";
import { whyNotTriggered, type EventName } from "./triggers.ts";
import { loadWorkflow, WorkflowError, type Workflow } from "./workflow.ts";

export interface RunOptions {
  /** The workflow file's absolute path, inside `workspace`'s `.github/workflows` unless `workflowPath` is given. */
  readonly workflowFile: string;
  /**
   * The path GitHub would know the workflow by (`.github/workflows/deploy.yml`), when the file is a copy kept
   * elsewhere (a learner's, in `workspace/`): it is run as if it were there.
   */
  readonly workflowPath?: string;
  /** GITHUB_WORKSPACE: the working tree, as it is. */
  readonly workspace: string;
  /** The sandbox's state folder (its endpoints.json; the run's folders). */
  readonly stateDir: string;
  readonly event: EventName;
  /** The branch pushed to, or a pull request's source branch. */
  readonly branch: string;
  /** A pull request's target branch: `main` unless given. */
  readonly baseBranch?: string;
  /** `owner/repo` */
  readonly repository: string;
  readonly sha: string;
  readonly actor: string;
  /** The repository's variables (`vars.*`). */
  readonly variables: Readonly<Record<string, string>>;
  /** Only these jobs (and those they need). */
  readonly jobs?: readonly string[];
  readonly environment?: string;
  /** Where each log line goes (standard output unless given). */
  readonly write?: (line: string) => void;
  /** The machine's environment the steps inherit: this process's unless given. */
  readonly machineEnv?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

export interface RunResult {
  /** `refused`: the workflow could not be read, or the event would not start it. */
  readonly conclusion: "success" | "failure" | "cancelled" | "refused";
  readonly runId: string;
  readonly runNumber: string;
  readonly jobs: readonly JobResult[];
  readonly log: readonly string[];
}

/** The jobs to run, each after those it needs (a needed job is run too). */
function jobOrder(workflow: Workflow, only: readonly string[] | undefined, file: string): string[] {
  const ids = Object.keys(workflow.jobs);
  const needsOf = (id: string) => {
    const needs = workflow.jobs[id]?.needs;
    return needs === undefined ? [] : Array.isArray(needs) ? needs : [needs];
  };
  for (const id of only ?? [])
    if (!ids.includes(id)) throw new WorkflowError(`${file}: no job '${id}' (its jobs: ${ids.join(", ")}).`);
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (order.includes(id)) return;
    if (visiting.has(id)) throw new WorkflowError(`${file}: jobs.${id}.needs: the jobs need each other in a circle.`);
    if (!ids.includes(id))
      throw new WorkflowError(`${file}: a job needs '${id}', which is not a job of this workflow.`);
    visiting.add(id);
    for (const need of needsOf(id)) visit(need);
    visiting.delete(id);
    order.push(id);
  };
  for (const id of only ?? ids) visit(id);
  return order;
}

/** The run's number: one more than this workflow's last rehearsal, kept in the state folder. */
function nextRunNumber(stateDir: string, workflowPath: string): number {
  const file = join(stateDir, "pipeline", "run-numbers.json");
  let numbers: Record<string, number> = {};
  try {
    numbers = JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
  } catch {
    numbers = {};
  }
  const next = (numbers[workflowPath] ?? 0) + 1;
  mkdirSync(join(stateDir, "pipeline"), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...numbers, [workflowPath]: next }, null, 2));
  return next;
}

export async function runWorkflow(options: RunOptions): Promise<RunResult> {
  const log = new RunLog(options.write ?? ((line) => process.stdout.write(`${line}\n`)));
  const file = relative(options.workspace, options.workflowFile).split("\\").join("/");
  const workflowPath = options.workflowPath ?? file;
  const refused = (message: string): RunResult => {
    log.error(message);
    return { conclusion: "refused", runId: "", runNumber: "", jobs: [], log: log.lines };
  };
  if (!/^\.github\/workflows\/[^/]+\.ya?ml$/.test(workflowPath))
    return refused(`${workflowPath}: a workflow lives in .github/workflows/ and ends in .yml or .yaml.`);

  let workflow: Workflow;
  let order: string[];
  try {
    workflow = loadWorkflow(options.workflowFile, workflowPath);
    order = jobOrder(workflow, options.jobs, workflowPath);
  } catch (error) {
    if (error instanceof WorkflowError) return refused(error.message);
    throw error;
  }
  const why = whyNotTriggered(
    workflow.on,
    options.event,
    options.event === "pull_request" ? (options.baseBranch ?? "main") : options.branch,
  );
  if (why) return refused(`${workflow.name ?? workflowPath} would not run on GitHub: ${why}`);

  const runNumber = String(nextRunNumber(options.stateDir, workflowPath));
  const runId = String(Date.now());
  const facts: RunFacts = {
    repository: options.repository,
    event: options.event,
    branch: options.branch,
    baseBranch: options.baseBranch ?? "main",
    sha: options.sha,
    actor: options.actor,
    runId,
    runNumber,
    workflowName: workflow.name ?? workflowPath,
    workflowPath,
    workspace: options.workspace,
  };
  const sandbox = runningSandbox(options.stateDir);
  const ref =
    options.event === "pull_request"
      ? `pull request from ${options.branch} into ${facts.baseBranch}`
      : `${options.event} to ${options.branch}`;
  log.line(`${facts.workflowName} #${runNumber}: ${ref} (${options.repository}@${options.sha.slice(0, 7)})`);
  if (!sandbox)
    log.warning("The sandbox is not running: a job that signs in to Azure will fail (start it with npm start).");

  const warned = new Set<string>();
  const onMissing = (path: string) => {
    if (!/^vars\./i.test(path) || warned.has(path.toLowerCase())) return;
    warned.add(path.toLowerCase());
    const name = path.slice(5);
    log.warning(
      `${path} is not set: it reads as ''. Set it with: npm run pipeline -- variable set ${name} --body <value>`,
    );
  };

  const runDir = join(options.stateDir, "pipeline", "runs", runId);
  const results = new Map<string, JobResult>();
  try {
    for (const id of order) {
      const job = workflow.jobs[id];
      if (!job) continue;
      const needs = job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
      const result = await runJob({
        id,
        job,
        workflow,
        facts,
        variables: options.variables,
        needs: Object.fromEntries(
          needs.map((need) => [
            need,
            { result: results.get(need)?.conclusion ?? "skipped", outputs: results.get(need)?.outputs ?? {} },
          ]),
        ),
        dir: join(runDir, id),
        stateDir: options.stateDir,
        sandbox,
        ...(options.environment ? { environment: options.environment } : {}),
        machineEnv: options.machineEnv ?? process.env,
        log,
        ...(options.signal ? { signal: options.signal } : {}),
        onMissing,
      });
      results.set(id, result);
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }

  const jobs = [...results.values()];
  for (const job of jobs.filter((candidate) => candidate.summary.trim() !== "")) {
    log.line("");
    log.line(`Summary of ${job.id}:`);
    log.line(job.summary.trimEnd());
  }
  const conclusion: Exclude<Conclusion, "skipped"> = jobs.some((job) => job.conclusion === "cancelled")
    ? "cancelled"
    : jobs.some((job) => job.conclusion === "failure")
      ? "failure"
      : "success";
  log.line("");
  log.line(`${facts.workflowName} #${runNumber}: ${conclusion}`);
  const record: Record<string, Value> = {
    workflow: workflowPath,
    // The file that ran, when it is a copy run as the workflow (a learner's): what a grader reads.
    ...(file !== workflowPath ? { file } : {}),
    event: options.event,
    ref: refOf(facts),
    repository: options.repository,
    sha: options.sha,
    runId,
    runNumber,
    conclusion,
    at: new Date().toISOString(),
    jobs: jobs.map((job) => ({
      id: job.id,
      conclusion: job.conclusion,
      ...(job.subject ? { subject: job.subject } : {}),
    })),
  };
  writeFileSync(join(options.stateDir, "pipeline", "last-run.json"), `${JSON.stringify(record, null, 2)}\n`);
  return { conclusion, runId, runNumber, jobs, log: log.lines };
}
