/**
 * An app as a child process, the same on Linux, macOS and Windows: started as
 * App Service starts one, never outliving whoever started it, stopped as App
 * Service stops one; and what the system says of running processes. What
 * differs between systems is decided in one module, platform.ts.
 *
 * @module @keyless/app-process
 */
export {
  SECRET_VARIABLES,
  startStep,
  startStepExpectingFailure,
  type RunningStep,
  type StartStepOptions,
  type FailedStart,
} from "./startStep.ts";
export {
  askToStop,
  baseEnvironment,
  hasLoadAverage,
  processListCommand,
  readProcesses,
  stopSignals,
  stopTree,
  terminateSelf,
  treeKillCommand,
  whoHolds,
  type Platform,
  type SelfProcess,
} from "./platform.ts";
export { parentOf, processTree } from "./processes.ts";
export { parsePsTable, parseProcEntry, parseWindowsTable, treeOf, type ProcessInfo } from "./processTable.ts";
export {
  STEPS,
  STEP_CODES,
  isStepNumber,
  siteOfStep,
  stepCodesIn,
  stepOfSite,
  type SiteOfCode,
  type StepCode,
  type StepNumber,
} from "./steps.ts";
export { FREE_PORT_RANGE, freePortArgs, portInUse, portsInUse } from "./ports.ts";
