import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { STEPS } from "@keyless/sandbox";
import { stepDir } from "../src/stepFolders.ts";

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
  "tsconfig.json": ["01", "02", "03", "04"],
  "tsconfig.build.json": ["01", "02", "03", "04"],
  "src/app.ts": ["01", "02", "03"],
  "src/thirdPartyKey.ts": ["02", "03", "04"],
  "src/deadline.ts": ["02", "03", "04"],
  "src/startupError.ts": ["02", "03", "04"],
  "src/server.ts": ["03"],
  "src/config.ts": ["03"],
  "test/thirdPartyKey.test.ts": ["02", "03", "04"],
} as const;

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
    for (const file of ["code.ts", "errors.ts", "log.ts", "startupError.ts", "thirdPartyApi.ts", "thirdPartyKey.ts"]) {
      expect(read("04", `src/${file}`)).toBe(read("03", `src/${file}`));
    }
  });
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
