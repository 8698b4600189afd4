/**
 * Start-up figures: `npm start` as a learner runs it (time to its ready table,
 * memory of its whole process tree), the sandbox alone with and without
 * Queue Storage, and how long a step that cannot start takes to say why.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePortArgs, siteOfStep, startStepExpectingFailure, stopTree } from "@keyless/app-process";
import { startSandbox } from "@keyless/sandbox";
import { LAUNCHER, REPO_ROOT } from "../layout/repo.ts";
import { stepDir } from "../layout/stepFolders.ts";
import { learnerTerminal } from "../terminal/learnerTerminal.ts";
import { treeRss } from "./resources.ts";

const WORKSHOP_DIR = fileURLToPath(new URL("../..", import.meta.url));

/**
 * This process's environment as a learner's terminal has it: without what npm put there for
 * `npm run bench` (the launcher would take npm's process for its own and watch it), and with a
 * workspace of its own, empty: the bench measures the four steps, never the learner's own apps
 * (which npm start would start too, and which would not start in the bench's new sandbox).
 */
function learnersEnvironment(stateDir: string): NodeJS.ProcessEnv {
  return learnerTerminal({
    KEYLESS_SANDBOX_DIR: stateDir,
    KEYLESS_WORKSPACE_DIR: join(stateDir, "no-workspace"),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  });
}

/**
 * The sandbox keeps its state between starts, and with it the URLs it provisioned, ports and all, as
 * npm start's fixed ports allow: the bench's npm starts share one state folder, so they share the
 * sandbox's ports too (chosen free once), as a learner's starts do.
 */
const sandboxPorts = new Map<string, Promise<string[]>>();
function sandboxPortsOf(stateDir: string): Promise<string[]> {
  let ports = sandboxPorts.get(stateDir);
  if (!ports) {
    ports = freePortArgs(["thirdParty", "vault", "login", "queue", "identity", "management"]);
    sandboxPorts.set(stateDir, ports);
  }
  return ports;
}

/** A state folder of its own inside the bench's, for a sandbox that must not meet another's kept state. */
export function ownStateDir(stateDir: string, name: string): string {
  return mkdtempSync(join(stateDir, `${name}-`));
}

export interface WorkshopStart {
  /** From spawning the launcher to its ready table. */
  readonly readyMs: number;
  /** What the launcher itself prints ("ready in 1.2 s"): from its first line of code, without Node's own start. */
  readonly ownReadyMs: number;
  /** Resident memory of the launcher and every process under it (the sandbox runs in it; the steps). */
  readonly rss: { readonly mb: number; readonly processes: number } | undefined;
}

/** Starts npm start's launcher (all four steps, on free ports, its state in `stateDir`; with the live view unless told otherwise), measures it and stops it. */
export async function startWorkshopOnce(
  stateDir: string,
  options: { readonly liveView?: boolean } = {},
): Promise<WorkshopStart> {
  const started = performance.now();
  // As `npm start` runs it, from the repository's root: with the compile cache on (the repository's
  // .sandbox/compile-cache, warm after the first start).
  const args = [
    "--import",
    "@keyless/sandbox/compile-cache",
    LAUNCHER,
    "--free-ports",
    ...(await sandboxPortsOf(stateDir)),
    ...(options.liveView === false ? ["--no-dashboard"] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: learnersEnvironment(stateDir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit");
  let text = "";
  child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("keyless is running")) resolve();
      });
      void exited.then(([code]) =>
        reject(new Error(`npm start exited with ${code} before it was ready: ${text.trim().split("\n").at(-1)}`)),
      );
    });
    const readyMs = performance.now() - started;
    const ownReadyMs = Number(/ready in ([\d.]+) s/.exec(text)?.[1]) * 1000;
    if (/did not start/.test(text))
      throw new Error(`npm start is running, but a step did not start: ${/keyless is running[^\n]*/.exec(text)?.[0]}`);
    // Let start-up's garbage and the steps' first log lines settle before reading memory.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { readyMs, ownReadyMs, rss: await treeRss(child.pid) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      // As Ctrl-C stops it (on Windows, with everything it started, at once).
      stopTree(child, "SIGINT");
      await exited;
    }
  }
}

