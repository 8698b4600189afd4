/**
 * What a run is (which repository, event, ref and commit, which run number)
 * and what GitHub tells each step about it: the default environment
 * variables (GITHUB_*, RUNNER_*, CI) and the `github` and `runner` contexts.
 * https://docs.github.com/actions/reference/workflows-and-actions/variables
 */
import { createHash } from "node:crypto";
import type { EventName } from "./triggers.ts";
import type { Value } from "./expressions.ts";

export interface RunFacts {
  /** `owner/repo`: whose federated credential's subject must name it. */
  readonly repository: string;
  readonly event: EventName;
  /** The branch pushed to (push, workflow_dispatch), or the pull request's source branch. */
  readonly branch: string;
  /** A pull request's target branch. */
  readonly baseBranch: string;
  readonly sha: string;
  readonly actor: string;
  readonly runId: string;
  readonly runNumber: string;
  readonly workflowName: string;
  /** `.github/workflows/deploy.yml` */
  readonly workflowPath: string;
  readonly workspace: string;
}

/** A stable number for a name: GitHub's numeric ids (repository_id, actor_id) for a repository it has never seen. */
export const numericIdOf = (name: string) =>
  String(Number.parseInt(createHash("sha256").update(name.toLowerCase()).digest("hex").slice(0, 8), 16));

/** The pull request number a rehearsal of `pull_request` plays: GitHub's refs/pull/<n>/merge. */
const PULL_REQUEST_NUMBER = 1;

/** The ref GitHub runs on for the event: the branch, or a pull request's merge ref. */
export function refOf(facts: Pick<RunFacts, "event" | "branch">): string {
  return facts.event === "pull_request" ? `refs/pull/${PULL_REQUEST_NUMBER}/merge` : `refs/heads/${facts.branch}`;
}

/** The event's payload (GITHUB_EVENT_PATH, `github.event`): the fields workflows commonly read. */
export function eventPayload(facts: RunFacts): Record<string, Value> {
  const [owner = ""] = facts.repository.split("/");
  const repository = {
    full_name: facts.repository,
    name: facts.repository.split("/")[1] ?? "",
    owner: { login: owner },
    default_branch: facts.baseBranch,
  };
  if (facts.event === "pull_request")
    return {
      action: "synchronize",
      number: PULL_REQUEST_NUMBER,
      pull_request: {
        number: PULL_REQUEST_NUMBER,
        head: { ref: facts.branch, sha: facts.sha },
        base: { ref: facts.baseBranch },
      },
      repository,
      sender: { login: facts.actor },
    };
  if (facts.event === "workflow_dispatch")
    return { inputs: {}, ref: refOf(facts), repository, sender: { login: facts.actor } };
  return {
    ref: refOf(facts),
    after: facts.sha,
    head_commit: { id: facts.sha },
    repository,
    pusher: { name: facts.actor },
    sender: { login: facts.actor },
  };
}

/** GitHub's default variables for a job's steps (RUNNER_TEMP and the command files are the job's and step's own). */
export function defaultVariables(
  facts: RunFacts,
  job: { readonly id: string; readonly eventPath: string; readonly temp: string; readonly toolCache: string },
): Record<string, string> {
  const ref = refOf(facts);
  const [owner = ""] = facts.repository.split("/");
  const pullRequest = facts.event === "pull_request";
  return {
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_ACTOR: facts.actor,
    GITHUB_ACTOR_ID: numericIdOf(facts.actor),
    GITHUB_API_URL: "https://api.github.com",
    GITHUB_BASE_REF: pullRequest ? facts.baseBranch : "",
    GITHUB_EVENT_NAME: facts.event,
    GITHUB_EVENT_PATH: job.eventPath,
    GITHUB_GRAPHQL_URL: "https://api.github.com/graphql",
    GITHUB_HEAD_REF: pullRequest ? facts.branch : "",
    GITHUB_JOB: job.id,
    GITHUB_REF: ref,
    GITHUB_REF_NAME: pullRequest ? `${PULL_REQUEST_NUMBER}/merge` : facts.branch,
    GITHUB_REF_PROTECTED: "false",
    GITHUB_REF_TYPE: "branch",
    GITHUB_REPOSITORY: facts.repository,
    GITHUB_REPOSITORY_ID: numericIdOf(facts.repository),
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_REPOSITORY_OWNER_ID: numericIdOf(owner),
    GITHUB_RETENTION_DAYS: "90",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_RUN_ID: facts.runId,
    GITHUB_RUN_NUMBER: facts.runNumber,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_SHA: facts.sha,
    GITHUB_TRIGGERING_ACTOR: facts.actor,
    GITHUB_WORKFLOW: facts.workflowName,
    GITHUB_WORKFLOW_REF: `${facts.repository}/${facts.workflowPath}@${ref}`,
    GITHUB_WORKFLOW_SHA: facts.sha,
    GITHUB_WORKSPACE: facts.workspace,
    RUNNER_ARCH: process.arch === "arm64" ? "ARM64" : "X64",
    RUNNER_ENVIRONMENT: "self-hosted",
    RUNNER_NAME: "keyless-rehearsal",
    RUNNER_OS: process.platform === "darwin" ? "macOS" : process.platform === "win32" ? "Windows" : "Linux",
    RUNNER_TEMP: job.temp,
    RUNNER_TOOL_CACHE: job.toolCache,
  };
}

/** The `github` context: the default variables' facts by their context names, and the event. */
export function githubContext(facts: RunFacts, variables: Readonly<Record<string, string>>): Record<string, Value> {
  const pick = (name: string) => variables[name] ?? "";
  return {
    action: "",
    actor: facts.actor,
    actor_id: pick("GITHUB_ACTOR_ID"),
    api_url: pick("GITHUB_API_URL"),
    base_ref: pick("GITHUB_BASE_REF"),
    event: eventPayload(facts),
    event_name: facts.event,
    event_path: pick("GITHUB_EVENT_PATH"),
    graphql_url: pick("GITHUB_GRAPHQL_URL"),
    head_ref: pick("GITHUB_HEAD_REF"),
    job: pick("GITHUB_JOB"),
    ref: pick("GITHUB_REF"),
    ref_name: pick("GITHUB_REF_NAME"),
    ref_protected: false,
    ref_type: "branch",
    repository: facts.repository,
    repository_id: pick("GITHUB_REPOSITORY_ID"),
    repository_owner: pick("GITHUB_REPOSITORY_OWNER"),
    repository_owner_id: pick("GITHUB_REPOSITORY_OWNER_ID"),
    retention_days: "90",
    run_attempt: "1",
    run_id: facts.runId,
    run_number: facts.runNumber,
    server_url: pick("GITHUB_SERVER_URL"),
    sha: facts.sha,
    triggering_actor: facts.actor,
    workflow: facts.workflowName,
    workflow_ref: pick("GITHUB_WORKFLOW_REF"),
    workflow_sha: facts.sha,
    workspace: facts.workspace,
    // The job's GITHUB_TOKEN: the rehearsal has none (nothing here calls GitHub's API).
    token: "",
  };
}

export function runnerContext(variables: Readonly<Record<string, string>>): Record<string, Value> {
  return {
    name: variables["RUNNER_NAME"] ?? "",
    os: variables["RUNNER_OS"] ?? "",
    arch: variables["RUNNER_ARCH"] ?? "",
    temp: variables["RUNNER_TEMP"] ?? "",
    tool_cache: variables["RUNNER_TOOL_CACHE"] ?? "",
    environment: "self-hosted",
    debug: "",
  };
}
