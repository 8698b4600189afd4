/**
 * App Service in the sandbox: every site answers at its host name through the
 * front ends, and a zip deployment replaces the code a site runs, as `az
 * webapp deploy --type zip` does on Azure: with a Microsoft Entra token and a
 * role that may publish, never basic auth (the template turns it off); kept
 * across a restart, gone at a reset.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningStep, startStep } from "@keyless/app-process";
import { MANAGEMENT_RESOURCE, type Sandbox, startSandbox } from "../src/index.ts";
import { isAlive } from "../src/processes.ts";
import { SiteRunner } from "../src/providers/web/siteRunner.ts";
import { az, startTestSandbox, type TestSandbox } from "./helpers.ts";

const STEP_01 = fileURLToPath(new URL("../../../steps/01-keys-in-code", import.meta.url));

/** A step's package, as `cd steps/01-keys-in-code && zip -r app.zip package.json src` makes it. */
function packageOf(folder: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const add = (path: string) => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) add(full);
      else files[relative(folder, full).split("\\").join("/")] = readFileSync(full);
    }
  };
  files["package.json"] = readFileSync(join(folder, "package.json"));
  add(join(folder, "src"));
  return zipSync(files);
}

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test.stop());

const scm = (sandbox: Sandbox, site: string) => sandbox.siteUrl(site).replace(`${site}.`, `${site}.scm.`);
const developerToken = (sandbox: Sandbox) =>
  sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: sandbox.directory.users[0]?.objectId ?? "" });

async function deploy(sandbox: Sandbox, site: string, zip: Uint8Array, authorization: string) {
  const response = await fetch(`${scm(sandbox, site)}/api/publish?type=zip`, {
    method: "POST",
    headers: { authorization, "content-type": "application/zip" },
    body: zip,
  });
  return { status: response.status, text: await response.text() };
}

describe("App Service's front ends", () => {
  it("answer for a site that runs no code with 503 and what to do", async () => {
    const answer = await fetch(`${test.sandbox.siteUrl("keyless-step-01")}/api/v1/getcode`);
    expect(answer.status).toBe(503);
    expect(await answer.text()).toMatch(/runs no code in this sandbox/);
  });

  it("reach the code the launcher runs for a site, with App Service's forwarded headers", async () => {
    const { createServer } = await import("node:http");
    const seen: Record<string, string | string[] | undefined>[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.end("hello from step 02");
    }).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as { port: number }).port;
    test.sandbox.web.setBackend("keyless-step-02", port);
    try {
      const answer = await fetch(`${test.sandbox.siteUrl("keyless-step-02")}/`);
      expect(await answer.text()).toBe("hello from step 02");
      expect(seen[0]?.["x-forwarded-proto"]).toBe("https");
    } finally {
      test.sandbox.web.setBackend("keyless-step-02", undefined);
      server.close();
    }
  });
});

describe("a zip deployment", () => {
  it("runs the package's code at the site's URL, records who deployed it in the Activity log, and refuses basic auth", async () => {
    const { sandbox } = test;
    const zip = packageOf(STEP_01);
    const basic = await deploy(
      sandbox,
      "keyless-step-01",
      zip,
      `Basic ${Buffer.from("$keyless-step-01:x").toString("base64")}`,
    );
    expect(basic.status).toBe(401);
    expect(basic.text).toMatch(/basic authentication is disabled/);

    const deployed = await deploy(sandbox, "keyless-step-01", zip, `Bearer ${await developerToken(sandbox)}`);
    expect(deployed.status, deployed.text).toBe(200);
    expect(JSON.parse(deployed.text)).toMatchObject({ status: 4, complete: true, deployer: "learner@keyless.local" });
    const code = await fetch(`${sandbox.siteUrl("keyless-step-01")}/api/v1/getcode`);
    expect(code.status).toBe(200);
    expect(((await code.json()) as { code: string }).code).toMatch(/^[A-Za-z]{3}-\d{1,4}-[A-Za-z]{3}$/);
    expect(sandbox.audit.list({ category: "AzureActivity" }).at(-1)).toMatchObject({
      operationName: "Microsoft.Web/sites/publish/Action",
      caller: { objectId: sandbox.directory.users[0]?.objectId },
      properties: { deployer: "learner@keyless.local" },
    });
  });

  it("needs a role that may publish: without one, 403 naming the action and the least role", async () => {
    const { sandbox } = test;
    const nobody = sandbox.directory.apps.get("keyless-workspace-03")?.objectId ?? "";
    const token = await sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: nobody });
    const refused = await deploy(sandbox, "keyless-step-01", packageOf(STEP_01), `Bearer ${token}`);
    expect(refused.status).toBe(403);
    expect(refused.text).toMatch(/Microsoft\.Web\/sites\/publish\/Action.*Website Contributor/);
  });

  it("refuses a package App Service cannot start, changing nothing: the site keeps running what it ran", async () => {
    const { sandbox } = test;
    const broken = await deploy(
      sandbox,
      "keyless-step-01",
      zipSync({ "readme.txt": new TextEncoder().encode("not an app") }),
      `Bearer ${await developerToken(sandbox)}`,
    );
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.text)).toMatchObject({ status: 3, message: expect.stringMatching(/package\.json/) });
    expect((await fetch(`${sandbox.siteUrl("keyless-step-01")}/api/v1/getcode`)).status).toBe(200);
  });
});

