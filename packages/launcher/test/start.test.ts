/**
 * `npm start`'s launcher as a learner meets it: what it prints when it is
 * ready, its help, and the options it refuses. It runs on free ports in a
 * temporary folder (KEYLESS_SANDBOX_DIR), so it never meets a learner's own.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopTree } from "@keyless/app-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const LAUNCHER_DIR = fileURLToPath(new URL("..", import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), "keyless-start-"));
const env = { ...process.env, KEYLESS_SANDBOX_DIR: stateDir, NO_COLOR: "1", FORCE_COLOR: "0" };

interface Run {
  readonly code: number;
  readonly output: string;
}

/** `npm start -- <args>`, to its end. */
function start(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["src/start.ts", ...args], { cwd: LAUNCHER_DIR, env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe("npm start -- 01 3 --host 3=aks", () => {
  let launcher: ChildProcess;
  let output = "";

  beforeAll(async () => {
    launcher = spawn(process.execPath, ["src/start.ts", "--free-ports", "01", "3", "--host", "3=aks"], {
      cwd: LAUNCHER_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    launcher.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      launcher.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ctrl-C stops everything")) resolve();
      });
      launcher.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
  });

  afterAll(async () => {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      const exited = once(launcher, "exit");
      stopTree(launcher);
      await exited;
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("prints a ready table with the time it took, the steps asked for and where they run", () => {
    expect(output).toMatch(/keyless is running \(ready in [\d.]+ s\)/);
    expect(output).toMatch(/step 01 +keys in code +http:\/\/localhost:\d+\/api\/v1\/getcode/);
    expect(output).toMatch(
      /step 03 +Key Vault \+ managed identity, on Azure Kubernetes Service \(workload identity\) +http:\/\/localhost:\d+\/api\/v1\/getcode/,
    );
    expect(output).toMatch(/sandbox +AKS OIDC issuer +https:\/\/localhost:\d+\/[0-9a-f-]{36}\/[0-9a-f-]{36}\//);
    expect(output).not.toMatch(/step 02|step 04/);
  });
});

describe("npm start's options", () => {
  it("--help explains itself", async () => {
    const run = await start("--help");
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/^Usage: npm start --/m);
    // Deleting and recovering a Key Vault secret take a few seconds, as on Azure (lesson 02, Try it 5).
    expect(run.output).toMatch(/--vault-delay <seconds>[\s\S]*?\(default: "3"\)/);
  });

  it("--vault-delay: seconds from 0 to 60", async () => {
    const run = await start("--vault-delay", "soon");
    expect(run.code).toBe(2);
    expect(run.output).toContain("--vault-delay takes a number of seconds, from 0 to 60.");
  });

  it("--host: only a managed identity step, only a known host", async () => {
    const step = await start("--host", "02=aks");
    expect(step.code).not.toBe(0);
    expect(step.output).toContain("step 02 has no managed identity to get from a host: only steps 03 and 04 do.");
    const host = await start("--host", "03=heroku");
    expect(host.code).not.toBe(0);
    expect(host.output).toContain("the host one of app-service, functions, container-apps, vm, aks");
  });
});
