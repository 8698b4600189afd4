/**
 * `npm run check -- --url <app>`: the contract suite against an app by its
 * address, as the deploy workflow's smoke test runs it against Azure. Here
 * the address is the sandbox's App Service front door for step 04, which npm
 * start runs (https://keyless-step-04.azurewebsites.localhost:<port>), trusted
 * as the steps trust it (NODE_EXTRA_CA_CERTS); then each way it can fail,
 * in words and without a stack trace.
 */
import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azInProcess } from "./azInProcess.ts";
import { WORKSHOP, launchWorkshop, type LaunchedWorkshop } from "./launch.ts";
import { WITH_COMPILE_CACHE } from "../src/layout/repo.ts";

const stateDir = mkdtempSync(join(tmpdir(), "keyless-check-url-"));
const env: NodeJS.ProcessEnv = { ...process.env, KEYLESS_SANDBOX_DIR: stateDir, NO_COLOR: "1", FORCE_COLOR: "0" };
delete env["NODE_EXTRA_CA_CERTS"];
let launcher: LaunchedWorkshop;
/** The sandbox's CA, which the steps trust through NODE_EXTRA_CA_CERTS. */
let caFile = "";
/** Step 04 through App Service's front door: https://keyless-step-04.azurewebsites.localhost:<port>. */
let step04 = "";

interface Run {
  readonly code: number;
  readonly output: string;
}

function run(file: string, args: readonly string[], more: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...WITH_COMPILE_CACHE, file, ...args],
      { cwd: WORKSHOP, env: { ...env, ...more } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}
const check = (args: readonly string[], more: NodeJS.ProcessEnv = {}) => run("src/commands/check.ts", args, more);
const az = (...args: string[]) => azInProcess(args, env, WORKSHOP);

/** No line of a stack trace, and no file of this repository. */
function expectNoStackTrace(output: string): void {
  expect(output).not.toMatch(/\n\s+at /);
  expect(output).not.toMatch(/\.ts:\d+/);
}

beforeAll(async () => {
  launcher = await launchWorkshop(["04", "--no-dashboard"], env);
  caFile = (JSON.parse(readFileSync(join(stateDir, "endpoints.json"), "utf8")) as { caFile: string }).caFile;
  // As a learner finds an app's address: az webapp show.
  const host = await az("webapp", "show", "-g", "keyless-rg", "-n", "keyless-step-04", "--query", "defaultHostName");
  expect(host.code, host.output).toBe(0);
  step04 = `https://${JSON.parse(host.output) as string}`;
}, 120_000);

