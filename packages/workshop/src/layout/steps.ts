import { isStepNumber, type StepNumber } from "@keyless/app-process";
import { findStep } from "./stepFolders.ts";

/** What each step teaches, in a few words, for tables and messages. */
export const STEP_TITLES: Readonly<Record<StepNumber, string>> = {
  "01": "keys in code",
  "02": "Key Vault + service principal",
  "03": "Key Vault + managed identity",
  "04": "queue, same managed identity",
};

/** A step's title, or its number for a step the table does not know yet. */
export const stepTitle = (step: StepNumber): string => STEP_TITLES[step] ?? `step ${step}`;

/** Reads "3", "03" or "step-03" as a step the sandbox knows, or explains what is valid. */
export function parseStep(text: string): StepNumber {
  const { step } = findStep(text);
  if (!isStepNumber(step)) throw new Error(`The sandbox has no environment for step ${step}.`);
  return step;
}
