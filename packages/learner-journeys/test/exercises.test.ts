/**
 * CI plays a learner for each exercise, against one real workshop (`npm start
 * -- --free-ports`) with its own sandbox folder and its own workspace folder,
 * never the real `workspace/`: the untouched problem fails with its hint, a
 * known wrong solution fails with its own hint, the solution passes, the queue
 * is left as the check found it, and the audit log holds no secret. Then the
 * next day: npm start again (on the same ports, as npm start's own are fixed)
 * keeps the learner's work, progress and check still pass, check with no step
 * counts this run's verdicts only, and reset (running or not) says what it
 * discards while progress says what fails now.
 *
 * The tests run in order and build on each other, as a learner's session does.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  azInProcess,
  commandInProcess,
  launchWorkshop,
  type InProcessCommand,
  type LaunchedWorkshop,
} from "@keyless/workshop/testing";
import { freePortArgs } from "@keyless/app-process";
import { REPO_ROOT, learnerTerminal } from "@keyless/workshop";

// Each test is a learner's turn: several npm commands, an app restarted, a check that drives it. Under a
// busy CI machine one turn took 60 s (the shared hang guard); this guard is for a hang, not for speed.
vi.setConfig({ testTimeout: 180_000 });
const stateDir = mkdtempSync(join(tmpdir(), "keyless-learner-sandbox-"));
const workspaceDir = mkdtempSync(join(tmpdir(), "keyless-learner-workspace-"));
const env = learnerTerminal({
  KEYLESS_SANDBOX_DIR: stateDir,
  KEYLESS_WORKSPACE_DIR: workspaceDir,
  NO_COLOR: "1",
  FORCE_COLOR: "0",
});

const TENANT = JSON.parse(readFileSync(join(REPO_ROOT, "packages/sandbox/tenant.json"), "utf8")) as {
  subscription: { id: string };
  servicePrincipals: { displayName: string; objectId: string; secret: string }[];
};
const RG = `/subscriptions/${TENANT.subscription.id}/resourceGroups/keyless-rg`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/keyless-kv`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/devstoreaccount1`;
const QUEUE = `${ACCOUNT}/queueServices/default/queues/code-requests`;
/** An app's managed identity, as the lessons find it: `az webapp identity show` (its id is derived from the app's resource id). */
const principalOf = async (app: string) =>
  (
    await az(
      "webapp",
      "identity",
      "show",
      "--name",
      app,
      "--resource-group",
      "keyless-rg",
      "--query",
      "principalId",
      "-o",
      "tsv",
    )
  ).output.trim();
const WORKSPACE_SP = TENANT.servicePrincipals.find((sp) => sp.displayName === "keyless-workspace-sp")?.objectId ?? "";

let launcher: LaunchedWorkshop;

/**
 * When npm run progress says something happened: "today 10:31", or "2026-12-06 23:59" once the journey has run
 * past midnight (a run that starts at 23:57 does).
 */
const WHEN = String.raw`(?:today|\d{4}-\d\d-\d\d) \d\d:\d\d`;
/** A learner's command, answered in this process: the same exit code and words as its own process (see @keyless/workshop/testing). */
const command = (name: InProcessCommand, args: readonly string[]) => commandInProcess(name, args, env);
const exercise = (...args: string[]) => command("exercise", args);
const check = (...args: string[]) => command("check", args);
const az = (...args: string[]) => azInProcess(args, env, join(REPO_ROOT, "packages/sandbox"));
const queueCount = async () =>
  (
    JSON.parse((await az("storage", "message", "count", "--queue-name", "code-requests")).output) as {
      approximateMessageCount: number;
    }
  ).approximateMessageCount;
const endpoints = () =>
  JSON.parse(readFileSync(join(stateDir, "endpoints.json"), "utf8")) as {
    workspace: Record<string, string>;
    control: { url: string; token: string };
  };
const appDir = (name: string) => join(workspaceDir, name);
/** Edits a file of the learner's app, as a learner saves it. */
function edit(app: string, file: string, change: (text: string) => string): void {
  const path = join(appDir(app), file);
  const before = readFileSync(path, "utf8");
  const after = change(before);
  expect(after, `${file} changed`).not.toBe(before);
  writeFileSync(path, after);
}