afterAll(async () => {
  await launcher?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("npm run check -- --url", { timeout: 120_000 }, () => {
  it("passes step 04 at the sandbox's App Service address, check by check, naming the checks only the sandbox can run", async () => {
    expect(step04).toMatch(/^https:\/\/keyless-step-04\.azurewebsites\.localhost:\d+$/);
    const passed = await check(["--url", step04], { NODE_EXTRA_CA_CERTS: caFile });
    expect(passed.code, passed.output).toBe(0);
    expect(passed.output).toContain(`Checking ${step04} against the contract every step keeps ...`);
    expect(passed.output).toContain("✔ serves an HTML page at /");
    expect(passed.output).toContain("✔ answers 50 concurrent calls, all with distinct codes");
    expect(passed.output).toMatch(/Not run here: 6 checks need the sandbox's world/);
    expect(passed.output).toContain("- answers 504 when the third party is slower than the timeout");
    expect(passed.output).toMatch(new RegExp(`✔ ${step04.replace(/\./g, "\\.")} keeps the contract: 7 of 7 checks\\.`));
    expect(passed.output).not.toContain("✖");
  });

  it("without the sandbox's CA: the certificate is not trusted, and it says what to set", async () => {
    const refused = await check(["--url", step04]);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      /✖ The TLS handshake with keyless-step-04\.azurewebsites\.localhost failed: Node does not trust its certificate \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/,
    );
    expect(refused.output).toContain(`NODE_EXTRA_CA_CERTS=.sandbox/ca/ca.crt npm run check -- --url ${step04}\n`);
    expectNoStackTrace(refused.output);
  });

  it("a site that runs no code: what it answered, and where to look", async () => {
    const idle = step04.replace("keyless-step-04", "keyless-step-01");
    const down = await check(["--url", idle], { NODE_EXTRA_CA_CERTS: caFile });
    expect(down.code).toBe(1);
    expect(down.output).toMatch(
      /✖ https:\/\/keyless-step-01\.\S+\/ answers 503: the app is not running there\. It said: "/,
    );
    expect(down.output).toContain("az webapp log tail -g <group> -n <app>");
    expectNoStackTrace(down.output);
  });

  it("nothing listening, and no such host", async () => {
    const closed = createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as { port: number }).port;
    closed.close();
    const refused = await check(["--url", `https://127.0.0.1:${port}`]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`✖ Cannot reach 127.0.0.1:${port}: nothing listens there (connection refused).`);
    expectNoStackTrace(refused.output);

    const blocked = await check(["--url", "https://127.0.0.1:1"]);
    expect(blocked.code).toBe(1);
    expect(blocked.output).toContain("✖ Cannot reach 127.0.0.1:1: Node's fetch refuses port 1, as browsers do.");

    // .invalid never resolves (RFC 6761).
    const nowhere = await check(["--url", "https://keyless-nowhere.invalid"]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.output).toMatch(/✖ Cannot reach keyless-nowhere\.invalid: no such host \((ENOTFOUND|EAI_AGAIN)\)/);
    expect(nowhere.output).toContain("az webapp show -g <group> -n <app> --query defaultHostName -o tsv");
    expectNoStackTrace(nowhere.output);
  });

  describe("an app that answers, but not as the contract says", () => {
    let server: Server;
    let url = "";
    beforeAll(async () => {
      // The home page is right; getcode answers a number where the code should be, and every route 200.
      server = createServer((req, res) => {
        if (req.url === "/") {
          res.writeHead(200, { "content-type": "text/html" }).end("<html><a href='/api/v1/getcode'>code</a></html>");
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ code: 42 }));
      }).listen(0, "127.0.0.1");
      await once(server, "listening");
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => void server.close());

    it("fails, naming each check that failed and why, and what to look at", async () => {
      const wrong = await check(["--url", url]);
      expect(wrong.code).toBe(1);
      expect(wrong.output).toContain("✔ serves an HTML page at /");
      expect(wrong.output).toMatch(/✖ issues a code: three letters/);
      expect(wrong.output).toMatch(/✖ answers unknown routes with 404 JSON\n\s+expected 200 to be 404/);
      expect(wrong.output).toMatch(
        new RegExp(`✖ ${url.replace(/\./g, "\\.")} does not keep the contract: \\d of 7 checks failed\\.`),
      );
      expect(wrong.output).toContain("is step 04's code what the app runs");
      expectNoStackTrace(wrong.output);
    });
  });

  it("is the deploy workflow's smoke test, word for word", () => {
    const workflow = readFileSync(join(WORKSHOP, "../../.github/workflows/deploy.yml"), "utf8");
    expect(workflow).toMatch(/^\s+run: npm run check -- --url "\$\{\{[^}]+\}\}"$/m);
  });

  it("takes an address alone: anything else is a usage error (exit 2)", async () => {
    const notUrl = await check(["--url", "keyless-step-04"]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.output).toContain(
      '✖ --url takes the app\'s address, such as https://<app>.azurewebsites.net (it got "keyless-step-04").',
    );
    const withStep = await check(["04", "--url", step04]);
    expect(withStep.code).toBe(2);
    expect(withStep.output).toContain("--url checks the one app at that address: name no step");
  });
});
