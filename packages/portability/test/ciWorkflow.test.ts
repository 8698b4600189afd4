/**
 * The GitHub Actions workflow, which cannot run here: checked offline against GitHub's workflow
 * schema, and against what the documentation tells a learner. It runs the README's test commands
 * on Linux, macOS and Windows, exactly as `.ci/run` does on this project's own CI machine, and
 * gives Python and az the vault's name with the commands the appendix gives.
 */
import { describe, expect, it } from "vitest";
import {
  codeBlockUnder,
  npmCommands,
  npmCommandsOfScript,
  parseWorkflow,
  readRepoFile,
  workflowSchemaErrors,
} from "../src/index.ts";

const source = readRepoFile(".github/workflows/ci.yml");
const workflow = parseWorkflow(source);
const job = workflow.jobs["test"];
const steps = job?.steps ?? [];
const readmeCommands = codeBlockUnder(readRepoFile("README.md"), "## Run the tests");
/** A GitHub Actions expression as the workflow writes it, `${{ body }}` (GitHub's syntax, not JavaScript's). */
const expression = (body: string) => `\${{ ${body} }}`;

describe("the CI workflow (.github/workflows/ci.yml)", () => {
  it("is a valid GitHub Actions workflow: action-validator finds nothing against GitHub's schema", () => {
    expect(workflowSchemaErrors(source)).toEqual([]);
  });

  it("(the validator is real: a misspelt key or a step with neither run nor uses is refused)", () => {
    expect(workflowSchemaErrors(source.replace("runs-on:", "run-on:")).join("\n")).toMatch(
      /\/jobs\/test.*'run-on' is not allowed/,
    );
    expect(workflowSchemaErrors(source.replace("- run: npm test", "- runs: npm test")).join("\n")).toMatch(
      /'runs' is not allowed/,
    );
  });

  it("runs on ubuntu-latest, macos-latest and windows-latest, each to the end whatever the others do", () => {
    const systems = job?.strategy?.matrix?.include?.map((entry) => entry["os"]);
    expect(systems).toEqual(["ubuntu-latest", "macos-latest", "windows-latest"]);
    expect(job?.["runs-on"]).toBe(expression("matrix.os"));
    expect(source).toMatch(/fail-fast: false/);
  });

  it(`runs the README's test commands, in order (${readmeCommands.join(", then ")}), installing from the lock alone`, () => {
    expect(readmeCommands).toEqual(["npm install", "npm test"]);
    // npm ci installs exactly the lock's versions, what npm install does on a fresh clone: it also proves the lock
    // installs on every system, and the README says CI uses it.
    expect(readRepoFile("README.md")).toContain("CI installs with `npm ci`");
    expect(job && npmCommands(job)).toEqual(["npm ci", ...readmeCommands.slice(1)]);
  });

  it("runs exactly the README's commands in .ci/run, this project's own CI", () => {
    expect(npmCommandsOfScript(readRepoFile(".ci/run"))).toEqual(readmeCommands);
  });

  it("installs Node 24 with npm's cache, kept in the runner's temp folder on Windows", () => {
    const setupNode = steps.findIndex((step) => step.uses?.startsWith("actions/setup-node@"));
    expect(steps[setupNode]?.with).toMatchObject({ "node-version": 24, cache: "npm" });
    const npmCache = steps.findIndex((step) => step.run?.includes("npm_config_cache="));
    expect(steps[npmCache]?.if).toBe("runner.os == 'Windows'");
    expect(steps[npmCache]?.run).toMatch(/RUNNER_TEMP/);
    // setup-node caches the folder npm reports, so the variable must be set before it.
    expect(npmCache).toBeLessThan(setupNode);
  });

  it("gives Python and az the vault's name with the appendix's own commands, on each system", () => {
    const appendix = readRepoFile("docs/appendix-other-clients.md");
    const hostsSteps = steps.filter((step) => step.run?.includes("127.0.0.1 keyless-kv.vault.localhost"));
    expect(hostsSteps.map((step) => step.if)).toEqual(["runner.os != 'Windows'", "runner.os == 'Windows'"]);
    for (const step of hostsSteps) expect(appendix).toContain(step.run?.trim());
  });

  it("finds the browser tests' Chromium on each runner, and requires every client but az on Windows", () => {
    const browsers = job?.strategy?.matrix?.include?.map((entry) => [entry["os"], entry["chromium"]]);
    expect(browsers).toEqual([
      ["ubuntu-latest", "/usr/bin/google-chrome"],
      ["macos-latest", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"],
      ["windows-latest", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"],
    ]);
    expect(job?.env).toMatchObject({
      KEYLESS_CHROMIUM: expression("matrix.chromium"),
      KEYLESS_REQUIRE_CLIENTS: expression("matrix.os != 'windows-latest' && '1' || ''"),
    });
  });

  it("installs the Azure SDK for Python's pinned releases where it does not take the distribution's", () => {
    const requirements = readRepoFile("packages/clients/python/requirements.txt")
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"));
    expect(requirements.map((line) => line.split("==")[0])).toEqual([
      "azure-identity",
      "azure-keyvault-secrets",
      "azure-storage-queue",
    ]);
    for (const line of requirements) expect(line).toMatch(/^[a-z-]+==\d+\.\d+\.\d+$/);
    expect(steps.some((step) => step.run?.includes("pip install") && step.run.includes("requirements.txt"))).toBe(true);
  });
});
