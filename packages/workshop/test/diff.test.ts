import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { colorizeDiff, diffSources, stepDiff, summarizeDiff } from "../src/lessons/diff.ts";
import { REPO_ROOT, WITH_COMPILE_CACHE } from "../src/layout/repo.ts";
import { findStep, stepFolders } from "../src/layout/stepFolders.ts";

const step01 = findStep("01");
const scratch = mkdtempSync(join(tmpdir(), "keyless-diff-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of step 01's source, changed the way a lesson would change it. */
function fixtureFromStep01(): string {
  const src = join(scratch, "src");
  cpSync(`${step01.dir}/src`, src, { recursive: true });
  const keyFile = join(src, "thirdPartyKey.ts");
  writeFileSync(
    keyFile,
    readFileSync(keyFile, "utf8").replace(/= ".*";/, '= process.env["THIRD_PARTY_API_KEY"] ?? "";'),
  );
  rmSync(join(src, "homePage.ts"));
  writeFileSync(join(src, "vault.ts"), "export const vault = true;\n");
  return src;
}

describe("the lesson diff", () => {
  it("is empty between a step and itself", async () => {
    expect(await stepDiff("01", "01")).toBe("");
  });

  it("shows changed, added and removed files with their real names and lines", async () => {
    const patch = await diffSources(`${step01.dir}/src`, fixtureFromStep01());
    expect(patch).toContain("diff --git a/src/thirdPartyKey.ts b/src/thirdPartyKey.ts");
    expect(patch).toMatch(/^-export const THIRD_PARTY_API_KEY = "xz0I.*";$/m);
    expect(patch).toContain('+export const THIRD_PARTY_API_KEY = process.env["THIRD_PARTY_API_KEY"] ?? "";');
    expect(patch).toContain("--- /dev/null\n+++ b/src/vault.ts\n@@ -0,0 +1,1 @@\n+export const vault = true;");
    expect(patch).toContain("deleted file mode 100644\n--- a/src/homePage.ts\n+++ /dev/null");
    expect(summarizeDiff(patch)).toEqual([
      { file: "src/homePage.ts", status: "removed", added: 0, removed: expect.any(Number) },
      { file: "src/thirdPartyKey.ts", status: "changed", added: 1, removed: 1 },
      { file: "src/vault.ts", status: "added", added: 1, removed: 0 },
    ]);
  });

  it("compares only src/: every step that exists diffs against the next one", async () => {
    const folders = stepFolders();
    for (const [index, previous] of folders.entries()) {
      const folder = folders[index + 1];
      if (!folder) continue;
      const patch = await diffSources(`${previous.dir}/src`, `${folder.dir}/src`);
      for (const change of summarizeDiff(patch)) expect(change.file).toMatch(/^src\//);
    }
  });

  it("is coloured only when the terminal can show colours", () => {
    const patch = "--- a/src/x.ts\n+++ b/src/x.ts\n@@ -1 +1 @@\n-old\n+new\n";
    const previous = { noColor: process.env["NO_COLOR"], force: process.env["FORCE_COLOR"] };
    try {
      delete process.env["NO_COLOR"];
      process.env["FORCE_COLOR"] = "1";
      expect(colorizeDiff(patch)).toContain("\u001b[32m+new\u001b[39m");
      delete process.env["FORCE_COLOR"];
      process.env["NO_COLOR"] = "1";
      expect(colorizeDiff(patch)).toBe(patch);
    } finally {
      for (const [name, value] of [
        ["NO_COLOR", previous.noColor],
        ["FORCE_COLOR", previous.force],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

function withoutColourSettings(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _force, NO_COLOR: _none, ...env } = process.env;
  return { ...env, ...extra };
}

describe("npm run diff", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [...WITH_COMPILE_CACHE, "src/commands/diff.ts", ...args], {
      cwd: `${REPO_ROOT}packages/workshop`,
      encoding: "utf8",
      env: withoutColourSettings({ NO_COLOR: "1" }),
    });

  it("prints a summary and the diff of two steps", () => {
    const result = run("01", "01");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("steps/01-keys-in-code/src → steps/01-keys-in-code/src: 0 files changed");
  });

  it("rejects an unknown step with the list of steps and exit code 2", () => {
    const result = run("07", "01");
    expect(result.status).toBe(2);
    const steps = stepFolders()
      .map((folder) => folder.step)
      .join(", ");
    expect(result.stderr).toContain(`No step 07. Steps: ${steps}.`);
  });

  it("explains itself with --help", () => {
    const result = run("--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: npm run diff -- [options] <from> [to]");
  });
});
