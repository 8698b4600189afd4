/**
 * The pipeline runner, for tests and the workshop's commands: run a workflow file against the sandbox.
 *
 * @module @keyless/pipeline
 */
export { runWorkflow, type RunOptions, type RunResult } from "./runner.ts";
export type { JobResult, Conclusion } from "./job.ts";
export { readVariables, setVariable, deleteVariable, VARIABLES_FILE } from "./variables.ts";
export { parseWorkflow, WorkflowError, type Workflow } from "./workflow.ts";
export { EVENTS, type EventName } from "./triggers.ts";
