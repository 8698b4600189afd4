import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import type { StepNumber } from "@keyless/app-process";
import { sandboxStateDir } from "@keyless/sandbox/state-dir";

/** The repository's root folder. */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * Node's arguments that preload the compile cache (@keyless/sandbox/compile-cache), as each of our npm scripts
 * starts Node: a command started with them (the sandbox's az, say) reuses the code an earlier run compiled, and
 * starts in about two thirds of the time.
 */
export const WITH_COMPILE_CACHE = ["--import", import.meta.resolve("@keyless/sandbox/compile-cache")] as const;

/** npm start's launcher (packages/launcher): the file `npm start` runs, from the repository's root. */
export const LAUNCHER = join(REPO_ROOT, "packages", "launcher", "src", "start.ts");

/**
 * Where `npm start` writes what it serves, for the other commands: `.sandbox/endpoints.json`, or
 * the folder in KEYLESS_SANDBOX_DIR (tests run a second workshop there, as the `az` CLI allows too).
 * Read at each call, as are the three below, not when this module loads: the tests' files run one after another
 * in one module registry, and each sets its own folders before it runs (packages/test-config's isolate.ts), after
 * an earlier file loaded this module. A command's environment does not change, so a run reads one value throughout.
 */
export function endpointsFile(): string {
  return join(sandboxStateDir(process.env), "endpoints.json");
}

/**
 * Node's compile cache for every process `npm start` runs: the one NODE_COMPILE_CACHE names (Node's own variable;
 * the tests set it), else the repository's `.sandbox/compile-cache`, where `@keyless/sandbox/compile-cache` keeps
 * the commands' own, whichever folder a run keeps its state in. Node keys each entry by its file's content and its
 * own version, so every run can share it: a test's workshop, in a folder of its own, starts its apps warm instead
 * of compiling the SDKs again. Read at each call, as `endpointsFile` is.
 */
export function compileCacheDir(): string {
  return process.env["NODE_COMPILE_CACHE"] || join(REPO_ROOT, ".sandbox", "compile-cache");
}

/**
 * Where `npm run exercise` puts the learner's own apps (`workspace/03-managed-identity`), git-ignored, or
 * the folder in KEYLESS_WORKSPACE_DIR (tests play a learner there, never in the real workspace).
 * Read at each call, as `endpointsFile` is: each test file plays its own learner.
 */
export function workspaceDir(): string {
  return resolve(process.env["KEYLESS_WORKSPACE_DIR"] ?? join(REPO_ROOT, "workspace"));
}

/**
 * How long `npm start`'s steps wait for the third party (THIRD_PARTY_API_TIMEOUT_MS): 5 s, or
 * KEYLESS_STEP_TIMEOUT_MS (tests shorten it: a checkpoint's "slower than the timeout" check waits that long).
 * Read at each call, as `endpointsFile` is.
 */
export function stepTimeoutMs(): number {
  return Number(process.env["KEYLESS_STEP_TIMEOUT_MS"]) || 5000;
}

/** The port `npm start` gives the learner's own app for an exercise: 3103 for exercise 03. */
export function workspacePort(step: string): number {
  return 3100 + Number(step);
}

/** The port `npm start` gives each step: 3001 for step 01, and so on. */
export function stepPort(step: StepNumber): number {
  return 3000 + Number(step);
}

/** The ports `npm start` gives the sandbox's services (tests use free ports instead). */
export const SANDBOX_PORTS = {
  thirdParty: 7071, // Azure Functions' local default
  vault: 8443,
  login: 8444,
  queue: 8445,
  identity: 8446,
  management: 8447, // Resource Manager, for az
  imds: 8449, // a VM's IMDS (169.254.169.254 on Azure), for --host 0N=vm
  cluster: 8450, // the AKS cluster's OIDC issuer, for --host 0N=aks
  github: 8451, // GitHub Actions' OIDC provider: its URL is the issuer a federated credential names, so it must not move
  graph: 8452, // Microsoft Graph (az ad app, az ad sp)
  web: 8453, // App Service's front ends: https://<site>.azurewebsites.localhost:8453, and each site's deployment service
  containerApps: 42356, // Container Apps' identity endpoint, on its Azure port
} as const;

/** The live view's port (npm start's dashboard): http://localhost:3000. */
export const DASHBOARD_PORT = 3000;
