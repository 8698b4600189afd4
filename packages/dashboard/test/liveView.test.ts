/**
 * The live view in a real browser (Debian's Chromium, driven by playwright-core), against a real
 * `npm start` (steps 03 and 04, free ports, a temporary state folder): each lesson's flow, done
 * from the page's own buttons, and shown by it. Screenshots are kept in .test-results/live-view-*.png for CI.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { CHROMIUM_MISSING, chromiumOptions, hasChromium } from "@keyless/test-config/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedIdentityIdsOf } from "@keyless/sandbox";
import { learnerTerminal } from "@keyless/workshop";

const LAUNCHER_DIR = fileURLToPath(new URL("../../launcher", import.meta.url));
/** Beside the site's: the repository's .test-results/, which CI keeps. */
const SCREENSHOTS = fileURLToPath(new URL("../../../.test-results", import.meta.url));
/** Step 03's managed identity (its ids derive from its site), and the vault it reads (infra/sandbox.parameters.json). */
const GROUP = "/subscriptions/7d3e1c6a-8b1f-4c2d-9e0a-1f2b3c4d5e6f/resourceGroups/keyless-rg";
const STEP_03 = managedIdentityIdsOf(`${GROUP}/providers/Microsoft.Web/sites/keyless-step-03`).objectId;
const VAULT = `${GROUP}/providers/Microsoft.KeyVault/vaults/keyless-kv`;

if (!hasChromium && !process.env["CI"])
  console.warn(`Skipping the live view's browser test: ${CHROMIUM_MISSING}. With CI set, this fails instead.`);
if (!hasChromium && process.env["CI"]) {
  it("has Chromium for the live view's browser test", () => {
    throw new Error(`The live view's browser test cannot run: ${CHROMIUM_MISSING}.`);
  });
}