export interface SandboxStart {
  readonly startMs: number;
  /** The sandbox's process. */
  readonly ownMb: number;
}

/** One sandbox start in a process of its own (sandboxStart.ts): with Queue Storage (the default), or startSandbox({ queue: false }). */
export async function startSandboxOnce(stateDir: string, queue: boolean): Promise<SandboxStart> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [fileURLToPath(new URL("./sandboxStart.ts", import.meta.url)), stateDir, queue ? "queue" : "no-queue"],
    {
      cwd: WORKSHOP_DIR,
      env: learnersEnvironment(stateDir),
    },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as SandboxStart;
}

export interface FailedStart {
  readonly step: string;
  readonly cause: string;
  readonly exitCode: number | null;
  readonly seconds: number;
}

/** Each start-up failure the lessons provoke: how long until the step exits with its one line. */
export async function timeStartupFailures(stateDir: string): Promise<FailedStart[]> {
  // Its own state: it takes roles away and gives them back, and its ports are its own.
  const sandbox = await startSandbox({ stateDir: ownStateDir(stateDir, "failures"), queue: false, onEvent: () => {} });
  const withoutRole = (step: "02" | "03") => {
    // Who the step's app signs in as: the service principal its settings name, or its own managed identity.
    const site = sandbox.sites().find((candidate) => candidate.name === siteOfStep(sandbox.sites(), step));
    const clientId = site ? sandbox.siteEnvironment(site.name)["AZURE_CLIENT_ID"] : undefined;
    const principalId =
      (site?.identity === "service-principal"
        ? sandbox.directory.servicePrincipals.find((sp) => sp.appId === clientId)?.objectId
        : site && sandbox.directory.apps.get(site.name)?.objectId) ?? "";
    return {
      before: () =>
        void sandbox.rbac.remove({ principalId, role: "Key Vault Secrets User", scope: sandbox.scopes.vault }),
      after: () =>
        void sandbox.rbac.add(
          { principalId, role: "Key Vault Secrets User", scope: sandbox.scopes.vault },
          { immediately: true },
        ),
    };
  };
  const cases: {
    step: "02" | "03";
    cause: string;
    env?: Record<string, string>;
    before?: () => void;
    after?: () => void;
  }[] = [
    { step: "02", cause: "wrong client secret", env: { AZURE_CLIENT_SECRET: "not-the-secret" } },
    { step: "02", cause: "missing secret", env: { THIRD_PARTY_API_SECRET_NAME: "no-such-secret" } },
    { step: "02", cause: "vault unreachable", env: { KEY_VAULT_URL: "https://keyless-kv.vault.localhost:1" } },
    { step: "02", cause: "missing role", ...withoutRole("02") },
    { step: "03", cause: "identity endpoint unreachable", env: { IDENTITY_ENDPOINT: "http://127.0.0.1:1/msi/token" } },
    { step: "03", cause: "missing role", ...withoutRole("03") },
  ];
  const results: FailedStart[] = [];
  try {
    for (const failure of cases) {
      failure.before?.();
      try {
        const env = {
          ...sandbox.siteEnvironment(siteOfStep(sandbox.sites(), failure.step)),
          NODE_COMPILE_CACHE: join(stateDir, "compile-cache"),
          ...failure.env,
        };
        const result = await startStepExpectingFailure({ dir: stepDir(failure.step), env, timeoutMs: 30_000 });
        results.push({
          step: failure.step,
          cause: failure.cause,
          exitCode: result.exitCode,
          seconds: result.elapsedMs / 1000,
        });
      } finally {
        failure.after?.();
      }
    }
  } finally {
    await sandbox.stop();
  }
  return results;
}
