/**
 * A step that cannot start is said once: at `npm start` in the ready table,
 * at `npm run restart` in the line the restart prints, never also as the
 * step's own "Did not start" echoed above it. Two workshops in turn on one
 * state folder and the same ports, as two `npm start`s on a learner's machine:
 * the sandbox keeps what the first one changed (step 02's role, deleted).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTenant } from "@keyless/sandbox";
import { azAnswer } from "@keyless/sandbox/az";
import { afterAll, describe, expect, it } from "vitest";
import { freePortArgs } from "@keyless/app-process";
import { learnerTerminal } from "@keyless/workshop";

const LAUNCHER_DIR = fileURLToPath(new URL("..", import.meta.url));
const SANDBOX_DIR = fileURLToPath(new URL("../../sandbox", import.meta.url));
/** Step 02's service principal, named as az finds one: by its appId (az looks no display name up). */
const STEP_02_SP = loadTenant().servicePrincipals.find((sp) => sp.displayName === "keyless-app-sp")?.appId ?? "";
const stateDir = mkdtempSync(join(tmpdir(), "keyless-restarts-"));
const env = learnerTerminal({ KEYLESS_SANDBOX_DIR: stateDir, NO_COLOR: "1", FORCE_COLOR: "0" });
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** A workshop running step 02, until stopped; its output so far. */
async function launch(ports: readonly string[]) {
  const child = spawn(process.execPath, ["src/start.ts", "--free-ports", ...ports, "--no-dashboard", "02"], {
    cwd: LAUNCHER_DIR,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ctrl-C stops everything")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return {
    output: () => output,
    async stop() {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The sandbox's az, answered in this process (its answer is what matters here, not a process of its own). */
async function az(...args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await azAnswer(args, { env, cwd: SANDBOX_DIR });
  return { code, output: stdout + stderr };
}

/** How many lines say why step 02 could not read its key. */
const sayings = (output: string) => output.split("\n").filter((line) => /may not read secrets/.test(line)).length;

describe("a step that cannot start is said once", () => {
  it("by npm run restart, and by the next npm start's ready table", async () => {
    const ports = await freePortArgs(["thirdParty", "vault", "login", "queue", "identity", "management"]);
    const first = await launch(ports);
    try {
      const { control } = JSON.parse(readFileSync(join(stateDir, "endpoints.json"), "utf8")) as {
        control: { url: string; token: string };
      };
      const vault = (await az("keyvault", "show", "--name", "keyless-kv", "--query", "id", "-o", "tsv")).output.trim();
      const deleted = await az(
        "role",
        "assignment",
        "delete",
        "--assignee",
        STEP_02_SP,
        "--role",
        "Key Vault Secrets User",
        "--scope",
        vault,
      );
      expect(deleted.code, deleted.output).toBe(0);
      const restarted = (await (
        await fetch(`${control.url}/steps/02/restart`, {
          method: "POST",
          headers: { authorization: `Bearer ${control.token}` },
        })
      ).json()) as { error?: string };
      expect(restarted.error).toMatch(/may not read secrets in this vault/);
      expect(sayings(first.output()), first.output()).toBe(1);
    } finally {
      await first.stop();
    }
    // The role stays deleted (the sandbox keeps its state): the next start cannot start step 02 either.
    const second = await launch(ports);
    await second.stop();
    expect(second.output()).toMatch(/step 02 .*✖ Did not start: The app's identity may not read secrets/);
    expect(sayings(second.output()), second.output()).toBe(1);
  });
});
