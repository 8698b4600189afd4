/**
 * The one behaviour suite every step passes. A step's test starts the step
 * for real (startStep, from @keyless/app-process, given here too) and hands
 * the suite its URL and the third party it calls; `npm run check` runs the
 * same suite in its own process (runContract).
 *
 * @module @keyless/contract-tests
 */
export { describeStepContract, describeDeployedContract } from "./contract.ts";
export { CODE_PATTERN, CONTRACT_CHECKS, type ContractCheck } from "./checks.ts";
export {
  runContract,
  checksThatRan,
  failedChecks,
  DEFAULT_LIMITS,
  type CheckResult,
  type ContractLimits,
  type ContractReport,
} from "./runContract.ts";
export type { ContractStart, ContractTarget, DeployedApp, ThirdPartyControl } from "./target.ts";
export {
  SECRET_VARIABLES,
  startStep,
  startStepExpectingFailure,
  type RunningStep,
  type StartStepOptions,
  type FailedStart,
} from "@keyless/app-process";
export { contractTargetInSandbox, type SandboxForSteps } from "./inSandbox.ts";
