/**
 * Azurite, Microsoft's Azure Storage emulator, runs the queues themselves: the
 * real Queue Storage REST API. It checks a bearer token's shape (issuer,
 * audience, lifetime) but not its signature and no roles, so the gateway in
 * front of it does that. It listens on loopback only, on a port of its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const AZURITE_QUEUE = createRequire(import.meta.url).resolve("azurite/dist/src/queue/main.js");
/** Stubs Azurite's telemetry SDK and ends Azurite with the sandbox: see the file. */
const PRELOAD = new URL("./azuritePreload.ts", import.meta.url).href;

export interface AzuriteOptions {
  readonly certPem: string;
  readonly keyPem: string;
  /** Ask until Azurite answers, or fail after this long. */
  readonly readyTimeoutMs?: number;
  /** Where Node keeps Azurite's compiled code between runs (NODE_COMPILE_CACHE): it starts faster the second time. */
  readonly compileCacheDir?: string;
}

/** Azurite says where it listens once it does: the readiness signal, and the port when we asked for any. */
const LISTENING = /successfully listens on https?:\/\/[^:]+:(\d+)/;

export class Azurite {
  readonly #options: AzuriteOptions;
  readonly #certDir: string;
  readonly #dataDir: string;
  #child: ChildProcess | undefined;
  #port = 0;

  constructor(options: AzuriteOptions) {
    this.#options = options;
    // Azurite reads its certificate from files.
    this.#certDir = mkdtempSync(join(tmpdir(), "keyless-azurite-"));
    this.#dataDir = join(this.#certDir, "data");
    writeFileSync(join(this.#certDir, "cert.pem"), options.certPem);
    writeFileSync(join(this.#certDir, "key.pem"), options.keyPem, { mode: 0o600 });
    mkdirSync(this.#dataDir);
  }

  get port(): number {
    return this.#port;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const child = spawn(
      process.execPath,
      [
        "--import", PRELOAD,
        AZURITE_QUEUE,
        "--queueHost", "127.0.0.1",
        // Any free port the first time; the same one after an outage, so the gateway finds it again.
        "--queuePort", String(this.#port),
        // On disk in a throw-away folder, not in memory: an outage (stop, start) must not lose messages.
        "--location", this.#dataDir,
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--loose",
        "--silent",
        "--oauth", "basic",
        "--cert", join(this.#certDir, "cert.pem"),
        "--key", join(this.#certDir, "key.pem"),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          NODE_OPTIONS: "",
          KEYLESS_AZURITE_PARENT: String(process.pid),
          KEYLESS_AZURITE_DIR: this.#certDir,
          ...(this.#options.compileCacheDir ? { NODE_COMPILE_CACHE: this.#options.compileCacheDir } : {}),
        },
      },
    );
    this.#child = child;
    // Never outlive the sandbox.
    const killChild = () => child.kill("SIGKILL");
    process.once("exit", killChild);
    child.once("exit", () => process.off("exit", killChild));

    let output = "";
    const timeoutMs = this.#options.readyTimeoutMs ?? 60_000;
    this.#port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${timeoutMs / 1000} s: ${output.trim()}`)), timeoutMs);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const port = LISTENING.exec(output)?.[1];
        if (port) {
          clearTimeout(timer);
          child.stdout?.off("data", read);
          child.stdout?.resume();
          resolve(Number(port));
        }
      };
      child.stdout?.on("data", read);
      child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited with ${code}: ${output.trim()}`));
      });
    });
  }

  /** Stops Azurite and deletes its data: the end of the sandbox. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.#certDir, { recursive: true, force: true });
  }

  /** Stops Azurite, keeping its data: an outage, not the end. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
}
