import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { STEPS } from "@keyless/app-process";
import { filePatches } from "../src/lessons/diff.ts";
import { stepDir, stepFolders } from "../src/layout/stepFolders.ts";

/**
 * Each step is a complete app, so files that do not take part in a lesson are
 * copies on purpose. They must stay byte-identical: then the diff between two
 * steps shows only the lesson.
 */
const SAME_IN = {
  "src/code.ts": ["01", "02", "03", "04"],
  "src/errors.ts": ["01", "02", "03", "04"],
  "src/log.ts": ["01", "02", "03", "04"],
  "src/thirdPartyApi.ts": ["01", "02", "03", "04"],
  // The page's words are the step's own, in server.ts: the page itself is shared.
  "src/homePage.ts": ["01", "02", "03", "04"],
  // Step 01 bounds its shutdown with it; steps 02 to 04 their waits for Azure too.
  "src/deadline.ts": ["01", "02", "03", "04"],
  "src/apiServer.ts": ["01", "02", "03", "04"],
  "tsconfig.json": ["01", "02", "03", "04"],
  "tsconfig.build.json": ["01", "02", "03", "04"],
  "src/app.ts": ["01", "02", "03"],
  "src/thirdPartyKey.ts": ["02", "03", "04"],
  // Step 02's diagnostics speak of client secrets; steps 03 and 04 have none to speak of.
  "src/startupError.ts": ["03", "04"],
  "test/thirdPartyKey.test.ts": ["02", "03", "04"],
} as const;

/** What one lesson may touch: a reader takes in four files at a sitting, not more. */
const MAX_FILES_PER_LESSON = 4;

const read = (step: (typeof STEPS)[number], file: string) => readFileSync(`${stepDir(step)}/${file}`, "utf8");

describe("steps share their unchanged files byte for byte", () => {
  for (const [file, steps] of Object.entries(SAME_IN)) {
    if (steps.length < 2) continue;
    it(`${file} is identical in steps ${steps.join(", ")}`, () => {
      const [first, ...rest] = steps;
      for (const step of rest) expect(read(step, file), `${file} in step ${step} vs ${first}`).toBe(read(first, file));
    });
  }

  it("step 04 differs from step 03 only where the queue is added", () => {
    const files = (step: "03" | "04") => readdirSync(`${stepDir(step)}/src`).sort();
    expect(files("04")).toEqual([...files("03"), "queue.ts"].sort());
    for (const file of [
      "code.ts",
      "deadline.ts",
      "errors.ts",
      "homePage.ts",
      "log.ts",
      "startupError.ts",
      "thirdPartyApi.ts",
      "thirdPartyKey.ts",
    ]) {
      expect(read("04", `src/${file}`)).toBe(read("03", `src/${file}`));
    }
  });
});

describe("each lesson is small", () => {
  const folders = stepFolders();
  for (const [index, previous] of folders.entries()) {
    const folder = folders[index + 1];
    if (!folder) continue;
    it(`step ${previous.step} to step ${folder.step} touches at most ${MAX_FILES_PER_LESSON} source files`, async () => {
      const files = (await filePatches(`${previous.dir}/src`, `${folder.dir}/src`)).map(({ file }) => file);
      expect(files.length, files.join(", ")).toBeLessThanOrEqual(MAX_FILES_PER_LESSON);
    });
  }
});

describe("each step teaches only itself", () => {
  const CLIENT_SECRETS = /AZURE_CLIENT_SECRET|client secret|AADSTS7000215|credential reset/i;
  for (const step of ["03", "04"] as const) {
    it(`step ${step} says nothing about client secrets outside the comments that contrast it with step 02`, () => {
      for (const file of readdirSync(`${stepDir(step)}/src`)) {
        const code = read(step, `src/${file}`)
          .split("\n")
          .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line));
        expect(
          code.filter((line) => CLIENT_SECRETS.test(line)),
          `${step}/src/${file}`,
        ).toEqual([]);
      }
    });
  }
});

describe("step code is production Azure code", () => {
  const EMULATOR_ONLY =
    /disableChallengeResourceVerification|disableInstanceDiscovery|allowInsecureConnection|rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|KEYLESS_|from "@keyless\//;

  for (const step of STEPS) {
    it(`step ${step} has no emulator-only option and no sandbox import in src/`, () => {
      for (const file of readdirSync(`${stepDir(step)}/src`)) {
        const text = read(step, `src/${file}`);
        const hits = text.split("\n").filter((line) => EMULATOR_ONLY.test(line) && !/^\s*(\/\/|\*)/.test(line));
        expect(hits, `${step}/src/${file}`).toEqual([]);
      }
    });
  }
});
