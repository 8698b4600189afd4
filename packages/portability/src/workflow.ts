/**
 * The GitHub Actions workflow, read offline: checked against GitHub's workflow schema by
 * action-validator (its WebAssembly build, so no binary is downloaded and no network is used), and
 * parsed so that a test can compare the commands it runs with the README's.
 */
import { type ValidationError, validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";

/** One step of a job: an action it uses, or a command it runs. */
export interface WorkflowStep {
  readonly name?: string;
  readonly id?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly with?: Readonly<Record<string, string | number | boolean>>;
  readonly run?: string;
  readonly shell?: string;
  readonly env?: Readonly<Record<string, string | number | boolean>>;
}

export interface WorkflowJob {
  readonly "runs-on": string;
  readonly strategy?: { readonly matrix?: { readonly include?: readonly Readonly<Record<string, string>>[] } };
  readonly env?: Readonly<Record<string, string | number | boolean>>;
  readonly steps: readonly WorkflowStep[];
}

export interface Workflow {
  readonly name: string;
  readonly jobs: Readonly<Record<string, WorkflowJob>>;
}

/** What GitHub's workflow schema finds wrong with `source`, one line per leaf error; none when valid. */
export function workflowSchemaErrors(source: string): string[] {
  const leaves = (errors: readonly ValidationError[]): string[] =>
    errors.flatMap((error) => {
      const nested = "states" in error ? (error.states ?? []).flatMap((state) => leaves(state.errors)) : [];
      if (nested.length > 0) return nested;
      const where = "path" in error ? error.path : `line ${error.location?.line ?? "?"}`;
      return [`${where}: ${error.title}${error.detail ? ` (${error.detail})` : ""}`];
    });
  return leaves(validateWorkflow(source).errors);
}

/** The workflow as data (YAML, parsed as GitHub reads it). */
export function parseWorkflow(source: string): Workflow {
  return parse(source) as Workflow;
}

/** The commands a job runs with npm, in order: what a learner would type. */
export function npmCommands(job: WorkflowJob): string[] {
  return job.steps.flatMap((step) => (step.run?.trim().startsWith("npm ") ? [step.run.trim()] : []));
}