/** The sandbox's ports, the same for every npm start of this learner: npm start's own are fixed too. */
let ports: string[] = [];
beforeAll(async () => {
  ports = await freePortArgs(["thirdParty", "vault", "login", "queue", "identity", "management"]);
  // Step 04 as the reference step: its checkpoint must leave the queue as it found it too. No live view: the
  // checks grade from what the sandbox saw, and the live view's own tests run it (packages/dashboard).
  launcher = await launchWorkshop(["04", "--no-dashboard", ...ports], env);
}, 120_000);

afterAll(async () => {
  await launcher?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(workspaceDir, { recursive: true, force: true });
});

describe("exercise 02: the key in Key Vault", () => {
  it("npm run exercise -- 02 creates the learner's app from step 01, says what to do, and npm start runs it", async () => {
    const created = await exercise("02");
    expect(created.code, created.output).toBe(0);
    expect(created.output).toContain("step 01's code, with 🐨 where the change goes");
    expect(created.output).toMatch(/Open first:\n\s+\S+02-key-vault\/src\/thirdPartyKey\.ts/);
    expect(created.output).toMatch(/✔ Your app runs at http:\/\/localhost:\d+\/api\/v1\/getcode/);
    expect(launcher.output()).toMatch(/\[workspace 02\] your app runs at/);
    // It resolves its packages from the repository's node_modules, and answers.
    const answer = await fetch(`${endpoints().workspace["02"]}/api/v1/getcode`);
    expect(answer.status).toBe(200);
  });

  it("the untouched problem fails: the key is in the code, and the app never signed in", async () => {
    const graded = await check("02");
    expect(graded.code, graded.output).toBe(1);
    expect(graded.output).toMatch(
      /✖ The third party's key is still written in src\/thirdPartyKey\.ts:\d+ \(the secret scanner finds it/,
    );
    expect(graded.output).toContain("✖ The sandbox saw no sign-in by your app since it started");
    expect(graded.output).toContain("✖ Exercise 02 is not done yet");
  });

  it("the change written as the 🐨 say, the role not granted yet: the app says why in step 02's one line, with the az fix", async () => {
    const solution = join(REPO_ROOT, "steps/02-key-vault/src");
    for (const file of ["thirdPartyKey.ts", "config.ts"])
      writeFileSync(join(appDir("02-key-vault"), "src", file), readFileSync(join(solution, file), "utf8"));
    // server.ts as the 🐨 say: step 01's, with the sign-in and the read; its catch calls describeStartupError(error).
    writeFileSync(
      join(appDir("02-key-vault"), "src", "server.ts"),
      readFileSync(join(solution, "server.ts"), "utf8").replace(
        "describeStartupError(error, process.env)",
        "describeStartupError(error)",
      ),
    );
    const graded = await check("02");
    expect(graded.code, graded.output).toBe(1);
    expect(graded.output).toMatch(
      /✖ At \d\d:\d\d:\d\d Key Vault refused your app's identity \(keyless-workspace-sp, its service principal\) with 403 ForbiddenByRbac/,
    );
    const said = launcher
      .output()
      .split("\n")
      .filter((line) => line.startsWith("[workspace 02]"));
    expect(
      said.some((line) =>
        /did not start: The app's identity may not read secrets in this vault \(403 ForbiddenByRbac\)\. Grant it a role: az role assignment create/.test(
          line,
        ),
      ),
      said.join("\n"),
    ).toBe(true);
    expect(launcher.output()).not.toContain("Unexpected start-up failure");
    expect(launcher.output()).not.toMatch(
      /^\[workspace 02\] (Caller|If role|Caller:|Action:|Resource:|Assignment:|Vault:)/m,
    );
  });

  it("--solve applies the step and the role, printing the az command; then the check passes", async () => {
    const solved = await exercise("02", "--solve", "--yes");
    expect(solved.code, solved.output).toBe(0);
    expect(solved.output).toContain(
      `$ npm run --silent az -- role assignment create --assignee ${WORKSPACE_SP} --role "Key Vault Secrets User" --scope ${VAULT}`,
    );
    const graded = await check("02");
    expect(graded.code, graded.output).toBe(0);
    expect(graded.output).toContain("✔ Your app signed in as its service principal keyless-workspace-sp");
    expect(graded.output).toMatch(/✔ It keeps the contract every step keeps: (\d+) of \1 checks over HTTP/);
    expect(graded.output).toMatch(/✔ Exercise 02 passes/);
  });
});

