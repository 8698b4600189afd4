/**
 * The grader of exercise 05, on what it collected: the lesson's deployment
 * passes, and each wrong attempt the lesson foresees is named in its own
 * words with the exact fix (permissions missing, audience wrong, a subject for
 * another branch, Owner granted, a secret stored "just in case").
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadExercise, type PipelineExercise } from "../src/exercises/exercises.ts";
import type { DeployFacts } from "../src/exercises/pipeline/facts.ts";
import { judgeDeployment } from "../src/exercises/pipeline/judge.ts";
import { problemWorkflow, solutionWorkflow } from "../src/exercises/pipeline/workflowFile.ts";
import { REPO_ROOT } from "../src/layout/repo.ts";

const loaded = loadExercise("05");
if (loaded.kind !== "pipeline") throw new Error("exercise 05 is a deployment");
const exercise: PipelineExercise = loaded;

const SUB = "/subscriptions/7d3e1c6a-8b1f-4c2d-9e0a-1f2b3c4d5e6f";
const GROUP = `${SUB}/resourceGroups/keyless-rg`;
const SITE = `${GROUP}/providers/Microsoft.Web/sites/keyless-step-04`;
const ISSUER = "https://localhost:8451";
const REPO = "octo-learner/keyless";
const MAIN = `repo:${REPO}:ref:refs/heads/main`;
const AT = "2026-12-06T10:00:00.000Z";

/** The lesson's deployment, as the grader collects it after a green rehearsal. */
const passing = (): DeployFacts => ({
  workflow: { shown: "workspace/05-ship-it/deploy.yml", text: solutionWorkflow(exercise) },
  variables: { AZURE_CLIENT_ID: "app-id", AZURE_TENANT_ID: "t", AZURE_SUBSCRIPTION_ID: "s" },
  deployer: { appId: "app-id", secrets: 0 },
  credentials: [{ name: "github-main", issuer: ISSUER, subject: MAIN, audiences: ["api://AzureADTokenExchange"] }],
  roles: [{ role: "Website Contributor", scope: SITE }],
  scopes: { subscription: SUB, resourceGroup: GROUP, site: SITE },
  issuer: ISSUER,
  lastRun: { ofThisWorkflow: true, repository: REPO, conclusion: "success", at: AT, jobs: [] },
  signIns: [{ time: AT, ok: true, credential: "federatedIdentityCredential", subject: MAIN }],
  app: { status: 200, code: "AbC-123-xYz", managedIdentitySignIn: true },
});

const failed = (facts: DeployFacts) => judgeDeployment(exercise, facts).filter((finding) => !finding.ok);