describe("az webapp deploy --type zip", () => {
  // Step 01's package on step 02's site: the deployments test below counts step 01's site's own.
  it("sends the package to the site's deployment service with the signed-in identity's Entra token", async () => {
    const { sandbox, stateDir } = test;
    const file = join(stateDir, "app.zip");
    writeFileSync(file, packageOf(STEP_01));
    const group = sandbox.tenant.deployment.resourceGroup;
    const deployed = await az(
      stateDir,
      "webapp",
      "deploy",
      "-g",
      group,
      "-n",
      "keyless-step-02",
      "--src-path",
      file,
      "--type",
      "zip",
    );
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).toContain("Deployment has completed successfully");
    expect(JSON.parse(deployed.stdout)).toMatchObject({ status: 4, complete: true, deployer: "learner@keyless.local" });
    expect((await fetch(`${sandbox.siteUrl("keyless-step-02")}/api/v1/getcode`)).status).toBe(200);
  });

  it("says what the deployment service answered when it refuses, and takes zip packages only", async () => {
    const { sandbox, stateDir } = test;
    const group = sandbox.tenant.deployment.resourceGroup;
    const file = join(stateDir, "broken.zip");
    writeFileSync(file, zipSync({ "readme.txt": new TextEncoder().encode("not an app") }));
    const broken = await az(
      stateDir,
      "webapp",
      "deploy",
      "-g",
      group,
      "-n",
      "keyless-step-01",
      "--src-path",
      file,
      "--type",
      "zip",
    );
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /^ERROR: An error occured during deployment\. Status Code: 400, Details: .*package\.json/m,
    );
    const war = await az(
      stateDir,
      "webapp",
      "deploy",
      "-g",
      group,
      "-n",
      "keyless-step-01",
      "--src-path",
      file,
      "--type",
      "war",
    );
    expect(war.code).toBe(2);
    const missing = await az(
      stateDir,
      "webapp",
      "deploy",
      "-g",
      group,
      "-n",
      "keyless-step-01",
      "--src-path",
      join(stateDir, "none.zip"),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("is not a valid local file path");
  });
});

describe("deployments are kept", () => {
  it("across a restart (the site runs its latest deployment again), and a reset takes them away", async () => {
    const { stateDir } = test;
    await test.sandbox.stop();
    const again = await startSandbox({ stateDir, queue: false, auditFile: false });
    try {
      await expect
        .poll(async () => (await fetch(`${again.siteUrl("keyless-step-01")}/api/v1/getcode`)).status, {
          timeout: 30_000,
        })
        .toBe(200);
      expect(again.web.deploymentsOf("keyless-step-01").map((deployment) => deployment.status)).toEqual([4]);
      const report = await again.reset();
      expect(report.discarded.map((change) => change.kind)).toContain("code deployed to a site");
      expect((await fetch(`${again.siteUrl("keyless-step-01")}/api/v1/getcode`)).status).toBe(503);
    } finally {
      await again.stop();
      rmSync(stateDir, { recursive: true, force: true });
      // The suite's own sandbox was stopped above: start one again for afterAll to stop.
      test = await startTestSandbox({ queue: false });
    }
  });
});

describe("a stop while a site's app starts (a reset, the sandbox stopping)", () => {
  it("stops that app too, once it has started: no app is left running with nothing to stop it", async () => {
    const started: RunningStep[] = [];
    let startCalled = (): void => undefined;
    const starting = new Promise<void>((resolve) => {
      startCalled = resolve;
    });
    const runner = new SiteRunner({
      root: join(test.stateDir, "sites-of-a-runner"),
      environmentOf: (site) => test.sandbox.siteEnvironment(site),
      onEvent: () => undefined,
      startApp: async (options) => {
        startCalled();
        const app = await startStep(options);
        started.push(app);
        return app;
      },
    });
    const running = runner.run("keyless-step-01", "0123456789abcdef", packageOf(STEP_01));
    await starting;
    await runner.stopAll();
    await running;
    expect(started).toHaveLength(1);
    expect(runner.portOf("keyless-step-01")).toBeUndefined();
    const pid = started[0]?.pid;
    expect(pid).toBeTypeOf("number");
    expect(isAlive(pid as number)).toBe(false);
  });
});
