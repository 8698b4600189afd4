/**
 * The one behaviour suite every step passes. A step's test starts the step
 * for real and hands the suite its URL and the third party it calls.
 */
export { describeStepContract, CODE_PATTERN, type ContractTarget, type ThirdPartyControl } from "./contract.ts";
export {
  SECRET_VARIABLES,
  startStep,
  startStepExpectingFailure,
  type RunningStep,
  type StartStepOptions,
  type FailedStart,
} from "./startStep.ts";
export { contractTargetInSandbox, type SandboxForSteps } from "./inSandbox.ts";