describe("exercise 03: managed identity", () => {
  it("the untouched problem does not start, and every word about it points to the managed identity", async () => {
    const created = await exercise("03");
    expect(created.code).toBe(0);
    expect(created.output).toContain(
      "! Your app does not start yet: it requires AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, which App Service does not set for an app that signs in with its managed identity.",
    );
    expect(created.output).not.toContain("Set it and start again");
    expect(launcher.output()).toMatch(/\[workspace 03\] did not start: it requires AZURE_TENANT_ID/);
    expect(launcher.output()).not.toMatch(/\[workspace 03\].*Set it and start again/);
    const graded = await check("03");
    expect(graded.code, graded.output).toBe(1);
    expect(graded.output).toMatch(/✖ src\/config\.ts:\d+ still needs a client secret \(AZURE_CLIENT_SECRET\)/);
    expect(graded.output).toContain(
      "✖ Your app did not start: it requires AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, which App Service does not set for an app that signs in with its managed identity.",
    );
  });

  it("a wrong solution, the client secret kept in a .env: told when the app signed in with it, and what to remove", async () => {
    edit("03-managed-identity", "src/config.ts", (text) =>
      text.replace(/^\s*AZURE_(TENANT_ID|CLIENT_ID|CLIENT_SECRET): .*\n/gm, ""),
    );
    // As lesson 03 says: step 02's three AZURE_* settings, read with az webapp config appsettings list, in a .env.
    const listed = JSON.parse(
      (
        await az(
          "webapp",
          "config",
          "appsettings",
          "list",
          "--name",
          "keyless-step-02",
          "--resource-group",
          "keyless-rg",
        )
      ).output,
    ) as { name: string; value: string }[];
    const three = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"];
    const dotenv = listed.filter((setting) => three.includes(setting.name));
    expect(dotenv.map((setting) => setting.name).sort()).toEqual([...three].sort());
    writeFileSync(
      join(appDir("03-managed-identity"), ".env"),
      dotenv.map((setting) => `${setting.name}=${setting.value}\n`).join(""),
    );
    const graded = await check("03");
    expect(graded.code, graded.output).toBe(1);
    // It works, so the sandbox saw how it signed in: never "network_error" and a docs link.
    expect(graded.output).toMatch(
      /✖ Your app signed in with a client secret at \d\d:\d\d:\d\d, as keyless-app-sp; step 03 wants its managed identity\./,
    );
    expect(graded.output).not.toContain("network_error");
    expect(graded.output).toContain("Remove AZURE_CLIENT_SECRET (and AZURE_CLIENT_ID, AZURE_TENANT_ID) from .env");
    expect(graded.output).toMatch(/✖ \.env:\d+ still needs a client secret/);
  });

  it("--solve removes the .env and grants the managed identity its role; then the check passes", async () => {
    const solved = await exercise("03", "--solve", "--yes");
    expect(solved.code, solved.output).toBe(0);
    expect(solved.output).toMatch(/removed +\.env/);
    // The learner's secret is never shown again, not even in the diff.
    expect(solved.output).not.toContain(
      TENANT.servicePrincipals.find((sp) => sp.displayName === "keyless-workspace-sp")?.secret ?? "?",
    );
    expect(solved.output).toContain(
      `$ npm run --silent az -- role assignment create --assignee ${await principalOf("keyless-workspace-03")} --role "Key Vault Secrets User" --scope ${VAULT}`,
    );
    const graded = await check("03");
    expect(graded.code, graded.output).toBe(0);
    expect(graded.output).toMatch(/✔ Your app signed in with its managed identity \(keyless-workspace-03\)/);
  });
});

