/**
 * The rehearsal end to end: a workflow file's own steps run on this machine
 * against a started sandbox, azure/login signing in with the job's GitHub
 * token through a federated credential made first; and each refusal in the
 * words GitHub, azure/login and Entra ID use.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorkflow, type RunOptions } from "../src/index.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/workflows/", import.meta.url));
const DEPLOY = fileURLToPath(new URL("../../../.github/workflows/deploy.yml", import.meta.url));
const REPOSITORY = "octo-learner/keyless";
const SHA = "0123456789abcdef0123456789abcdef01234567";

let sandbox: Sandbox;
let stateDir: string;
let workspace: string;
let deployer: { appId: string; objectId: string };

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "keyless-pipeline-test-"));
  sandbox = await startSandbox({ stateDir, queue: false, auditFile: false });
  writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify(sandbox.endpoints), { mode: 0o600 });
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), sandbox.certificates.caPem]);
  // The deployer, as a learner makes it: an app registration, its service principal, a credential for main, a role.
  const { registrations } = sandbox.directory;
  const app = registrations.create("keyless-deployer");
  const sp = registrations.createServicePrincipal(app.appId);
  registrations.addFederatedCredential(app.id, {
    name: "github-main",
    issuer: sandbox.endpoints.github.issuer,
    subject: `repo:${REPOSITORY}:ref:refs/heads/main`,
    audiences: ["api://AzureADTokenExchange"],
  });
  sandbox.rbac.add(
    { principalId: sp.objectId, role: "Website Contributor", scope: sandbox.scopes.resourceGroup },
    { immediately: true },
  );
  deployer = { appId: app.appId, objectId: sp.objectId };
  // A workspace with the fixtures as its workflows.
  workspace = mkdtempSync(join(tmpdir(), "keyless-pipeline-workspace-"));
  mkdirSync(join(workspace, ".github", "workflows"), { recursive: true });
  cpSync(FIXTURES, join(workspace, ".github", "workflows"), { recursive: true });
  cpSync(DEPLOY, join(workspace, ".github", "workflows", "deploy.yml"));
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(workspace, { recursive: true, force: true });
});

const variables = () => ({
  AZURE_CLIENT_ID: deployer.appId,
  AZURE_TENANT_ID: sandbox.tenant.tenant.id,
  AZURE_SUBSCRIPTION_ID: sandbox.tenant.subscription.id,
});

const rehearse = (workflow: string, options: Partial<RunOptions> = {}) =>
  runWorkflow({
    workflowFile: join(workspace, ".github", "workflows", workflow),
    workspace,
    stateDir,
    event: "push",
    branch: "main",
    repository: REPOSITORY,
    sha: SHA,
    actor: "octo-learner",
    variables: variables(),
    write: () => undefined,
    ...options,
  });

const signIns = () => sandbox.audit.list({ category: "ServicePrincipalSignInLogs" });

describe("the rehearsal of a workflow", () => {
  it("runs a push to main end to end: azure/login signs in with the job's token, every run: step sees GitHub's environment", async () => {
    const before = signIns().length;
    const result = await rehearse("echo.yml");
    expect(result.log.filter((line) => line.startsWith("Error"))).toEqual([]);
    expect(result.conclusion).toBe("success");
    const seen = JSON.parse(readFileSync(join(workspace, "seen.json"), "utf8")) as Record<string, string>;
    expect(seen).toEqual({
      node: `v${process.versions.node}`,
      user: "servicePrincipal",
      fromEnvFile: "carried",
      notes: "line one|line two|",
      greeting: "hello octo-learner",
      ref: "refs/heads/main",
      refName: "main",
      eventName: "push",
      sha: SHA,
      repository: REPOSITORY,
      workspace,
      ci: "true",
      actions: "true",
      workflow: "Echo",
      runId: result.runId,
      tokenUrl: "set",
      azureConfigDir: "set",
    });
    // azure/login's own log lines, the client id and the token masked.
    expect(result.log).toEqual(
      expect.arrayContaining([
        "Running Azure CLI Login.",
        'Done setting cloud: "azurecloud"',
        "Federated token details:",
        ` issuer - ${sandbox.endpoints.github.issuer}`,
        ` subject claim - repo:${REPOSITORY}:ref:refs/heads/main`,
        " audience - api://AzureADTokenExchange",
        ` job_workflow_ref - ${REPOSITORY}/.github/workflows/echo.yml@refs/heads/main`,
        "Attempting Azure CLI login by using OIDC...",
        "Subscription is set successfully.",
        "Azure CLI login succeeds by using OIDC.",
        "Post Run azure/login@v2",
        "Clearing azure cli accounts from the local cache.",
        "masked: ***",
        "## Echo",
        "signed in as a servicePrincipal",
      ]),
    );
    // The step's `with:` block shows the client id as written; azure/login masks it from then on, as on GitHub.
    const afterLogin = result.log.slice(result.log.indexOf("Running Azure CLI Login."));
    expect(afterLogin.join("\n")).not.toContain(deployer.appId);
    expect(result.log).toContain(`    client-id: ${deployer.appId}`);
    // A value masked with ::add-mask:: is *** in every line the step prints after (its script is shown before it runs).
    expect(result.log.filter((line) => line.includes("do-not-show") && !line.startsWith("  echo"))).toEqual([]);
    // Entra ID saw a federated sign-in of the deployer, from main.
    expect(signIns().slice(before)).toContainEqual(
      expect.objectContaining({
        statusCode: 200,
        clientCredentialType: "federatedIdentityCredential",
        caller: expect.objectContaining({ appId: deployer.appId, displayName: "keyless-deployer" }),
        properties: expect.objectContaining({ assertionSubject: `repo:${REPOSITORY}:ref:refs/heads/main` }),
      }),
    );
    expect(result.jobs).toEqual([
      expect.objectContaining({ id: "echo", conclusion: "success", subject: `repo:${REPOSITORY}:ref:refs/heads/main` }),
    ]);
    expect(JSON.parse(readFileSync(join(stateDir, "pipeline", "last-run.json"), "utf8"))).toMatchObject({
      workflow: ".github/workflows/echo.yml",
      conclusion: "success",
      jobs: [{ id: "echo", conclusion: "success", subject: `repo:${REPOSITORY}:ref:refs/heads/main` }],
    });
  });

  it("a pull request's job states the pull_request subject, and Entra ID refuses it: AADSTS700213, as azure/login shows it", async () => {
    const result = await rehearse("echo.yml", { event: "pull_request", branch: "feature" });
    expect(result.conclusion).toBe("failure");
    expect(result.log).toContain(` subject claim - repo:${REPOSITORY}:pull_request`);
    const error = result.log.find((line) => line.startsWith("Error: AADSTS700213"));
    expect(error).toMatch(
      new RegExp(
        `^Error: AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:${REPOSITORY}:pull_request'\\.`,
      ),
    );
    expect(result.log).toContainEqual(
      expect.stringMatching(
        /^Error: Login failed with Error: The process '.*\/az' failed with exit code 1\. Double check if the 'auth-type' is correct\. Refer to https:\/\/github\.com\/Azure\/login#readme for more information\.$/,
      ),
    );
    // The later steps do not run after the failed login.
    expect(result.log).not.toContain("▶ What the job has");
  });

  it("a job in an environment states the environment subject, which no credential of the deployer names", async () => {
    const result = await rehearse("echo.yml", { environment: "production" });
    expect(result.log).toContain(` subject claim - repo:${REPOSITORY}:environment:production`);
    expect(result.log.find((line) => line.startsWith("Error: AADSTS700213"))).toContain(
      `'repo:${REPOSITORY}:environment:production'`,
    );
  });

  it("without id-token: write the job has no ACTIONS_ID_TOKEN_REQUEST_URL, and azure/login fails with its own words", async () => {
    const result = await rehearse("no-id-token.yml");
    expect(result.conclusion).toBe("failure");
    expect(result.log).toContain("  token: no id-token: write, so no ACTIONS_ID_TOKEN_REQUEST_URL");
    expect(result.log).toEqual(
      expect.arrayContaining([
        "Error: Failed to fetch federated token from GitHub. Please make sure to give write permissions to id-token in the workflow.",
        "Error: Login failed with Error: Error message: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable. Double check if the 'auth-type' is correct. Refer to https://github.com/Azure/login#readme for more information.",
      ]),
    );
  });

  it("a variable that is not set reads as '', with a warning naming it and the command that sets it", async () => {
    const result = await rehearse("echo.yml", { variables: { AZURE_CLIENT_ID: deployer.appId } });
    expect(result.conclusion).toBe("failure");
    expect(result.log).toEqual(
      expect.arrayContaining([
        "Warning: vars.AZURE_TENANT_ID is not set: it reads as ''. Set it with: npm run pipeline -- variable set AZURE_TENANT_ID --body <value>",
        "Error: Login failed with Error: Using auth-type: SERVICE_PRINCIPAL. Not all values are present. Ensure 'client-id' and 'tenant-id' are supplied.. Double check if the 'auth-type' is correct. Refer to https://github.com/Azure/login#readme for more information.",
      ]),
    );
  });

  it("refuses an action it does not play, by name, and runs an always() step after the failure", async () => {
    const result = await rehearse("unsupported.yml");
    expect(result.conclusion).toBe("failure");
    expect(result.log).toContain(
      "Error: azure/webapps-deploy@v3 is not played by the rehearsal: it plays actions/checkout@v4/v5, actions/setup-node@v4/v5/v6, azure/login@v2/v3. Write the step as a run: step, or run it on GitHub.",
    );
    expect(result.log).not.toContain("skipped after a failure");
    expect(result.log).toContain("ran because of always()");
  });

  it("refuses an event the workflow does not run on, saying which", async () => {
    const result = await rehearse("deploy.yml", { branch: "dev" });
    expect(result).toMatchObject({ conclusion: "refused", jobs: [] });
    expect(result.log).toEqual([
      "Error: Deploy would not run on GitHub: it runs on a push to main, not on a push to dev (on.push.branches).",
    ]);
  });

  it("deploy.yml in a fork without the Azure variables: the deploy job is skipped, the run is green, the summary says why", async () => {
    const result = await rehearse("deploy.yml", { variables: {} });
    expect(result.conclusion).toBe("success");
    expect(result.jobs.map((job) => [job.id, job.conclusion])).toEqual([
      ["not-configured", "success"],
      ["deploy", "skipped"],
    ]);
    expect(result.log).toContain("## Deploy skipped");
  });
});