describe("exercise 05's grader", () => {
  it("passes the lesson's deployment: six checks, each saying what it saw", () => {
    const findings = judgeDeployment(exercise, passing());
    expect(findings.map((finding) => [finding.ok, finding.text])).toEqual([
      [
        true,
        "No secret and no publish profile anywhere: not in workspace/05-ship-it/deploy.yml, its folder or the repository's variables, and the deployer has no client secret.",
      ],
      [
        true,
        "The job deploy may ask GitHub for its token (id-token: write), and azure/login gets client-id, tenant-id and subscription-id, no secret.",
      ],
      [
        true,
        `The deployer trusts one subject, exactly: ${MAIN} (issuer ${ISSUER}, audience api://AzureADTokenExchange).`,
      ],
      [true, "The deployer's role is no wider than needed: Website Contributor on the web app keyless-step-04."],
      [
        true,
        `The rehearsal went green: the deployer signed in with its federated credential (subject ${MAIN}), zip-deployed and smoke-tested.`,
      ],
      [true, "The deployed app answers getcode (AbC-123-xYz), signed in with its managed identity."],
    ]);
  });

  it("permissions missing: the job cannot ask for its token, and the lines to add are given", () => {
    const facts = { ...passing(), workflow: { shown: "deploy.yml", text: problemWorkflow(exercise) } };
    const [finding] = failed(facts);
    expect(finding?.text).toBe(
      'The job deploy has no permissions: id-token: write, so GitHub gives it no token to sign in with (azure/login: "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable").',
    );
    expect(finding?.hint).toContain(
      "      id-token: write # GitHub signs this job's token: the only credential the deploy has",
    );
  });

  it("azure/login's inputs missing: the three ids named, from the repository's variables", () => {
    const text = solutionWorkflow(exercise).replace(`          tenant-id: \${{ vars.AZURE_TENANT_ID }}\n`, "");
    const [finding] = failed({ ...passing(), workflow: { shown: "deploy.yml", text } });
    expect(finding?.text).toBe(
      "azure/login in the job deploy lacks tenant-id: without all three it does not sign in with the job's token.",
    );
    expect(finding?.hint).toContain(`      tenant-id: \${{ vars.AZURE_TENANT_ID }}`);
  });

  it("audience wrong, in the credential or in azure/login: AADSTS700212 named, with the audience Entra ID takes", () => {
    const credential = {
      ...passing().credentials[0],
      audiences: ["api://AzureADTokenExchange/"],
    } as DeployFacts["credentials"][0];
    const [inCredential] = failed({ ...passing(), credentials: [credential] });
    expect(inCredential?.text).toBe(
      "The credential github-main takes the audience api://AzureADTokenExchange/: GitHub's token for azure/login names api://AzureADTokenExchange (AADSTS700212).",
    );
    expect(inCredential?.hint?.at(-1)).toContain('"audiences": ["api://AzureADTokenExchange"]');
    const text = solutionWorkflow(exercise).replace(
      `          subscription-id: \${{ vars.AZURE_SUBSCRIPTION_ID }}\n`,
      `          subscription-id: \${{ vars.AZURE_SUBSCRIPTION_ID }}\n          audience: api://keyless\n`,
    );
    const [inWorkflow] = failed({ ...passing(), workflow: { shown: "deploy.yml", text } });
    expect(inWorkflow?.text).toBe(
      "azure/login in the job deploy asks GitHub for a token for the audience api://keyless: Entra ID takes api://AzureADTokenExchange only (AADSTS700212).",
    );
  });

  it.each([
    [`repo:${REPO}:ref:refs/heads/dev`, `repo:${REPO}:ref:refs/heads/dev: a push to dev, not to main`],
    [`repo:${REPO}:pull_request`, `repo:${REPO}:pull_request: any pull request's run, from any branch, could deploy`],
    [
      `repo:${REPO}:ref:refs/heads/*`,
      `repo:${REPO}:ref:refs/heads/*: Entra ID compares subjects exactly, so a wildcard matches no run`,
    ],
    [
      `repo:${REPO}:environment:production`,
      `repo:${REPO}:environment:production: a job in that environment, not a push to main`,
    ],
  ])("a subject other than the branch is named: %s", (subject, words) => {
    const facts = {
      ...passing(),
      credentials: [{ ...passing().credentials[0], subject } as DeployFacts["credentials"][0]],
    };
    const [finding] = failed(facts);
    expect(finding?.text).toContain("The deployer trusts a subject other than pushes to main: ");
    expect(finding?.text).toContain(words);
    expect(finding?.hint).toContain(
      "npm run --silent az -- ad app federated-credential delete --id app-id --federated-credential-id github-main",
    );
  });

  it("Owner granted: wider than a code deploy, why it matters, and the commands that narrow it", () => {
    const [finding] = failed({ ...passing(), roles: [{ role: "Owner", scope: SUB }] });
    expect(finding?.text).toBe("The deployer's role is wider than a code deploy needs: Owner on the subscription.");
    expect(finding?.hint).toEqual([
      "A zip deploy needs Microsoft.Web/sites/publish/Action on the one web app: Website Contributor there. Owner can also grant anyone any role: a stolen run could give itself the subscription.",
      `npm run --silent az -- role assignment create --assignee app-id --role "Website Contributor" --scope ${SITE}`,
      `npm run --silent az -- role assignment delete --assignee app-id --role "Owner" --scope ${SUB}`,
    ]);
    const [contributor] = failed({ ...passing(), roles: [{ role: "Contributor", scope: GROUP }, ...passing().roles] });
    expect(contributor?.text).toBe(
      "The deployer's role is wider than a code deploy needs: Contributor on the resource group.",
    );
  });

  it.each([
    [
      "a client secret on the deployer",
      { deployer: { appId: "app-id", secrets: 1 } },
      'the deployer (keyless-deployer) has a client secret, "just in case"',
    ],
    [
      "a client secret in the repository's variables",
      { variables: { AZURE_CLIENT_SECRET: "kls~x" } },
      "the repository variable AZURE_CLIENT_SECRET holds a secret",
    ],
    [
      "a secret in the folder's .env",
      { dotenv: "AZURE_CLIENT_SECRET=kls~x\n" },
      ".env:1 holds a secret (AZURE_CLIENT_SECRET)",
    ],
  ])("a secret stored just in case: %s", (_what, change, words) => {
    const [finding] = failed({ ...passing(), ...change });
    expect(finding?.text).toBe(`A secret is stored where the deploy does not need one: ${words}.`);
    expect(finding?.hint?.[0]).toBe(
      "The federated credential is the deploy's only credential: a secret kept beside it is one more thing to leak and to rotate.",
    );
  });

  it("a secret or publish profile in the workflow is named by line", () => {
    const text = solutionWorkflow(exercise).replace(
      `          subscription-id: \${{ vars.AZURE_SUBSCRIPTION_ID }}\n`,
      `          subscription-id: \${{ vars.AZURE_SUBSCRIPTION_ID }}\n          client-secret: \${{ secrets.AZURE_CLIENT_SECRET }}\n`,
    );
    const [finding] = failed({ ...passing(), workflow: { shown: "deploy.yml", text } });
    const line = text.split("\n").findIndex((candidate) => candidate.includes("client-secret:")) + 1;
    expect(finding?.text).toBe(
      `A secret is stored where the deploy does not need one: deploy.yml:${line} holds azure/login's client-secret input.`,
    );
  });

  it("a rehearsal Entra ID refused is named with its AADSTS code and the subject the token stated", () => {
    const facts: DeployFacts = {
      ...passing(),
      lastRun: { ofThisWorkflow: true, repository: REPO, conclusion: "failure", at: AT, jobs: [] },
      signIns: [
        {
          time: AT,
          ok: false,
          credential: "federatedIdentityCredential",
          errorCode: "AADSTS700213",
          subject: `repo:${REPO}:pull_request`,
        },
      ],
    };
    expect(failed(facts).map((finding) => finding.text)).toContain(
      `The last rehearsal of workspace/05-ship-it/deploy.yml ended in failure: Entra ID refused the deployer's token with AADSTS700213 (subject repo:${REPO}:pull_request).`,
    );
  });

  it("the workshop's deploy.yml is the exercise's solution, and the problem takes out only the lesson's lines", () => {
    expect(solutionWorkflow(exercise)).toBe(readFileSync(`${REPO_ROOT}.github/workflows/deploy.yml`, "utf8"));
    const problem = problemWorkflow(exercise);
    let kept = solutionWorkflow(exercise);
    for (const removed of exercise.workflow.removed) {
      expect(kept.split(`${removed.text}\n`)).toHaveLength(2);
      kept = kept.replace(`${removed.text}\n`, "");
    }
    expect(problem.split("\n").filter((line) => !/^\s*# (🐨|💰| {3})/.test(line))).toEqual(kept.split("\n"));
  });
});
