/**
 * The one behaviour suite every step passes. A step's test starts the step
 * for real (startStep, from @keyless/app-process, given here too) and hands
 * the suite its URL and the third party it calls.
 */
export {
  describeStepContract,
  describeDeployedContract,
  CODE_PATTERN,
  type ContractTarget,
  type DeployedApp,
  type ThirdPartyControl,
} from "./contract.ts";
export {
  SECRET_VARIABLES,
  startStep,
  startStepExpectingFailure,
  type RunningStep,
  type StartStepOptions,
  type FailedStart,
} from "@keyless/app-process";
export { contractTargetInSandbox, type SandboxForSteps } from "./inSandbox.ts";
