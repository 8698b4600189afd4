/**
 * Exercise 05 end to end, as a learner does it with the lesson's commands
 * only (docs/05-ship-it.md's "Your turn" blocks, run as written by bash):
 * their copy of the workflow, a deployer with a federated credential for
 * main and Website Contributor on the web app, the repository's variables,
 * the rehearsal of a push (federated sign-in, zip deploy, smoke test), and the
 * grader's words; then wrong attempts made for real, each named by the grader.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azInProcess, commandInProcess, type InProcessCommand } from "@keyless/workshop/testing";
import { REPO_ROOT, WITH_COMPILE_CACHE, learnerTerminal, workspaceDir } from "@keyless/workshop";

const STATE_DIR = process.env["KEYLESS_SANDBOX_DIR"] ?? "";
const REPOSITORY = "octo-learner/keyless";
const WORKFLOW = join(workspaceDir(), "05-ship-it", "deploy.yml");

let sandbox: Sandbox;
/** The learner's terminal (learnerTerminal), at the repository's root (where npm runs the root's scripts). */
const atRoot = learnerTerminal({ NO_COLOR: "1", INIT_CWD: REPO_ROOT });

/** A command as the learner types it, from the repository's root: its exit code and what it printed. */
function run(script: string, ...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...WITH_COMPILE_CACHE, join(REPO_ROOT, script), ...args],
      { cwd: REPO_ROOT, env: atRoot, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}
