import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, WITH_COMPILE_CACHE } from "../src/layout/repo.ts";
import { scanFiles, scanSteps } from "../src/secrets/scan.ts";
import { findStep, stepFolders } from "../src/layout/stepFolders.ts";

const KEY_FILE = "src/thirdPartyKey.ts";
const step01 = findStep("01");
const scratch = mkdtempSync(join(tmpdir(), "keyless-secrets-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the secret scan", () => {
  it("finds step 01's hard-coded key, with its file and line, and masks it", async () => {
    const findings = await scanSteps([step01]);
    const keyLine =
      readFileSync(`${step01.dir}/${KEY_FILE}`, "utf8")
        .split("\n")
        .findIndex((line) => line.includes("THIRD_PARTY_API_KEY =")) + 1;
    expect(findings).toEqual([
      expect.objectContaining({
        file: `steps/${step01.name}/${KEY_FILE}`,
        line: keyLine,
        ruleId: "@secretlint/secretlint-rule-pattern",
      }),
    ]);
    const [finding] = findings;
    expect(finding?.message).toContain("API key assigned in code");
    expect(finding?.masked).toMatch(/^xz0I…\(56 characters\)$/);
    expect(JSON.stringify(findings)).not.toContain("xz0IzgFlfoHKD5PP");
  });

  for (const folder of stepFolders().filter((candidate) => candidate.step !== "01")) {
    it(`finds nothing in step ${folder.step} (${folder.name}), which reads the key from Key Vault`, async () => {
      expect(await scanSteps([folder])).toEqual([]);
    });
  }

  it("finds the key by its content, not by the file's name: the same file without the key is clean", async () => {
    const copy = join(scratch, "thirdPartyKey.ts");
    const source = readFileSync(`${step01.dir}/${KEY_FILE}`, "utf8");
    writeFileSync(copy, source);
    expect(await scanFiles([copy])).toHaveLength(1);
    writeFileSync(copy, source.replace(/= ".*";/, '= process.env["THIRD_PARTY_API_KEY"] ?? "";'));
    expect(await scanFiles([copy])).toEqual([]);
  });

  it("finds a key under another name and in another file type", async () => {
    const settings = join(scratch, "local.settings.json");
    writeFileSync(
      settings,
      JSON.stringify({ Values: { PaymentsApiToken: "Q2hhbmdlTWUtOTg3NjU0MzIxMEFiQ2RFZg==" } }, null, 2),
    );
    expect(await scanFiles([settings])).toEqual([expect.objectContaining({ line: 3 })]);
  });

  it("ignores names of secrets and placeholders that are not secrets", async () => {
    const config = join(scratch, "config.ts");
    writeFileSync(
      config,
      [
        'const THIRD_PARTY_API_SECRET_NAME = "third-party-api-key";',
        'const keyVaultUrl = "https://keyless-vault.vault.azure.net";',
        'const apiKey = process.env["THIRD_PARTY_API_KEY"];',
        'const tokenType = "Bearer";',
      ].join("\n"),
    );
    expect(await scanFiles([config])).toEqual([]);
  });
});

describe("npm run scan:secrets", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [...WITH_COMPILE_CACHE, "src/commands/scanSecrets.ts", ...args], {
      cwd: `${REPO_ROOT}packages/workshop`,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });

  it("reports the key readably and exits 1", () => {
    const result = run("01");
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`steps/${step01.name}/${KEY_FILE}:`);
    expect(result.stdout).toContain("API key assigned in code");
    expect(result.stdout).not.toContain("xz0IzgFlfoHKD5PP");
  });

  it("prints what lesson 01 quotes", () => {
    const lesson = readFileSync(`${REPO_ROOT}docs/01-keys-in-code.md`, "utf8");
    const quoted = /npm run scan:secrets\n```[\s\S]*?```text\n([\s\S]*?)```/.exec(lesson)?.[1];
    expect(quoted, "lesson 01 quotes the scanner's output in a ```text block").toBeDefined();
    expect(run().stdout).toContain((quoted ?? "").trimEnd());
  });

  it("exits 0 when a step is clean, and 2 for a step that does not exist", () => {
    const clean = stepFolders().find((folder) => folder.step !== "01");
    if (clean) expect(run(clean.step).status).toBe(0);
    const unknown = run("42");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("No step 42.");
  });
});
