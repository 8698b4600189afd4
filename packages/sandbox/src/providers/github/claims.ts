/**
 * What GitHub's OIDC token says about a job: the claims GitHub documents
 * (https://docs.github.com/actions/reference/security/oidc), computed from the
 * workflow run the Actions service knows. The one that decides everything on
 * Azure's side is `sub`: Entra ID compares it, case included, with the
 * subject of a federated identity credential.
 *
 * - a job that names an environment: `repo:<owner>/<repo>:environment:<name>`
 *   (whatever the event: the environment wins);
 * - a pull request: `repo:<owner>/<repo>:pull_request`;
 * - otherwise the ref: `repo:<owner>/<repo>:ref:refs/heads/<branch>` (or `refs/tags/<tag>`).
 */
import { z } from "zod";

/** The audience a token gets when the job asks for none: the URL of the repository's owner. */
export const defaultAudienceOf = (repository: string) => `https://github.com/${repository.split("/")[0] ?? ""}`;

/** GitHub's names: letters, digits, `-`, `_` and `.`, as in `octo-org/octo-repo`. */
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const numeric = z.string().regex(/^\d{1,20}$/);

/** A workflow run's job as the runner registers it, checked whole (the Actions service knows these facts; the runner states them). */
export const WorkflowRunSchema = z.strictObject({
  /** `owner/repo`, as GITHUB_REPOSITORY. */
  repository: z
    .string()
    .refine((value) => value.split("/").length === 2 && value.split("/").every((part) => NAME.test(part)), {
      message: "repository must be owner/repo",
    }),
  repositoryId: numeric.default("1"),
  repositoryOwnerId: numeric.default("1"),
  repositoryVisibility: z.enum(["public", "private", "internal"]).default("public"),
  /** The ref the job runs on: `refs/heads/main`, `refs/tags/v1`, `refs/pull/1/merge`. */
  ref: z.string().regex(/^refs\/(heads|tags|pull)\/[^\s~^:?*[\\]{1,255}$/),
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  /** What started the run: `push`, `pull_request`, `workflow_dispatch`… */
  eventName: z.string().regex(/^[a-z_]{1,40}$/),
  /** The environment the job names, if any (it changes the subject). */
  environment: z
    .string()
    .regex(/^[^\s'"`;<>\\/]{1}[^'"`;<>\\/]{0,254}$/)
    .optional(),
  /** The workflow's `name:` (or its path, when it has none). */
  workflow: z.string().min(1).max(255),
  /** Its file, from the repository's root: `.github/workflows/deploy.yml`. */
  workflowPath: z.string().regex(/^\.github\/workflows\/[A-Za-z0-9_.-]{1,100}\.ya?ml$/),
  actor: z.string().regex(/^[A-Za-z0-9-]{1,39}$/),
  actorId: numeric.default("1"),
  runId: numeric,
  runNumber: numeric.default("1"),
  runAttempt: numeric.default("1"),
  /** A pull request's source and target branches. */
  headRef: z.string().max(255).default(""),
  baseRef: z.string().max(255).default(""),
});
export type WorkflowRun = z.output<typeof WorkflowRunSchema>;

/** The `sub` claim: Entra ID matches it exactly against a federated credential's subject. */
export function subjectOf(run: Pick<WorkflowRun, "repository" | "environment" | "eventName" | "ref">): string {
  if (run.environment !== undefined) return `repo:${run.repository}:environment:${run.environment}`;
  if (run.eventName === "pull_request" || run.eventName === "pull_request_target")
    return `repo:${run.repository}:pull_request`;
  return `repo:${run.repository}:ref:${run.ref}`;
}

/** How long a token lives: GitHub's are valid from ten minutes before they are issued to five minutes after. */
export const NOT_BEFORE_SECONDS = 600;
export const LIFETIME_SECONDS = 300;

/** Every claim of a job's token but `jti`, for an audience, at a time (seconds). */
export function claimsOf(run: WorkflowRun, options: { issuer: string; audience: string; now: number }) {
  const { issuer, audience, now } = options;
  const workflowRef = `${run.repository}/${run.workflowPath}@${run.ref}`;
  return {
    sub: subjectOf(run),
    aud: audience,
    ref: run.ref,
    sha: run.sha,
    repository: run.repository,
    repository_owner: run.repository.split("/")[0] ?? "",
    repository_owner_id: run.repositoryOwnerId,
    run_id: run.runId,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    repository_visibility: run.repositoryVisibility,
    repository_id: run.repositoryId,
    actor_id: run.actorId,
    actor: run.actor,
    workflow: run.workflow,
    head_ref: run.headRef,
    base_ref: run.baseRef,
    event_name: run.eventName,
    ref_protected: "false",
    ref_type: run.ref.startsWith("refs/tags/") ? "tag" : "branch",
    workflow_ref: workflowRef,
    workflow_sha: run.sha,
    // No reusable workflow here: the job's own workflow is the one that runs it.
    job_workflow_ref: workflowRef,
    job_workflow_sha: run.sha,
    // The learner's machine plays the runner: a self-hosted one, in GitHub's words.
    runner_environment: "self-hosted",
    ...(run.environment !== undefined ? { environment: run.environment } : {}),
    iss: issuer,
    nbf: now - NOT_BEFORE_SECONDS,
    exp: now + LIFETIME_SECONDS,
    iat: now,
  };
}

/** The claims GitHub's discovery document lists as supported. */
export const CLAIMS_SUPPORTED = [
  "sub",
  "aud",
  "exp",
  "iat",
  "iss",
  "jti",
  "nbf",
  "ref",
  "sha",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "run_id",
  "run_number",
  "run_attempt",
  "actor",
  "actor_id",
  "workflow",
  "workflow_ref",
  "workflow_sha",
  "head_ref",
  "base_ref",
  "event_name",
  "ref_type",
  "ref_protected",
  "environment",
  "job_workflow_ref",
  "job_workflow_sha",
  "repository_visibility",
  "runner_environment",
] as const;
