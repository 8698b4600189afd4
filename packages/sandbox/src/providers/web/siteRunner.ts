/**
 * Runs the code deployed to a site, as App Service's Node stack runs it: the
 * package unpacked into its own folder, started with the site's settings and
 * identity (what the platform gives it), restarted at each deployment. A
 * package that carries its dependencies (node_modules, as a pipeline builds
 * it) runs with them; one that carries its code only is lent the workshop's
 * installed ones, as Oryx would have installed them on Azure.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { type RunningStep, type StartStepOptions, startStep } from "@keyless/app-process";
import { unzipSync } from "fflate";

/** Where the workshop's dependencies are installed: what a deployed app imports. */
const NODE_MODULES = fileURLToPath(new URL("../../../../../node_modules", import.meta.url));
/** App Service's zip deploy takes packages up to 2 GB; a workshop app is a few kilobytes. */
export const MAX_PACKAGE_BYTES = 64 * 1024 * 1024;

/** Why a package cannot run, in words for the deployment log. */
export class PackageError extends Error {
  override name = "PackageError";
}

/** The files of a zip, checked: no path that climbs out of the folder, and the app's entry point there. */
export function unpack(zip: Uint8Array): Map<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch {
    throw new PackageError("The package is not a zip file.");
  }
  // fflate does not check the entries' CRC-32: a package damaged on its way is refused as the zip it no longer is.
  const checksums = checksumsOf(zip);
  if (Object.entries(entries).some(([name, content]) => checksums.has(name) && checksums.get(name) !== crc32(content)))
    throw new PackageError("The package is not a zip file: an entry's CRC-32 does not match its content.");
  const files = new Map<string, Uint8Array>();
  for (const [name, content] of Object.entries(entries)) {
    if (name.endsWith("/")) continue;
    const path = normalize(name);
    if (isAbsolute(path) || path.split(sep).includes(".."))
      throw new PackageError(`The package holds a path the site cannot take: ${name.slice(0, 200)}.`);
    files.set(path, content);
  }
  const start = startScriptOf(files.get("package.json"));
  if (start !== "node src/server.ts" || !files.has(join("src", "server.ts")))
    throw new PackageError(
      "The package is not a Node app App Service can start: it needs a package.json whose start script is `node src/server.ts`, and src/server.ts (zip the step's folder, not the folder around it).",
    );
  return files;
}

/** The start script a package.json names: undefined when it is not JSON, or names none. */
function startScriptOf(manifest: Uint8Array | undefined): unknown {
  if (!manifest) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(manifest).toString("utf8")) as unknown;
    const scripts =
      typeof parsed === "object" && parsed !== null ? (parsed as { scripts?: unknown }).scripts : undefined;
    return typeof scripts === "object" && scripts !== null ? (scripts as { start?: unknown }).start : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Each entry's CRC-32, from the zip's central directory (PKWARE's APPNOTE 4.3.12): the end of central directory
 * record (signature 0x06054b50, within the last 64 KB) gives where the directory starts and how many entries it
 * holds; each entry (0x02014b50) its CRC-32 at offset 16 and its name at 46. fflate read the same directory to unzip.
 */
function checksumsOf(zip: Uint8Array): Map<string, number> {
  const bytes = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const checksums = new Map<string, number>();
  let end = bytes.length - 22;
  while (end >= Math.max(0, bytes.length - 22 - 0xffff) && bytes.readUInt32LE(end) !== 0x06054b50) end -= 1;
  if (end < 0 || end < bytes.length - 22 - 0xffff) return checksums;
  let at = bytes.readUInt32LE(end + 16);
  for (let entry = bytes.readUInt16LE(end + 10); entry > 0 && at + 46 <= bytes.length; entry -= 1) {
    if (bytes.readUInt32LE(at) !== 0x02014b50) break;
    const nameLength = bytes.readUInt16LE(at + 28);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    checksums.set(name, bytes.readUInt32LE(at + 16));
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return checksums;
}

export interface SiteRunnerOptions {
  /** Where deployed packages are unpacked: `<stateDir>/sites`. */
  readonly root: string;
  /** The environment the platform gives a site: its settings, its identity, the sandbox's trust. */
  readonly environmentOf: (site: string) => Record<string, string>;
  /** A sentence for whoever runs the sandbox: a site started or failed. */
  readonly onEvent: (text: string) => void;
  /** How an app is started: startStep, unless a test passes its own to see each app it starts. */
  readonly startApp?: (options: StartStepOptions) => Promise<RunningStep>;
}

export class SiteRunner {
  readonly #options: SiteRunnerOptions;
  readonly #running = new Map<string, { deployment: string; app: RunningStep; port: number }>();
  /**
   * Starts not yet answered, by site. A stop (a reset, the sandbox stopping, a newer deployment) can come while an
   * app starts, and must stop that app too: else it would be kept once started, with nothing left to stop it.
   */
  readonly #starting = new Map<string, Promise<RunningStep | undefined>>();

  constructor(options: SiteRunnerOptions) {
    this.#options = options;
  }

  /** The port a site's deployed code listens on, when it runs. */
  portOf(site: string): number | undefined {
    return this.#running.get(site.toLowerCase())?.port;
  }

  /**
   * Starts a deployment's package as the site's code, in place of what it ran before. Resolves once it runs,
   * or once a stop that came while it started has stopped it.
   */
  async run(site: string, deployment: string, zip: Uint8Array): Promise<void> {
    const key = site.toLowerCase();
    const files = unpack(zip);
    const folder = join(this.#options.root, key, deployment);
    rmSync(folder, { recursive: true, force: true });
    for (const [path, content] of files) {
      const target = join(folder, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    // A package without its dependencies gets the workshop's (a junction needs no administrator on Windows).
    if (![...files.keys()].some((path) => path.startsWith(`node_modules${sep}`)))
      symlinkSync(NODE_MODULES, join(folder, "node_modules"), "junction");
    await this.stop(site);
    const starting = (this.#options.startApp ?? startStep)({ dir: folder, env: this.#options.environmentOf(site) });
    const tracked = starting.catch(() => undefined);
    this.#starting.set(key, tracked);
    let app: RunningStep;
    try {
      app = await starting;
    } catch (error) {
      if (this.#starting.get(key) === tracked) this.#starting.delete(key);
      throw error;
    }
    // A stop took it while it started: that stop stops it (through `tracked`), and nothing of it is kept.
    if (this.#starting.get(key) !== tracked) return;
    this.#starting.delete(key);
    this.#running.set(key, { deployment, app, port: Number(new URL(app.url).port) });
    this.#options.onEvent(`${site} runs its deployed code (deployment ${deployment.slice(0, 8)}).`);
    // Older deployments' folders go: the site runs only the latest.
    const siteFolder = join(this.#options.root, key);
    for (const old of existsSync(siteFolder) ? readdirSync(siteFolder) : [])
      if (old !== deployment) rmSync(join(siteFolder, old), { recursive: true, force: true });
  }

  async stop(site: string): Promise<void> {
    const key = site.toLowerCase();
    const running = this.#running.get(key);
    const starting = this.#starting.get(key);
    this.#running.delete(key);
    this.#starting.delete(key);
    await Promise.all([running?.app.stop(), starting?.then((app) => app?.stop())]);
  }

  async stopAll(): Promise<void> {
    const sites = new Set([...this.#running.keys(), ...this.#starting.keys()]);
    await Promise.all([...sites].map((site) => this.stop(site)));
  }

  /** What a site's deployed code printed (App Service's log stream). */
  logOf(site: string): string {
    return this.#running.get(site.toLowerCase())?.app.output() ?? "";
  }
}
