/**
 * What the other clients' tests need: where the Azure SDK for Python and the
 * real Azure CLI are on this machine (or why they are not), whether this
 * machine resolves `*.localhost` without Node's preload, a sandbox, and a clean
 * environment for each run: the app's settings and nothing else, so that what
 * works here works from the environment alone.
 *
 * Where a client is missing, its tests are skipped with the reason (a
 * learner's `npm test` passes without Python or az); CI sets
 * KEYLESS_REQUIRE_CLIENTS=1, and then a missing client fails instead.
 *
 * @module @keyless/clients
 */
import { execFile, execFileSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { describe } from "vitest";

/** CI's switch: a client that is not installed fails its tests instead of skipping them. */
export const REQUIRED = process.env["KEYLESS_REQUIRE_CLIENTS"] === "1";

export type Found<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly reason: string };

export interface Python {
  readonly path: string;
  /** The installed SDK packages' versions, by distribution name. */
  readonly versions: Readonly<Record<string, string>>;
}

export interface AzureCli {
  readonly path: string;
  readonly version: string;
  /** The command index `az version` made (commandIndex.json): see seedCommandIndex. */
  readonly commandIndex?: string;
}

/** The folders on PATH, without npm's `node_modules/.bin`: there `az` is the sandbox's own CLI, not Azure's. */
export function systemPath(): string[] {
  return (process.env["PATH"] ?? "")
    .split(delimiter)
    .filter((folder) => folder !== "" && !folder.split(/[\\/]/).includes("node_modules"));
}

