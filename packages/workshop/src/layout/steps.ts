import { STEPS, type StepNumber } from "@keyless/sandbox";
import { findStep } from "./stepFolders.ts";

/** What each step teaches, in a few words, for tables and messages. */
export const STEP_TITLES: Record<StepNumber, string> = {
  "01": "keys in code",
  "02": "Key Vault + service principal",
  "03": "Key Vault + managed identity",
  "04": "queue, same managed identity",
};

const isStepNumber = (step: string): step is StepNumber => (STEPS as readonly string[]).includes(step);

/** Reads "3", "03" or "step-03" as a step the sandbox knows, or explains what is valid. */
export function parseStep(text: string): StepNumber {
  const { step } = findStep(text);
  if (!isStepNumber(step)) throw new Error(`The sandbox has no environment for step ${step}.`);
  return step;
}
