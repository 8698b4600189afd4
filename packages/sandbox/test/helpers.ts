/** What every sandbox test needs: a started sandbox on free ports, trusted in-process, and the `az` CLI pointed at it. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { azAnswer } from "../src/az/run.ts";
import { startSandbox, type Sandbox, type SandboxOptions } from "../src/index.ts";
import { COMPILE_CACHE } from "./compileCache.ts";
// The vault's URL is https://keyless-kv.vault.localhost:<port>, as in the steps.
import "../src/dnsPreload.mjs";

export interface TestSandbox {
  readonly sandbox: Sandbox;
  readonly stateDir: string;
  stop(): Promise<void>;
}

/** Starts a sandbox in a temporary state folder and writes endpoints.json there, as `npm start` does. */
export async function startTestSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const stateDir = mkdtempSync(join(tmpdir(), "keyless-sandbox-test-"));
  const sandbox = await startSandbox({ stateDir, ...options });
  writeFileSync(join(stateDir, "endpoints.json"), JSON.stringify(sandbox.endpoints), { mode: 0o600 });
  // In this process only: what NODE_EXTRA_CA_CERTS does for a step.
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), sandbox.certificates.caPem]);
  return {
    sandbox,
    stateDir,
    async stop() {
      await sandbox.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the sandbox's `az` in this process, as `az <args>` would answer in a terminal-less shell whose only
 * settings are the sandbox's folder and `env`: its exit code, and what it wrote to stdout and stderr.
 */
export async function az(stateDir: string, ...args: string[]): Promise<Run> {
  return azWith({ KEYLESS_SANDBOX_DIR: stateDir }, ...args);
}

/** The same, with this environment (AZURE_CONFIG_DIR, KEYLESS_AZ_SYNTAX_ONLY…) instead. */
export function azWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return azAnswer(args, { env, cwd: process.cwd() });
}

const AZ = fileURLToPath(new URL("../src/az/main.ts", import.meta.url));

/** Runs the sandbox's `az` as a separate process, as a learner would: for the tests whose point is the process. */
export function azProcess(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AZ, ...args],
      { env: { PATH: process.env["PATH"] ?? "", NODE_COMPILE_CACHE: COMPILE_CACHE, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs the sandbox's `az` and reads its JSON output; a non-zero exit fails with what az said. */
export async function azJson(stateDir: string, ...args: string[]): Promise<unknown> {
  const result = await az(stateDir, ...args);
  if (result.code !== 0) throw new Error(`az ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

const GET_SECRET = fileURLToPath(new URL("./fixtures/getSecret.ts", import.meta.url));

/** Runs the steps' own code path (DefaultAzureCredential + SecretClient) in a process whose only input is `env`. */
export function getSecretInChild(
  env: Record<string, string>,
): Promise<{ ok: boolean; value?: string; status?: number; code?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [GET_SECRET],
      { env: { PATH: process.env["PATH"] ?? "", NODE_COMPILE_CACHE: COMPILE_CACHE, ...env } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}"));
      },
    );
  });
}