export function onPath(name: string): string | undefined {
  const names = process.platform === "win32" ? [`${name}.cmd`, `${name}.exe`] : [name];
  for (const folder of systemPath()) {
    for (const candidate of names.map((file) => join(folder, file))) {
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const SDK_CHECK = `
import json
from importlib import metadata
import azure.identity, azure.keyvault.secrets, azure.storage.queue
names = ["azure-identity", "azure-keyvault-secrets", "azure-storage-queue", "msal"]
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
modules = {"azure-identity": azure.identity, "azure-keyvault-secrets": azure.keyvault.secrets, "azure-storage-queue": azure.storage.queue}
print(json.dumps({name: version(name) or getattr(modules.get(name), "VERSION", None) or getattr(modules.get(name), "__version__", "?") for name in names}))
`;

/** The Pythons findPython tries, in its order: KEYLESS_PYTHON, `python3` on PATH, the system's, `python`. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates = [env["KEYLESS_PYTHON"], onPath("python3"), "/usr/bin/python3", onPath("python")];
  return [...new Set(candidates.filter((path): path is string => path !== undefined && path !== ""))];
}

/**
 * A Python 3 that imports the Azure SDK for Python: KEYLESS_PYTHON, then `python3` on PATH, then
 * the system's (Debian's python3-azure installs there, beside a pyenv or venv `python3`).
 */
export function findPython(): Found<Python> {
  for (const path of pythonCandidates()) {
    try {
      const out = execFileSync(path, ["-c", SDK_CHECK], {
        encoding: "utf8",
        timeout: 60_000,
        stdio: ["ignore", "pipe", "ignore"],
      });
      return { ok: true, path, versions: JSON.parse(out.trim()) as Record<string, string> };
    } catch {
      // no Python there, or no SDK in it
    }
  }
  return {
    ok: false,
    reason:
      "no Python 3 with the Azure SDK for Python (azure-identity, azure-keyvault-secrets, azure-storage-queue): apt-get install python3-azure, or pip install azure-identity azure-keyvault-secrets azure-storage-queue",
  };
}

/** The real Azure CLI: KEYLESS_AZ, or `az` on PATH outside node_modules. */
export function findAzureCli(): Found<AzureCli> {
  const path = process.env["KEYLESS_AZ"] || onPath("az");
  if (!path)
    return {
      ok: false,
      reason:
        "the Azure CLI (az) is not installed: apt-get install azure-cli, or see https://learn.microsoft.com/cli/azure/install-azure-cli",
    };
  const config = mkdtempSync(join(tmpdir(), "keyless-az-version-"));
  try {
    const out = execFileSync(path, ["version", "--output", "json"], {
      encoding: "utf8",
      timeout: 120_000,
      env: azEnvironment(config),
      stdio: ["ignore", "pipe", "ignore"],
    });
    const version = (JSON.parse(out) as Record<string, unknown>)["azure-cli"];
    return typeof version === "string"
      ? { ok: true, path, version, ...readCommandIndex(config) }
      : { ok: false, reason: `${path} is not the Azure CLI (no azure-cli version)` };
  } catch (error) {
    return { ok: false, reason: `${path} did not run: ${(error as Error).message.split("\n")[0]}` };
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

function readCommandIndex(config: string): { commandIndex?: string } {
  try {
    return { commandIndex: readFileSync(join(config, COMMAND_INDEX), "utf8") };
  } catch {
    return {};
  }
}

/** Where az keeps, in its configuration folder, which of its modules holds each command. */
const COMMAND_INDEX = "commandIndex.json";

/**
 * Gives a fresh configuration folder the command index `az version` made: az builds it on its first run in a
 * folder, loading every command module (about 1.3 CPU-s), and the index is the same for every folder of one
 * installed az. az checks it against its version and rebuilds one that does not match. Nothing else of az's
 * configuration (no login, no cloud) is copied. Returns the folder.
 */
export function seedCommandIndex(cli: Found<AzureCli>, config: string): string {
  if (cli.ok && cli.commandIndex) writeFileSync(join(config, COMMAND_INDEX), cli.commandIndex);
  return config;
}

/**
 * Whether the operating system resolves a `*.localhost` name (Python and az have no preload):
 * systemd-resolved does; macOS, Windows and plain Debian need a hosts-file line.
 */
export function resolves(python: string, host: string): Found<object> {
  try {
    execFileSync(python, ["-c", `import socket; socket.getaddrinfo(${JSON.stringify(host)}, 443)`], {
      timeout: 30_000,
      stdio: "ignore",
    });
    return { ok: true };
  } catch {
    return {
      ok: false,
      reason: `this machine does not resolve ${host}: add the line "127.0.0.1 ${host}" to /etc/hosts (see docs/appendix-other-clients.md)`,
    };
  }
}

/**
 * A suite for a client that may not be installed: skipped with the reason in its name, or, in CI
 * (KEYLESS_REQUIRE_CLIENTS=1), run so that it fails with the reason.
 */
export function clientSuite(name: string, requirements: readonly Found<object>[], body: () => void): void {
  const missing = requirements.find((requirement): requirement is { ok: false; reason: string } => !requirement.ok);
  if (!missing) {
    describe(name, body);
    return;
  }
  if (!REQUIRED) {
    console.warn(`Skipped: ${name}: ${missing.reason}.`);
    describe.skip(`${name} (skipped: ${missing.reason})`, body);
    return;
  }
  describe(name, () => {
    throw new Error(`${missing.reason} (KEYLESS_REQUIRE_CLIENTS=1: CI installs every client)`);
  });
}

/** The environment `az` runs in: its own config folder (never the user's ~/.azure), no telemetry, no survey. */
export function azEnvironment(configDir: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...baseEnvironment(configDir),
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: "no",
    AZURE_CORE_SURVEY_MESSAGE: "no",
    AZURE_CORE_NO_COLOR: "true",
    ...extra,
  };
}

/** PATH without node_modules, a home of its own, and nothing else of this process's environment. */
export function baseEnvironment(home: string): Record<string, string> {
  const windows: Record<string, string> =
    process.platform === "win32" ? { SYSTEMROOT: process.env["SYSTEMROOT"] ?? "", USERPROFILE: home } : {};
  return { PATH: systemPath().join(delimiter), HOME: home, LANG: "C.UTF-8", ...windows };
}

/** An app's settings without what only Node reads (NODE_OPTIONS' preload, NODE_EXTRA_CA_CERTS): what a Python app gets. */
export function withoutNodeSettings(settings: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).filter(([name]) => !name.startsWith("NODE_")));
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a program with exactly `env`; never throws for a failing exit. */
export function run(
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
      },
    );
  });
}

/** The last line of a run's output, as JSON (the samples print one line). */
export function lastJson<T = Record<string, unknown>>(result: Run): T {
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`Expected one JSON line, got (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

export const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const PYTHON_SAMPLES = join(PACKAGE_ROOT, "python");
export const JS_SAMPLES = join(PACKAGE_ROOT, "js");

export interface TestSandbox {
  readonly sandbox: Sandbox;
  /** A scratch folder for homes and az's config; removed with the sandbox. */
  readonly scratch: string;
  folder(name: string): string;
  stop(): Promise<void>;
}

/** A sandbox on free ports, its state in a temporary folder. */
export async function startTestSandbox(): Promise<TestSandbox> {
  const scratch = mkdtempSync(join(tmpdir(), "keyless-clients-"));
  const sandbox = await startSandbox({ stateDir: join(scratch, "state") });
  return {
    sandbox,
    scratch,
    folder: (name) => mkdtempSync(join(scratch, `${name}-`)),
    async stop() {
      await sandbox.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** The `az` of a PATH: the real one first, for SDKs whose AzureCliCredential runs `az`. */
export const pathWith = (program: string) => [dirname(program), ...systemPath()].join(delimiter);