describe("exercise 04: a queue message per code", () => {
  let identity = "";
  beforeAll(async () => {
    identity = await principalOf("keyless-workspace-04");
    expect(identity).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("the untouched problem does not start: its identity may not read the vault, and the hint names the exact grant", async () => {
    expect((await exercise("04")).code).toBe(0);
    const graded = await check("04");
    expect(graded.code, graded.output).toBe(1);
    expect(graded.output).toMatch(
      /✖ At \d\d:\d\d:\d\d Key Vault refused your app's identity \(keyless-workspace-04, its managed identity\) with 403 ForbiddenByRbac/,
    );
    expect(graded.output).toContain(
      `npm run --silent az -- role assignment create --assignee ${identity} --role "Key Vault Secrets User" --scope ${VAULT}`,
    );
  });

  it("a wrong solution, sending after answering: told when it answered and when the message was sent", async () => {
    const solution = join(REPO_ROOT, "steps/04-queue/src");
    for (const file of ["app.ts", "config.ts", "queue.ts", "server.ts"])
      writeFileSync(join(appDir("04-queue"), "src", file), readFileSync(join(solution, file), "utf8"));
    edit("04-queue", "src/app.ts", (text) =>
      text.replace(
        /(\s*)await codeQueue\.send\(issued\);([\s\S]*?res\.json\(issued\);)/,
        "$2$1await codeQueue.send(issued);",
      ),
    );
    for (const [role, scope] of [
      ["Key Vault Secrets User", VAULT],
      ["Storage Queue Data Message Sender", QUEUE],
    ] as const) {
      const granted = await az(
        "role",
        "assignment",
        "create",
        "--assignee",
        identity,
        "--role",
        role,
        "--scope",
        scope,
        "-o",
        "none",
      );
      expect(granted.code, granted.output).toBe(0);
    }
    const graded = await check("04");
    expect(graded.code, graded.output).toBe(1);
    expect(graded.output).toMatch(
      /✖ Your app answered \w{3}-\d+-\w{3} at [\d:.]+ and its queue message was sent at [\d:.]+: after the answer/,
    );
    expect(graded.output).toContain(
      "Queue first, answer second: await codeQueue.send(issued) before res.json(issued).",
    );
  });

  it("a wrong solution, a wider role: told which role reaches too far, and the commands that fix it", async () => {
    writeFileSync(
      join(appDir("04-queue"), "src/app.ts"),
      readFileSync(join(REPO_ROOT, "steps/04-queue/src/app.ts"), "utf8"),
    );
    expect(
      (
        await az(
          "role",
          "assignment",
          "delete",
          "--assignee",
          identity,
          "--role",
          "Storage Queue Data Message Sender",
          "--scope",
          QUEUE,
          "-o",
          "none",
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await az(
          "role",
          "assignment",
          "create",
          "--assignee",
          identity,
          "--role",
          "Storage Queue Data Contributor",
          "--scope",
          ACCOUNT,
          "-o",
          "none",
        )
      ).code,
    ).toBe(0);
    const graded = await check("04");
    expect(graded.code, graded.output).toBe(1);
    expect(graded.output).toContain(
      "✖ Your app's identity (keyless-workspace-04) has more access than the lesson gives it: Storage Queue Data Contributor on the storage account devstoreaccount1.",
    );
    expect(graded.output).toContain(
      `npm run --silent az -- role assignment delete --assignee ${identity} --role "Storage Queue Data Contributor" --scope ${ACCOUNT}`,
    );
    expect(graded.output).toContain(
      `npm run --silent az -- role assignment create --assignee ${identity} --role "Storage Queue Data Message Sender" --scope ${QUEUE}`,
    );
  });

  it("--solve puts the lesson's role in place of the wider one; the check passes and leaves the learner's own messages", async () => {
    const solved = await exercise("04", "--solve", "--yes");
    expect(solved.code, solved.output).toBe(0);
    expect(solved.output).toContain(
      `$ npm run --silent az -- role assignment delete --assignee ${identity} --role "Storage Queue Data Contributor" --scope ${ACCOUNT}`,
    );
    // The learner's own code, and its message in the queue: the check must leave it there.
    const mine = await fetch(`${endpoints().workspace["04"]}/api/v1/getcode`);
    expect(mine.status).toBe(200);
    const before = await queueCount();
    expect(before).toBeGreaterThanOrEqual(1);
    const graded = await check("04");
    expect(graded.code, graded.output).toBe(0);
    expect(graded.output).toMatch(/✔ One queue message per code, each sent before the answer/);
    expect(graded.output).toMatch(/one queue message for each of the \d+ codes they were issued/);
    expect(await queueCount()).toBe(before);
  });

  // Two checks in turn: their hang guard is the sum of theirs.
  it("a wrong solution, a refused send answered 500: the check refuses one send on purpose and wants the lesson's 503", {
    timeout: 180_000,
  }, async () => {
    const queue = join(appDir("04-queue"), "src", "queue.ts");
    const solved = readFileSync(queue, "utf8");
    edit("04-queue", "src/queue.ts", (text) => text.replace(/throw new HttpError\(503, \{[^}]*\}\);/, "throw error;"));
    const graded = await check("04");
    writeFileSync(queue, solved);
    expect(graded.code, graded.output).toBe(1);
    expect(graded.output).toContain(
      `✖ When Queue Storage refused your app's send (the check refused it on purpose), your app answered 500 "Something went wrong on our side.". The lesson answers 503, with no code and a hint that says why.`,
    );
    const again = await check("04");
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(
      /✔ When Queue Storage refused your app's send \(the check refused it on purpose\), your app answered 503 with no code, and a hint: The app's identity may not send messages to the queue/,
    );
  });

  it("npm run check -- 04 --reference checks step 04 itself, and leaves the queue as it found it", async () => {
    const before = await queueCount();
    const graded = await check("04", "--reference");
    expect(graded.code, graded.output).toBe(0);
    expect(graded.output).toMatch(/✔ Step 04 passes its checkpoint/);
    expect(await queueCount()).toBe(before);
  });
});

describe("after the exercises", () => {
  it("npm run progress: each lesson's state, kept in the workspace", async () => {
    const progress = await command("progress", []);
    expect(progress.code, progress.output).toBe(0);
    expect(progress.output).toMatch(/lesson 01 .*no exercise/);
    for (const step of ["02", "03", "04"])
      expect(progress.output).toMatch(new RegExp(`lesson ${step} .*passed ${WHEN} \\(after --solve\\)`));
    // Exercises 02 to 04 pass; 05, a deployment, is next.
    expect(progress.output).toContain("Next: npm run exercise -- 05 (ship it without a secret).");
  });

  it("--reset starts over: the problem's code again, and no role left for the identity", async () => {
    const reset = await exercise("03", "--reset", "--yes");
    expect(reset.code, reset.output).toBe(0);
    expect(reset.output).toContain(
      `$ npm run --silent az -- role assignment delete --assignee ${await principalOf("keyless-workspace-03")} --role "Key Vault Secrets User" --scope ${VAULT}`,
    );
    expect(readFileSync(join(appDir("03-managed-identity"), "src/config.ts"), "utf8")).toContain("🐨 Exercise 03");
    expect((await command("progress", [])).output).toMatch(/lesson 03 .*in progress/);
  });

  it("the audit log holds no secret: no client secret, no key, no identity header", async () => {
    const { control } = endpoints();
    const secrets = (
      (await (
        await fetch(`${control.url}/secrets`, { headers: { authorization: `Bearer ${control.token}` } })
      ).json()) as { secrets: string[] }
    ).secrets;
    const all = [...secrets, ...TENANT.servicePrincipals.map((sp) => sp.secret)];
    expect(all.length).toBeGreaterThan(3);
    const log = readFileSync(join(stateDir, "audit.jsonl"), "utf8");
    expect(log.split("\n").length).toBeGreaterThan(100);
    for (const secret of all) expect(log).not.toContain(secret);
  });
});

describe("the next day: npm start again, check everything, reset", () => {
  const progress = () => command("progress", []);
  const reset = () => command("reset", []);

  it("a restart keeps the learner's work: every app of theirs starts again", { timeout: 180_000 }, async () => {
    const solved = await exercise("03", "--solve", "--yes");
    expect(solved.code, solved.output).toBe(0);
    expect((await check("03")).code).toBe(0);
    await launcher.stop();
    launcher = await launchWorkshop(["04", "--no-dashboard", ...ports], env);
    const started = launcher.output();
    expect(started).not.toContain("did not start");
    expect(started).not.toMatch(/ForbiddenByRbac|Caller is not authorized/);
    for (const step of ["02", "03", "04"])
      expect(started).toMatch(new RegExp(`yours ${step} .* http://localhost:\\d+/api/v1/getcode`));
  });

  // Three apps graded in turn: their hang guard is the sum of theirs.
  it("after the restart, progress says exercises 02 to 04 pass (05 is next), and check with no step passes them all", {
    timeout: 240_000,
  }, async () => {
    const now = await progress();
    expect(now.code, now.output).toBe(0);
    for (const step of ["02", "03", "04"])
      expect(now.output).toMatch(
        new RegExp(`lesson ${step} .*passed ${WHEN}.*; nothing it rests on has changed since`),
      );
    expect(now.output).toContain("Next: npm run exercise -- 05 (ship it without a secret).");
    const all = await check();
    expect(all.code, all.output).toBe(0);
    expect(all.output.trimEnd().split("\n").at(-1)).toBe(
      "✔ All 3 pass: your app for exercise 02, your app for exercise 03, your app for exercise 04.",
    );
  });

  it("check with no step: each verdict is this run's, and its last line counts them; progress names what fails now", {
    timeout: 240_000,
  }, async () => {
    const removed = await az(
      "role",
      "assignment",
      "delete",
      "--assignee",
      WORKSPACE_SP,
      "--role",
      "Key Vault Secrets User",
      "--scope",
      VAULT,
      "-o",
      "none",
    );
    expect(removed.code, removed.output).toBe(0);
    const all = await check();
    expect(all.code, all.output).toBe(1);
    expect(all.output).toContain("✖ Exercise 02 is not done yet");
    expect(all.output).toMatch(/✔ Exercise 03 passes/);
    // Never the earlier passes' word against this run's verdict.
    expect(all.output).not.toMatch(/Every exercise passes|passed every exercise/);
    expect(all.output.trimEnd().split("\n").at(-1)).toBe("✖ 1 of 3 do not pass: your app for exercise 02.");
    const now = await progress();
    expect(now.output).toMatch(
      new RegExp(
        `lesson 02 .*passed ${WHEN}.*; fails now: the last check, ${WHEN}, did not pass; its identity \\(keyless-workspace-sp\\) lacks Key Vault Secrets User on the vault keyless-kv`,
      ),
    );
    expect(now.output).not.toContain("Every exercise passes.");
    expect(now.output).toContain(
      "Next: npm run exercise -- 05 (ship it without a secret); npm run check -- 02 grades it again.",
    );
  });

  it("npm run reset says what it discards; progress then says what fails now", async () => {
    const done = await reset();
    expect(done.code, done.output).toBe(0);
    expect(done.output).toContain("✔ The running sandbox is back to what infra/main.json provisions.");
    expect(done.output).toMatch(/\d+ × role assignment created: .*Key Vault Secrets User for keyless-workspace-0\d/);
    expect(done.output).toMatch(/\d+ × role assignment deleted: Key Vault Secrets User for keyless-workspace-sp/);
    expect(done.output).toContain(
      "Your apps for exercise 02, 03, 04 lost the roles you granted their identities: npm run progress says what passes now.",
    );
    const now = await progress();
    for (const [step, identity] of [
      ["03", "keyless-workspace-03"],
      ["04", "keyless-workspace-04"],
    ])
      expect(now.output).toMatch(
        new RegExp(
          `lesson ${step} .*passed ${WHEN}.*fails now: its identity \\(${identity}\\) lacks Key Vault Secrets User`,
        ),
      );
  });

  it("npm run reset with npm start stopped deletes the saved state and says what it held", async () => {
    const regranted = await exercise("03", "--solve", "--yes");
    expect(regranted.code, regranted.output).toBe(0);
    await launcher.stop();
    const done = await reset();
    expect(done.code, done.output).toBe(0);
    expect(done.output).toMatch(/✔ npm start is not running: its saved state \(.*state\.db\) is deleted/);
    expect(done.output).toMatch(/1 × role assignment created: Key Vault Secrets User for keyless-workspace-03 on …/);
    expect(existsSync(join(stateDir, "state.db"))).toBe(false);
    const now = await progress();
    expect(now.output).toMatch(new RegExp(`lesson 03 .*passed ${WHEN}.*; now: not known, npm start is not running`));
  });
});
