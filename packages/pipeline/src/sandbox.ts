/**
 * The runner's link to the running sandbox: its endpoints (`endpoints.json`,
 * which `npm start` writes), the GitHub provider that signs each job's token,
 * and the tools a job finds on its PATH: the project's Node as `node` (what
 * actions/setup-node installs) and the sandbox's `az` (what a GitHub-hosted
 * runner has preinstalled), so that every `run:` step runs as written.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import tls from "node:tls";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SandboxEndpoints } from "@keyless/sandbox";
import { isAlive } from "@keyless/sandbox/processes";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The running sandbox, or undefined when none runs (no endpoints file, or its npm start is gone). */
export function runningSandbox(stateDir: string): SandboxEndpoints | undefined {
  let endpoints: SandboxEndpoints & { readonly pid?: number };
  try {
    endpoints = JSON.parse(readFileSync(join(stateDir, "endpoints.json"), "utf8")) as typeof endpoints;
  } catch {
    return undefined;
  }
  if (typeof endpoints.pid === "number" && !isAlive(endpoints.pid)) return undefined;
  if (!endpoints.github) return undefined;
  // The runner's own requests (the job's token) trust the sandbox's CA, as its az does.
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), readFileSync(endpoints.caFile, "utf8")]);
  return endpoints;
}

export const SANDBOX_NOT_RUNNING =
  "The sandbox is not running: start it with npm start in another terminal, then run the pipeline again.";

/** What GitHub's Actions service gives a job that may ask for its OIDC token. */
export interface JobTokenGrant {
  readonly planId: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL */
  readonly requestUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN */
  readonly requestToken: string;
}

/** Registers a job with the sandbox's GitHub provider: the facts its token will state. */
export async function registerJob(endpoints: SandboxEndpoints, run: Record<string, unknown>): Promise<JobTokenGrant> {
  const { runner } = endpoints.github;
  const response = await fetch(`${runner.url}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-keyless-runner-key": runner.key },
    body: JSON.stringify(run),
  }).catch(() => {
    throw new Error(SANDBOX_NOT_RUNNING);
  });
  const body = (await response.json()) as JobTokenGrant & {
    message?: string;
    errors?: { field: string; message: string }[];
  };
  if (!response.ok)
    throw new Error(
      `GitHub's provider refused the job: ${body.message ?? response.status}${(body.errors ?? []).map((error) => ` (${error.field}: ${error.message})`).join("")}`,
    );
  return body;
}

/** The job is over: its request token stops working. */
export async function endJob(endpoints: SandboxEndpoints, grant: JobTokenGrant): Promise<void> {
  const { runner } = endpoints.github;
  await fetch(`${runner.url}/jobs/${grant.planId}`, {
    method: "DELETE",
    headers: { "x-keyless-runner-key": runner.key },
  }).catch(() => undefined);
}

const SANDBOX_SRC = dirname(fileURLToPath(import.meta.resolve("@keyless/sandbox")));
const COMPILE_CACHE = import.meta.resolve("@keyless/sandbox/compile-cache");
export const DNS_PRELOAD = fileURLToPath(import.meta.resolve("@keyless/sandbox/dns-preload"));

/** A folder holding the sandbox's `az`, as a GitHub-hosted runner has the Azure CLI on its PATH. */
export function azTool(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const az = join(dir, "az");
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  writeFileSync(
    az,
    `#!/bin/sh\n# The sandbox's Azure CLI, for this job.\nexec ${quote(process.execPath)} --import ${quote(COMPILE_CACHE)} ${quote(join(SANDBOX_SRC, "az", "main.ts"))} "$@"\n`,
  );
  chmodSync(az, 0o755);
  return dir;
}

/** A folder holding the project's Node as `node`: what actions/setup-node puts first on PATH. */
export function nodeTool(dir: string): string {
  mkdirSync(dir, { recursive: true });
  // A second setup-node step in the job finds it there already.
  if (!existsSync(join(dir, "node"))) symlinkSync(process.execPath, join(dir, "node"));
  return dir;
}
