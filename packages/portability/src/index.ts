/**
 * The checks that keep the repository working on every laptop: Linux, macOS and Windows, in CI,
 * in a dev container and on a learner's own machine. Its tests apply them to this repository.
 *
 * @module @keyless/portability
 */
export { hasLfRule, LF_EVERYWHERE, lineEndingProblem } from "./lineEndings.ts";
export { shellOnlyReasons } from "./npmScripts.ts";
export {
  type DevContainer,
  type LifecycleCommand,
  type PortAttributes,
  parseDevContainer,
  specProblems,
} from "./devContainer.ts";
export { codeBlockUnder, npmCommandsOfScript } from "./readme.ts";
export {
  parseEolEntry,
  REPO_ROOT,
  readRepoFile,
  type TrackedFile,
  trackedFiles,
  trackedPaths,
  whyNoGit,
} from "./repository.ts";
export {
  npmCommands,
  parseWorkflow,
  type Workflow,
  type WorkflowJob,
  type WorkflowStep,
  workflowSchemaErrors,
} from "./workflow.ts";