describe.skipIf(!hasChromium)("the live view, in a browser, over a running npm start", () => {
  let launcher: ChildProcess;
  let output = "";
  let stateDir: string;
  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "keyless-live-view-"));
    userDataDir = mkdtempSync(join(tmpdir(), "keyless-chromium-"));
    mkdirSync(SCREENSHOTS, { recursive: true });
    const env = learnerTerminal({ KEYLESS_SANDBOX_DIR: stateDir, NO_COLOR: "1", FORCE_COLOR: "0" });
    launcher = spawn(process.execPath, ["src/start.ts", "--free-ports", "03", "04"], {
      cwd: LAUNCHER_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    launcher.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      launcher.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const found = /live view .*?(http:\/\/localhost:\d+)/.exec(output)?.[1];
        if (found && output.includes("Ctrl-C stops everything")) resolve(found);
      });
      launcher.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
    context = await chromium.launchPersistentContext(userDataDir, {
      ...chromiumOptions(),
      viewport: { width: 1400, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
    page.on("pageerror", (error) => problems.push(String(error)));
    page.on(
      "response",
      (response) => response.status() >= 400 && problems.push(`${response.status()} ${response.url()}`),
    );
    await page.goto(url);
    await page.waitForFunction('document.getElementById("live-state")?.textContent?.startsWith("Live:")', undefined, {
      timeout: 20_000,
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (launcher && launcher.exitCode === null) {
      const exited = once(launcher, "exit");
      launcher.kill("SIGINT");
      await exited;
    }
    for (const dir of [stateDir, userDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A locator's text, whitespace collapsed; "" while it is not there. */
  const textOf = (locator: Locator) =>
    locator
      .first()
      .textContent({ timeout: 1000 })
      .then(
        (found) => (found ?? "").replace(/\s+/g, " ").trim(),
        () => "",
      );
  /** Waits until the locator shows the text (the page updates live: give it a moment). */
  const shows = (locator: Locator, expected: string | RegExp) => {
    const polled = expect.poll(() => textOf(locator), { timeout: 20_000, interval: 100 });
    return typeof expected === "string" ? polled.toContain(expected) : polled.toMatch(expected);
  };
  /** A screenshot for CI's artefacts: the whole page, or the part a test is about. */
  const shot = (name: string, part?: Locator) =>
    part
      ? part.first().screenshot({ path: join(SCREENSHOTS, `live-view-${name}.png`) })
      : page.screenshot({ path: join(SCREENSHOTS, `live-view-${name}.png`), fullPage: true });
  const result = () => page.locator("#result");
  /** The newest trace of an app whose title says what it was. */
  const newestTrace = (app: string, title: string): Locator =>
    page.locator("article.trace").filter({ hasText: app }).filter({ hasText: title }).first();
  const press = async (selector: string) => {
    // The keyboard, as a learner without a mouse would. Through the locator, which finds the button again if a
    // live update has just replaced it (focusing it first, then pressing, could press on one already gone).
    await page.locator(selector).press("Enter");
  };

  it("shows every region, labelled, in light and dark, with nothing failing to load", async () => {
    for (const name of [
      "Apps",
      "Requests, traced",
      "Identities and roles",
      "Key Vault secrets",
      "Queue Storage",
      "Audit log",
    ]) {
      expect(await page.getByRole("region", { name, exact: true }).isVisible(), name).toBe(true);
    }
    // Start-up's reads of the vault are traces already: the challenge, the token, RBAC's decision.
    const startup = newestTrace("keyless-step-03", "SecretClient.getSecret");
    await shows(startup, "401 challenge");
    await shows(startup, /ManagedIdentityCredential answered .*fetched/);
    await shows(startup, "RBAC: allowed");
    // Every control has a name a screen reader can say.
    const unnamed = await page
      .locator("button, select, a")
      .evaluateAll(
        (elements) =>
          elements.filter(
            (element) =>
              !(
                element.getAttribute("aria-label") ||
                element.textContent?.trim() ||
                (element.id && element.ownerDocument.querySelector(`label[for="${element.id}"]`))
              ),
          ).length,
      );
    expect(unnamed).toBe(0);
    await shot("light");
    await page.emulateMedia({ colorScheme: "dark" });
    await shot("dark");
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("revoke step 03's role, restart it: the 403 with its explanation and the exact fix", async () => {
    await press(`[aria-label="Revoke Key Vault Secrets User on Key Vault keyless-kv from keyless-step-03"]`);
    await shows(result(), "Revoked Key Vault Secrets User from keyless-step-03");
    await shows(page.locator(`#principal-${STEP_03}`), "no role");
    await press("#restart-keyless-step-03");
    await shows(result(), "keyless-step-03 did not start");
    const denied = page.locator("article.trace.failed").filter({ hasText: "keyless-step-03" }).first();
    await shows(denied, "403 ForbiddenByRbac");
    const why = denied.locator("details.explain").first();
    expect(await why.getAttribute("open")).toBe("");
    await shows(why, "keyless-step-03 has no role that allows");
    await shows(why, "Microsoft.KeyVault/vaults/secrets/getSecret/action");
    await shows(why, "Caller is not authorized to perform action on resource.");
    await shows(
      why.locator("pre.fix"),
      `az role assignment create --assignee ${STEP_03} --role "Key Vault Secrets User" --scope ${VAULT}`,
    );
    await shows(page.locator("#app-keyless-step-03"), "did not start");
    await shot("denied-explained", denied);
  });

  it("grant the role back from the form: step 03 starts and serves 200", async () => {
    await page.selectOption("#grant-assignee", { label: "keyless-step-03" });
    await page.selectOption("#grant-role", "Key Vault Secrets User");
    await page.selectOption("#grant-scope", { label: "Key Vault keyless-kv" });
    await press("#grant-submit");
    await shows(result(), "Granted Key Vault Secrets User to keyless-step-03 on Key Vault keyless-kv");
    await shows(page.locator(`#principal-${STEP_03}`), "effective");
    await press("#restart-keyless-step-03");
    await shows(result(), /keyless-step-03 restarted: http:\/\/localhost:\d+/);
    await press("#call-keyless-step-03");
    await shows(result(), /keyless-step-03 answered 200: \{"code":"[A-Za-z]{3}-\d+-[A-Za-z]{3}"/);
    await shows(newestTrace("keyless-step-03", "GET /api/v1/getcode"), "No call to Azure in this request");
    await shot("granted", page.locator("#identities"));
  });

  it("rotate the key: step 03's next call reads the vault once again, and still gets its code", async () => {
    await press("#rotate-key");
    await shows(result(), /Rotated: new function key key-\d+; third-party-api-key is now version/);
    await press("#call-keyless-step-03");
    await shows(result(), "keyless-step-03 answered 200");
    const reread = newestTrace("keyless-step-03", "GET /api/v1/getcode");
    await shows(reread.locator(".vault-reads"), /^1$/);
    await shows(reread, "Third-party API: GET /api/RandomNumber 401");
    await shows(reread, "SecretClient.getSecret");
    await shows(reread, "the app read the secret from Key Vault again, once, and tried again with the new key: 200");
    await shows(reread, "SecretGet 200");
    await shows(reread, "Token for Key Vault: the client's cached token");
    // The rotation is in the logs Azure keeps: the function keys in the Activity log, the secret as a SecretSet by the developer.
    const audit = page.locator("#audit-live");
    await shows(audit, "Microsoft.Web/sites/functions/keys/write");
    await shows(audit, "Microsoft.Web/sites/functions/keys/delete");
    await shows(audit.locator("tr").filter({ hasText: "SecretSet" }).first(), "learner@keyless.local");
    await shot("key-rotated", reread);
  });

  it("reveal a secret: it asks first, shows the value, and the vault records a SecretGet by the developer", async () => {
    await press("#reveal-button-third-party-api-key");
    await shows(
      page.locator("#reveal-third-party-api-key"),
      "Key Vault records it as a SecretGet by learner@keyless.local",
    );
    await press("#reveal-confirm-third-party-api-key");
    await shows(page.locator("#revealed-third-party-api-key"), /^[A-Za-z0-9+/=]{40,}$/);
    await shows(page.locator("#audit-live tr").filter({ hasText: "SecretGet" }).first(), "learner@keyless.local");
    await shot("secret-revealed", page.locator("#secrets"));
    await page.locator("#reveal-third-party-api-key").getByRole("button", { name: "Hide" }).click();
    await expect.poll(() => page.locator("#revealed-third-party-api-key").count()).toBe(0);
    await shows(page.locator("#reveal-third-party-api-key"), "Reveal…");
  });

  it("stop and start Queue Storage: step 04 answers 503, then 200 with its message in the queue", async () => {
    await press("#queue-stop");
    await shows(page.locator("#queue-state"), /^stopped$/);
    await press("#call-keyless-step-04");
    await shows(result(), "keyless-step-04 answered 503");
    await shot("queue-stopped", page.locator("#queue"));
    await press("#queue-start");
    await shows(page.locator("#queue-state"), /^running$/);
    await press("#call-keyless-step-04");
    await shows(result(), "keyless-step-04 answered 200");
    const code = /"code":"([^"]+)"/.exec((await result().textContent()) ?? "")?.[1] ?? "";
    await shows(page.locator("#queue-live"), code);
    await shows(page.locator("#audit-live"), "Microsoft.ResourceHealth/healthevent/Resolved/action");
    await shot("queue-running", page.locator("#queue"));
  });

  it("an app's logs open on demand; no request failed and no script error", async () => {
    await page.locator("#logs-keyless-step-04 summary").click();
    await shot("logs", page.locator("#apps"));
    await shows(page.locator("#logs-keyless-step-04 pre"), "issued a code");
    // The step 04 call while Queue Storage was stopped was a 503 on purpose; nothing else may fail.
    expect(problems.filter((problem) => !/\b503\b/.test(problem))).toEqual([]);
  });
});
