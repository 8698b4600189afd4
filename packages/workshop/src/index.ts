/**
 * The workshop: the learner's commands (`src/commands/`, one file per `npm run`
 * script) and what they share. Other packages use this of it: npm start's
 * launcher (packages/launcher) builds on it, the property suite reads the steps.
 *
 * @module @keyless/workshop
 */
// Where the repository keeps things, and the ports npm start uses.
export {
  compileCacheDir,
  DASHBOARD_PORT,
  endpointsFile,
  REPO_ROOT,
  SANDBOX_PORTS,
  stepPort,
  stepTimeoutMs,
  WITH_COMPILE_CACHE,
  workspaceDir,
  workspacePort,
} from "./layout/repo.ts";
export { findStep, stepDir, stepFolders, type StepFolder } from "./layout/stepFolders.ts";
export { STEP_TITLES, parseStep, stepTitle } from "./layout/steps.ts";
export { lessonName, lessons, type LessonEntry } from "./layout/lessons.ts";
// The learner's own apps, one per exercise.
export {
  appExerciseSteps,
  existingWorkspaceApps,
  explainStartFailure,
  exerciseSteps,
  loadAppExercise,
  loadExercise,
  shownPath,
  workspaceAppDir,
  workspaceAppName,
  type ExerciseStep,
} from "./exercises/exercises.ts";
// A running npm start, as the commands reach it: the endpoints file and the control endpoint's answers.
export { NotRunningError, reachRunningWorkshop, type ControlEndpoint } from "./running/control.ts";
export type { LauncherFields } from "./running/endpointsFile.ts";
export type {
  WorkspaceAppState,
  WorkspaceIdentity,
  WorkspaceRole,
  WorkspaceView,
} from "./running/workspaceControl.ts";
// The terminal.
export { learnerTerminal } from "./terminal/learnerTerminal.ts";
export { UsageError } from "./terminal/usageError.ts";
export { bold, cyan, dim, fail, green, ok, readableLogLine, red, table, warn, yellow } from "./terminal/ui.ts";
