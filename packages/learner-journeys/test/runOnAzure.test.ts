/**
 * docs/run-on-azure.md, run: every shell block of the guide, in its order, in
 * one bash session against a workshop of the test's own (npm start's launcher
 * with step 04), with `az` and `gh` made the sandbox's as the guide's
 * "Rehearse it offline" block makes them. The blocks marked
 * `<!-- azure-only: why -->` are not run: their `az` commands are parsed by
 * the sandbox's az (KEYLESS_AZ_SYNTAX_ONLY=1: an unknown command or option,
 * or a required one missing, fails), and their other commands must be the
 * few that need GitHub or Azure. The `az` commands the guide names in its
 * prose are commands the sandbox's az knows.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "@keyless/workshop";
import { azInProcess, launchWorkshop, type LaunchedWorkshop } from "@keyless/workshop/testing";

const GUIDE = "docs/run-on-azure.md";
const markdown = readFileSync(join(REPO_ROOT, GUIDE), "utf8");

interface Block {
  /** Its marker's kind: run here unless `azure-only`; `sandbox-only` blocks make the shell the sandbox's. */
  readonly kind: "both" | "azure-only" | "sandbox-only";
  /** What the marker says about why. */
  readonly why: string;
  readonly code: string;
}

/** The guide's ```sh blocks, each with the marker comment right before it, if any. */
function blocksOf(text: string): Block[] {
  return [...text.matchAll(/(?:<!--\s*(azure-only|sandbox-only):\s*([^>]*?)\s*-->\n)?```sh\n([\s\S]*?)```/g)].map(
    ([, kind, why, code]) => ({
      kind: (kind as Block["kind"] | undefined) ?? "both",
      why: why ?? "",
      code: code ?? "",
    }),
  );
}

/** A block's commands: continuation lines joined, comments and blank lines dropped. */
function commandsOf(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line && !line.startsWith("#"));
}

/** A command line's words, as a shell splits them (quotes removed; variables left as they are written). */
function wordsOf(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3] ?? "");
}

const blocks = blocksOf(markdown);
/** The sandbox's az reading a command line and stopping there (KEYLESS_AZ_SYNTAX_ONLY), in this process. */
const azSyntax = (words: readonly string[]) => azInProcess(words, { ...process.env, KEYLESS_AZ_SYNTAX_ONLY: "1" });

describe("docs/run-on-azure.md", () => {
  it("is linked from the README and the workshop's introduction", () => {
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain("(docs/run-on-azure.md)");
    expect(readFileSync(join(REPO_ROOT, "docs/index.md"), "utf8")).toContain("(run-on-azure.md)");
  });

  it("marks each block it does not run here with why, and names the costs' date and the pricing calculator", () => {
    expect(blocks.length).toBeGreaterThan(10);
    for (const block of blocks.filter((candidate) => candidate.kind !== "both"))
      expect(block.why.length, block.code).toBeGreaterThan(10);
    expect(markdown).toContain("https://azure.microsoft.com/pricing/calculator/");
    expect(markdown).toMatch(/written down on \d{4}-\d{2}-\d{2}/);
    for (const sku of ["Basic B1", "Standard", "Standard_LRS", "Consumption"]) expect(markdown).toContain(sku);
  });

  it("azure-only blocks: az's commands parse as the sandbox's az reads them; the others need GitHub or Azure", async () => {
    const azureOnly = blocks.filter((block) => block.kind === "azure-only").flatMap((block) => commandsOf(block.code));
    expect(azureOnly).toContain('az group delete --name "$RG" --yes');
    for (const line of azureOnly) {
      if (line.startsWith("az ")) {
        const parsed = await azSyntax(wordsOf(line).slice(1));
        expect(parsed.code, `${line}\n${parsed.output}`).toBe(0);
      } else expect(line).toMatch(/^(git push origin main|gh run watch|npm run check -- --url "\$URL")$/);
    }
  });

  it("the az commands its prose names are commands the sandbox's az knows, but for the one that streams Azure's logs", async () => {
    const prose = markdown.replace(/```sh\n[\s\S]*?```/g, "");
    const named = [...prose.matchAll(/`(az [^`]+)`/g)].map((match) => match[1] ?? "");
    expect(named.length).toBeGreaterThan(0);
    for (const line of named) {
      // App Service's log stream: the sandbox's apps print to npm start's terminal instead.
      if (line.startsWith("az webapp log tail")) continue;
      const path = wordsOf(line)
        .slice(1)
        .filter(
          (word, index, words) => /^[a-z][a-z-]*$/.test(word) && words.slice(0, index).every((w) => !w.startsWith("-")),
        );
      const known = await azSyntax([...path, "--help"]);
      expect(known.code, `${line}\n${known.output}`).toBe(0);
    }
  });
});

// The guide's commands are bash's; on GitHub's Windows runners `bash` may be WSL's launcher, with no Node behind it.
describe.skipIf(process.platform === "win32")(
  "docs/run-on-azure.md, every block run against the sandbox in its order",
  () => {
    const stateDir = mkdtempSync(join(tmpdir(), "keyless-run-on-azure-"));
    const env: NodeJS.ProcessEnv = { ...process.env, KEYLESS_SANDBOX_DIR: stateDir, NO_COLOR: "1", FORCE_COLOR: "0" };
    delete env["NODE_EXTRA_CA_CERTS"];
    let launcher: LaunchedWorkshop;

    beforeAll(async () => {
      launcher = await launchWorkshop(["04", "--no-dashboard"], env);
    }, 120_000);

    afterAll(async () => {
      await launcher?.stop();
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(join(REPO_ROOT, "credential.json"), { force: true });
    });

    it("signs in, deploys the template, makes the deployer and its role, sets the variables, passes the smoke test and cleans up", {
      timeout: 300_000,
    }, async () => {
      // The rehearsal's az and gh first, then the blocks in their order. The sandbox's CA is where
      // this test's sandbox keeps it (KEYLESS_SANDBOX_DIR), not in the checkout's .sandbox/.
      const [rehearsal, ...rest] = blocks.filter((block) => block.kind === "sandbox-only");
      const run = [rehearsal, ...blocks.filter((block) => block !== rehearsal && block.kind !== "azure-only")];
      const script = [
        "set -eo pipefail",
        "trap 'echo \"(block $BLOCK failed)\" >&2' ERR",
        ...run.map((block, index) => `BLOCK=${index}\necho "::block ${index}::"\n${block?.code ?? ""}`),
      ]
        .join("\n")
        .replaceAll(".sandbox/", '"$KEYLESS_SANDBOX_DIR"/');
      expect(rest.length).toBe(1);
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          "bash",
          ["-c", script],
          { cwd: REPO_ROOT, env, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.code, output).toBe(0);
      // The deployment, its step 04 app, the deployer's credential and role, the variables, the smoke test.
      expect(output).toMatch(/^Succeeded$/m);
      expect(output).toMatch(/^keyless-[a-z0-9]+-step-04$/m);
      expect(output).toContain('"subject": "repo:octocat/keyless:ref:refs/heads/main"');
      expect(output).toMatch(/Website Contributor/);
      expect(output).toContain("✓ Set Actions variable AZURE_WEBAPP_NAME");
      expect(output).toMatch(
        /✔ https:\/\/keyless-step-04\.azurewebsites\.localhost:\d+ keeps the contract: 7 of 7 checks\./,
      );
    });
  },
);
