/** The steps are the repository's steps/NN-name folders; a step's site is the one whose code is its folder. */
import { mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STEPS, STEP_CODES, isStepNumber, siteOfStep, stepCodesIn, stepOfSite } from "../src/index.ts";

const SITES = [
  { name: "keyless-step-01", code: "steps/01-keys-in-code" },
  { name: "keyless-step-03", code: "steps/03-managed-identity" },
  { name: "keyless-workspace-03" },
];

describe("the steps", () => {
  it("are found from the steps/ folders, in order, each with its folder as its code", () => {
    const folders = readdirSync(new URL("../../../steps/", import.meta.url)).filter((name) => /^\d\d-/.test(name));
    expect(STEP_CODES).toEqual(folders.sort().map((folder) => ({ step: folder.slice(0, 2), code: `steps/${folder}` })));
    expect(STEPS).toEqual(folders.map((folder) => folder.slice(0, 2)));
    expect(isStepNumber(STEPS[0] ?? "")).toBe(true);
    expect(isStepNumber("99")).toBe(false);
  });

  it("leave out what is not a step's folder", () => {
    const root = mkdtempSync(join(tmpdir(), "keyless-steps-"));
    for (const name of ["02-b", "01-a", "notes", "1-short"]) mkdirSync(join(root, name));
    expect(stepCodesIn(root)).toEqual([
      { step: "01", code: "steps/01-a" },
      { step: "02", code: "steps/02-b" },
    ]);
  });

  it("meet their sites by code: the site that runs a step, the step a site runs", () => {
    expect(siteOfStep(SITES, "03")).toBe("keyless-step-03");
    expect(stepOfSite(SITES, "KEYLESS-STEP-01")).toBe("01");
    expect(stepOfSite(SITES, "keyless-workspace-03")).toBeUndefined();
    expect(() => siteOfStep(SITES, "02")).toThrow("No site runs step 02: none has the code steps/02-key-vault.");
  });
});
