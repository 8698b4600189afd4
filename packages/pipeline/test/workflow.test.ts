// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are GitHub expressions (${{ }}), not template literals
/** The workflow file as GitHub reads it: triggers, command files, refusals with where and why; and deploy.yml itself. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CommandFileError, parseCommandFile } from "../src/commandFiles.ts";
import { resolveAction } from "../src/actions/index.ts";
import { whyNotTriggered } from "../src/triggers.ts";
import { grantsIdToken, parseWorkflow } from "../src/workflow.ts";

const DEPLOY = fileURLToPath(new URL("../../../.github/workflows/deploy.yml", import.meta.url));

describe("the workflow file", () => {
  it("refuses what GitHub refuses, saying where: an unknown key, a step with both uses and run, YAML that does not parse", () => {
    const base = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n";
    expect(() => parseWorkflow(`${base}      - run: echo\n        colour: blue\n`, "x.yml")).toThrow(
      /^x\.yml: jobs\.a\.steps\[0\] \(colour\): /,
    );
    expect(() => parseWorkflow(`${base}      - run: echo\n        uses: a/b@v1\n`, "x.yml")).toThrow(
      "x.yml: jobs.a.steps[0]: a step has either `uses` or `run`, not both and not neither",
    );
    expect(() => parseWorkflow("on: [push\n", "x.yml")).toThrow(/^x\.yml: the YAML does not parse/);
    expect(() => parseWorkflow("jobs: {}\n", "x.yml")).toThrow(/^x\.yml: on: /);
  });

  it.each([
    [{ push: { branches: ["main"] } }, "push", "main", undefined],
    [
      { push: { branches: ["main"] } },
      "push",
      "dev",
      "it runs on a push to main, not on a push to dev (on.push.branches).",
    ],
    [{ push: { branches: ["releases/**", "!releases/old"] } }, "push", "releases/v1/x", undefined],
    [
      { push: { branches: ["releases/*"] } },
      "push",
      "releases/v1/x",
      "it runs on a push to releases/*, not on a push to releases/v1/x (on.push.branches).",
    ],
    [
      { push: { "branches-ignore": ["wip/*"] } },
      "push",
      "wip/a",
      "it ignores a push to wip/a (on.push.branches-ignore).",
    ],
    [{ push: { tags: ["v*"] } }, "push", "main", "it runs on a push of tags only (on.push.tags), not of a branch."],
    [["push"], "pull_request", "main", "it runs on push, not on pull_request (its on: key)."],
    ["workflow_dispatch", "workflow_dispatch", "any", undefined],
  ] as const)("on: %j, %s to %s", (on, event, branch, why) => {
    expect(whyNotTriggered(on as never, event, branch)).toBe(why);
  });

  it("reads GITHUB_ENV and GITHUB_OUTPUT as GitHub does: NAME=value lines and NAME<<DELIMITER blocks", () => {
    expect(parseCommandFile("A=1\nB<<EOF\nline one\nline=two\nEOF\nA=3\n", "output")).toEqual({
      A: "3",
      B: "line one\nline=two",
    });
    expect(() => parseCommandFile("no equals sign\n", "env")).toThrow(
      new CommandFileError("Unable to process file command 'env' successfully. Invalid format 'no equals sign'"),
    );
    expect(() => parseCommandFile("B<<EOF\nnever closed\n", "env")).toThrow(/Matching delimiter not found 'EOF'/);
  });

  it("plays actions/checkout, actions/setup-node and azure/login, and names what it does not play", () => {
    expect(resolveAction("azure/login@v2")).toHaveProperty("action.repository", "azure/login");
    expect(resolveAction("Azure/login@v2.3.1")).toHaveProperty("action.repository", "azure/login");
    expect(resolveAction("azure/login@v1")).toEqual({
      refusal: "azure/login@v1: the rehearsal plays azure/login@v2 and @v3, not @v1.",
    });
    expect(resolveAction("azure/webapps-deploy@v3")).toEqual({
      refusal:
        "azure/webapps-deploy@v3 is not played by the rehearsal: it plays actions/checkout@v4/v5, actions/setup-node@v4/v5/v6, azure/login@v2/v3. Write the step as a run: step, or run it on GitHub.",
    });
    expect(resolveAction("./.github/actions/mine")).toHaveProperty(
      "refusal",
      expect.stringContaining("local and Docker actions"),
    );
  });
});

describe(".github/workflows/deploy.yml", () => {
  const workflow = parseWorkflow(readFileSync(DEPLOY, "utf8"), "deploy.yml");
  const deploy = workflow.jobs["deploy"];
  const steps = deploy?.steps ?? [];

  it("deploys on a push to main, its deploy job asking for id-token: write and nothing the workflow does not need", () => {
    expect(whyNotTriggered(workflow.on, "push", "main")).toBeUndefined();
    expect(whyNotTriggered(workflow.on, "push", "feature")).toBeDefined();
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(deploy?.permissions).toEqual({ "id-token": "write", contents: "read" });
    expect(grantsIdToken(deploy?.permissions)).toBe(true);
    expect(grantsIdToken(workflow.permissions)).toBe(false);
  });

  it("signs in with azure/login from repository variables: client, tenant and subscription ids, no secret, no creds", () => {
    const login = steps.find((step) => step.uses?.startsWith("azure/login@"));
    expect(login?.with).toEqual({
      "client-id": "${{ vars.AZURE_CLIENT_ID }}",
      "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
      "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
    });
    expect(readFileSync(DEPLOY, "utf8")).not.toMatch(/secrets\.|creds:|publish-?profile|client-secret/i);
  });

  it("deploys code by default (a zip of step 04 and a smoke test), and the template only when AZURE_DEPLOY_INFRA is true", () => {
    const scripts = steps.map((step) => step.run ?? "").join("\n");
    expect(scripts).toMatch(/az webapp deploy[\s\S]*--name "\$WEBAPP_NAME"[\s\S]*--type zip/);
    // The smoke test is the contract suite, against the address the deployed app answers at.
    expect(scripts).toMatch(/npm run check -- --url "\$\{\{ steps\.smoke\.outputs\.url \}\}"/);
    // The template is an opt-in step: it needs roles a code deploy does not, and its comment says which.
    const infra = steps.find((step) => step.run?.includes("az deployment group create"));
    expect(infra?.if).toBe("vars.AZURE_DEPLOY_INFRA == 'true'");
    expect(infra?.run).toMatch(/--template-file infra\/main\.json/);
    const text = readFileSync(DEPLOY, "utf8");
    expect(text).toContain("Contributor and Role Based Access Control Administrator on the resource group");
    expect(text).toContain("Website Contributor on that web app");
    // npm ci only where there is no node_modules: a rehearsal runs the steps in the learner's own checkout.
    expect(scripts).toMatch(/test -d node_modules \|\| npm ci\b/);
    expect(scripts.replace(/test -d node_modules \|\| npm ci\b/, "")).not.toMatch(/npm ci\b/);
    expect(steps.slice(0, 2).map((step) => step.uses)).toEqual(["actions/checkout@v4", "actions/setup-node@v4"]);
    expect(steps[1]?.with).toMatchObject({ "node-version": "24" });
  });

  it("runs the deploy job only when the five variables are set, and says why in the summary otherwise", () => {
    const variables = [
      "AZURE_CLIENT_ID",
      "AZURE_TENANT_ID",
      "AZURE_SUBSCRIPTION_ID",
      "AZURE_RESOURCE_GROUP",
      "AZURE_WEBAPP_NAME",
    ];
    for (const name of variables) {
      expect(deploy?.if).toContain(`vars.${name} != ''`);
      expect(workflow.jobs["not-configured"]?.if).toContain(`vars.${name} == ''`);
    }
    expect(workflow.jobs["not-configured"]?.steps?.[0]?.run).toContain("GITHUB_STEP_SUMMARY");
  });
});
