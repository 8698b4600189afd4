/**
 * The workshop's steps, found from the repository's `steps/NN-name` folders:
 * a step is its number and the folder of its code. Which site runs a step is
 * the sandbox's to say (each site names the folder of the code it runs), so
 * a step and its site meet here, by folder, and nowhere else.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A step's number, as its folder starts: "01", "02", ... */
export type StepNumber = string;

/** The repository's `steps/` folder. */
const STEPS_ROOT = new URL("../../../steps/", import.meta.url);

/** A step's code, as a path from the repository's root: `steps/03-managed-identity`. */
export interface StepCode {
  readonly step: StepNumber;
  readonly code: string;
}

/** The `steps/NN-name` folders of a folder, in order. */
export function stepCodesIn(stepsRoot: string | URL = STEPS_ROOT): StepCode[] {
  const root = typeof stepsRoot === "string" ? stepsRoot : fileURLToPath(stepsRoot);
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d{2}-/.test(entry.name))
    .map((entry) => ({ step: entry.name.slice(0, 2), code: `steps/${entry.name}` }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

/** The steps of this checkout, with their code. */
export const STEP_CODES: readonly StepCode[] = stepCodesIn();

/** The steps of this checkout, by number. */
export const STEPS: readonly StepNumber[] = STEP_CODES.map((entry) => entry.step);

export const isStepNumber = (text: string): text is StepNumber => STEPS.includes(text);

/** A site as the sandbox lists it: its name, and the folder of the code it runs. */
export interface SiteOfCode {
  readonly name: string;
  readonly code?: string;
}

/** The site that runs a step: the one whose code is the step's folder. */
export function siteOfStep(sites: readonly SiteOfCode[], step: StepNumber): string {
  const code = STEP_CODES.find((entry) => entry.step === step)?.code;
  const site = code ? sites.find((candidate) => candidate.code === code) : undefined;
  if (!site) throw new Error(`No site runs step ${step}: none has the code ${code ?? `of a steps/${step}-… folder`}.`);
  return site.name;
}

/** The step a site runs, if it runs one. */
export function stepOfSite(sites: readonly SiteOfCode[], name: string): StepNumber | undefined {
  const code = sites.find((site) => site.name.toLowerCase() === name.toLowerCase())?.code;
  return STEP_CODES.find((entry) => entry.code === code)?.step;
}