/** The sandbox's az as the learner runs it from the repository's root, answered in this process. */
const az = (...args: string[]) => azInProcess(args, atRoot, REPO_ROOT);
const azJson = async <T>(...args: string[]): Promise<T> => {
  const result = await az(...args, "--output", "json");
  expect(result.code, result.output).toBe(0);
  return JSON.parse(result.output.slice(result.output.search(/[[{]/))) as T;
};
/** The workshop's commands as the learner runs them from the repository's root, answered in this process. */
const command = (name: InProcessCommand, args: readonly string[]) => commandInProcess(name, args, atRoot);
const exercise = (...args: string[]) => command("exercise", ["05", ...args]);
const rehearse = (...args: string[]) =>
  run("packages/pipeline/src/main.ts", WORKFLOW, "--branch", "main", "--repository", REPOSITORY, ...args);
const check = () => command("check", ["05"]);

/** The shell blocks of lesson 05's "Your turn", in order. */
const lesson = readFileSync(join(REPO_ROOT, "docs", "05-ship-it.md"), "utf8");
const yourTurn = lesson.slice(lesson.indexOf("## Your turn"), lesson.indexOf("## Verify"));
const blocks = [...yourTurn.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => (match[1] ?? "").replace(/^ {3}/gm, ""));
/**
 * Runs lesson blocks in one bash, from the repository's root, as the learner types them; their workspace/ is
 * this test's own (KEYLESS_WORKSPACE_DIR), so the workflow's path is that folder's.
 */
function bash(script: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      ["-c", script.replaceAll("workspace/05-ship-it/deploy.yml", WORKFLOW)],
      { cwd: REPO_ROOT, env: learnerTerminal({ NO_COLOR: "1" }), maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

let appId = "";
let siteId = "";
const credential = (subject: string, audience = "api://AzureADTokenExchange") =>
  JSON.stringify({
    name: "github-main",
    issuer: sandbox.endpoints.github.issuer,
    subject,
    audiences: [audience],
  });
const MAIN = `repo:${REPOSITORY}:ref:refs/heads/main`;

beforeAll(async () => {
  sandbox = await startSandbox({ stateDir: STATE_DIR, auditFile: false });
  await sandbox.ready;
  writeFileSync(join(STATE_DIR, "endpoints.json"), JSON.stringify(sandbox.endpoints), { mode: 0o600 });
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), sandbox.certificates.caPem]);
});
afterAll(async () => {
  await sandbox?.stop();
});

describe("exercise 05: ship it without a secret", () => {
  it("Run: the workshop's workflow on a branch it does not deploy from runs nothing, as the lesson shows", async () => {
    const run = lesson.slice(lesson.indexOf("## Run"), lesson.indexOf("## Try it"));
    const [command, said] = [...run.matchAll(/```(?:sh|text)\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
    const refused = await bash(command ?? "");
    expect(refused.code).toBe(1);
    expect(refused.output).toContain((said ?? "").trim());
  });

  it("the lesson's commands are the ones run here: six blocks in Your turn", () => {
    expect(blocks).toHaveLength(6);
    expect(blocks[0]).toBe("npm run exercise -- 05\n");
    expect(blocks[5]).toContain("npm run check -- 05");
  });

  it("starts as the workshop's deploy.yml less the lesson's lines, with 🐨 where they go", async () => {
    const created = await bash(blocks[0] ?? "");
    expect(created.code, created.output).toBe(0);
    expect(created.output).toMatch(
      /Exercise 05: your workflow is \S*05-ship-it\/deploy\.yml: \.github\/workflows\/deploy\.yml with 🐨/,
    );
    const text = readFileSync(WORKFLOW, "utf8");
    expect(text).not.toContain("id-token: write #");
    expect(text).not.toContain("client-id:");
    expect(text).toContain("# 🐨 Exercise 05: this job may not ask GitHub for its OIDC token yet.");
  });

  it("the deployer, its credential for main, its role and the repository's variables: the lesson's blocks", async () => {
    const made = await bash(`set -e\n${blocks.slice(1, 5).join("")}echo "APP_ID=$APP_ID"\n`);
    expect(made.code, made.output).toBe(0);
    appId = /APP_ID=([0-9a-f-]{36})/.exec(made.output)?.[1] ?? "";
    expect(appId).not.toBe("");
    const credentials = await azJson<{ subject: string; issuer: string }[]>(
      "ad",
      "app",
      "federated-credential",
      "list",
      "--id",
      appId,
    );
    expect(credentials).toEqual([expect.objectContaining({ subject: MAIN, issuer: sandbox.endpoints.github.issuer })]);
    siteId = (
      await az(
        "webapp",
        "show",
        "--name",
        "keyless-step-04",
        "--resource-group",
        "keyless-rg",
        "--query",
        "id",
        "-o",
        "tsv",
      )
    ).output.trim();
    const roles = await azJson<{ roleDefinitionName: string; scope: string }[]>(
      "role",
      "assignment",
      "list",
      "--assignee",
      appId,
      "--all",
    );
    expect(roles).toEqual([expect.objectContaining({ roleDefinitionName: "Website Contributor", scope: siteId })]);
  }, 180_000);

  it("permissions missing: the rehearsal fails as azure/login says, and the grader names the line to add", async () => {
    const tried = await bash(blocks[5] ?? "");
    // The job has neither its token nor azure/login's ids: azure/login stops at the ids first.
    expect(tried.output).toContain("  token: no id-token: write, so no ACTIONS_ID_TOKEN_REQUEST_URL");
    expect(tried.output).toContain(
      "Error: Login failed with Error: Using auth-type: SERVICE_PRINCIPAL. Not all values are present. Ensure 'client-id' and 'tenant-id' are supplied.",
    );
    const graded = await check();
    expect(graded.code).toBe(1);
    expect(graded.output).toContain(
      "✖ The job deploy has no permissions: id-token: write, so GitHub gives it no token to sign in with",
    );
    expect(graded.output).toMatch(/✖ The last rehearsal of \S*05-ship-it\/deploy\.yml ended in failure/);
  });

  it("solved: push → federated sign-in → zip deploy → smoke test green", async () => {
    const solved = await exercise("--solve", "--yes");
    expect(solved.code, solved.output).toBe(0);
    const rehearsal = await bash(blocks[5]?.replace("npm run check -- 05\n", "") ?? "");
    expect(rehearsal.output).toContain("Azure CLI login succeeds by using OIDC.");
    // The smoke test is the contract suite against the deployed app's address.
    expect(rehearsal.output).toMatch(
      /✔ https:\/\/keyless-step-04\.azurewebsites\.localhost:\d+ keeps the contract: \d+ of \d+ checks\./,
    );
    expect(rehearsal.code, rehearsal.output).toBe(0);
    // A hang guard, not a speed target: the package step installs step 04's production dependencies, as a runner does.
  }, 300_000);

  it("solved: the grader passes, from what the sandbox saw", async () => {
    const graded = await check();
    expect(graded.output).toContain("✔ Exercise 05 passes: 6 of 6 checks.");
    expect(graded.code).toBe(0);
  });

  it("a secret stored just in case: a client secret on the deployer is named", async () => {
    await az("ad", "app", "credential", "reset", "--id", appId);
    const graded = await check();
    expect(graded.code).toBe(1);
    expect(graded.output).toContain(
      '✖ A secret is stored where the deploy does not need one: the deployer (keyless-deployer) has a client secret, "just in case".',
    );
  });

  it("Owner granted: named as wider than a code deploy needs, with the commands that narrow it", async () => {
    const subscription = (await az("account", "show", "--query", "id", "-o", "tsv")).output.trim();
    const owner = await az(
      "role",
      "assignment",
      "create",
      "--assignee",
      appId,
      "--role",
      "Owner",
      "--scope",
      `/subscriptions/${subscription}`,
    );
    expect(owner.code, owner.output).toBe(0);
    const graded = await check();
    expect(graded.output).toContain(
      "✖ The deployer's role is wider than a code deploy needs: Owner on the subscription.",
    );
    expect(graded.output).toContain(
      `npm run --silent az -- role assignment delete --assignee ${appId} --role "Owner" --scope /subscriptions/${subscription}`,
    );
  });

  it("a subject for another branch: Entra ID refuses the push to main (AADSTS700213), and the grader names both", async () => {
    await az("ad", "app", "federated-credential", "delete", "--id", appId, "--federated-credential-id", "github-main");
    const dev = JSON.parse(credential(`repo:${REPOSITORY}:ref:refs/heads/dev`)) as Record<string, unknown>;
    await azJson(
      "ad",
      "app",
      "federated-credential",
      "create",
      "--id",
      appId,
      "--parameters",
      JSON.stringify({ ...dev, name: "github-dev" }),
    );
    const rehearsal = await rehearse();
    expect(rehearsal.code).toBe(1);
    expect(rehearsal.output).toContain(
      "Error: AADSTS700213: No matching federated identity record found for presented assertion subject",
    );
    const graded = await check();
    expect(graded.output).toContain(
      `✖ The deployer trusts a subject other than pushes to main: repo:${REPOSITORY}:ref:refs/heads/dev: a push to dev, not to main.`,
    );
    expect(graded.output).toContain(
      `ended in failure: Entra ID refused the deployer's token with AADSTS700213 (subject ${MAIN}).`,
    );
  });

  it("the audience wrong: Entra ID refuses the token (AADSTS700212), and the grader names the audience it takes", async () => {
    await az("ad", "app", "federated-credential", "delete", "--id", appId, "--federated-credential-id", "github-dev");
    await azJson(
      "ad",
      "app",
      "federated-credential",
      "create",
      "--id",
      appId,
      "--parameters",
      credential(MAIN, "api://keyless"),
    );
    const rehearsal = await rehearse();
    expect(rehearsal.code).toBe(1);
    expect(rehearsal.output).toContain("Error: AADSTS700212");
    const graded = await check();
    expect(graded.output).toContain(
      "✖ The credential github-main takes the audience api://keyless: GitHub's token for azure/login names api://AzureADTokenExchange (AADSTS700212).",
    );
  });
});
