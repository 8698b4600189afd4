/**
 * Azurite, Microsoft's Azure Storage emulator, runs the queues themselves: the
 * real Queue Storage REST API. It is sealed behind the gateway: it accepts only
 * Shared Key requests signed with an account key made for this run, which only
 * the gateway holds (no bearer tokens, so no way round the gateway's token and
 * role checks), and it listens on loopback only.
 *
 * It is supervised as App Service supervises a process: if it exits, for any
 * reason, or stops answering, it is started again on the same data, and the
 * gateway answers 503 ServerBusy meanwhile, as Azure Storage does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive } from "../processes.ts";
import { MAX_HEADER_BYTES } from "../http/host.ts";

const AZURITE_QUEUE = createRequire(import.meta.url).resolve("azurite/dist/src/queue/main.js");
/** Makes Azurite durable, stubs its telemetry and ends it with the sandbox: see the file. */
const PRELOAD = new URL("./azuritePreload.ts", import.meta.url).href;
const WORK_DIR_PREFIX = "keyless-azurite-";
const OWNER_FILE = "owner.pid";

export interface AzuriteOptions {
  /** The storage account Azurite serves (its only one). */
  readonly account: string;
  /** Ask until Azurite answers, or fail after this long. */
  readonly readyTimeoutMs?: number;
  /** Where Node keeps Azurite's compiled code between runs (NODE_COMPILE_CACHE): it starts faster the second time. */
  readonly compileCacheDir?: string;
  /** Told when Azurite goes down or comes back, in a sentence. */
  readonly onEvent?: (event: string) => void;
}

/** Azurite says where it listens once it does: the readiness signal, and the port. */
const LISTENING = /successfully listens on https?:\/\/[^:]+:(\d+)/;
/** How often the supervisor asks whether Azurite answers, and how long an answer may take. */
const PROBE_EVERY_MS = 1000;
const PROBE_TIMEOUT_MS = 2000;
/** Unanswered probes in a row before Azurite is taken for hung (stopped, deadlocked) and restarted. */
const PROBES_BEFORE_RESTART = 3;

export type AzuriteState = "starting" | "running" | "unresponsive" | "down" | "stopped";

/** Removes the work folders of earlier sandboxes that were killed before they could (their owner is gone). */
function removeAbandonedWorkDirs(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(WORK_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    try {
      const owner = Number(readFileSync(join(dir, OWNER_FILE), "utf8"));
      if (owner && !isAlive(owner)) rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours, or being created right now
    }
  }
}

export class Azurite {
  readonly #options: AzuriteOptions;
  /** This run's account key: Azurite and the gateway know it, nobody else. */
  readonly key = randomBytes(64).toString("base64");
  readonly #workDir: string;
  #child: ChildProcess | undefined;
  #port = 0;
  #state: AzuriteState = "stopped";
  /** True between start() and stop(): Azurite should be running, and is restarted if it is not. */
  #wanted = false;
  #starting: Promise<void> | undefined;
  #probe: NodeJS.Timeout | undefined;
  #unanswered = 0;
  #probing = false;
  #restartDelayMs = 100;
  readonly #removeOnExit = () => this.#disposeNow();

  constructor(options: AzuriteOptions) {
    this.#options = options;
    removeAbandonedWorkDirs();
    this.#workDir = mkdtempSync(join(tmpdir(), WORK_DIR_PREFIX));
    writeFileSync(join(this.#workDir, OWNER_FILE), String(process.pid));
    process.once("exit", this.#removeOnExit);
  }

  get port(): number {
    return this.#port;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get state(): AzuriteState {
    return this.#state;
  }

  /** Whether requests can be sent now: running and answering. */
  get available(): boolean {
    return this.#state === "running";
  }

  get workDir(): string {
    return this.#workDir;
  }

  /** Starts Azurite and keeps it running until stop(). */
  async start(): Promise<void> {
    this.#wanted = true;
    this.#probe ??= setInterval(() => void this.#checkHealth(), PROBE_EVERY_MS).unref();
    await this.#launch();
  }

  /** Stops Azurite, keeping its data, and does not restart it: an outage, not the end. */
  async stop(): Promise<void> {
    this.#wanted = false;
    clearInterval(this.#probe);
    this.#probe = undefined;
    await this.#starting?.catch(() => {});
    const child = this.#child;
    this.#child = undefined;
    this.#state = "stopped";
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }

  /** Stops Azurite and deletes its data: the end of the sandbox. */
  async dispose(): Promise<void> {
    await this.stop();
    this.#disposeNow();
  }

  #disposeNow(): void {
    process.off("exit", this.#removeOnExit);
    this.#child?.kill("SIGKILL");
    rmSync(this.#workDir, { recursive: true, force: true });
  }

  #launch(): Promise<void> {
    this.#starting ??= this.#spawn().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async #spawn(): Promise<void> {
    this.#state = "starting";
    this.#unanswered = 0;
    const child = spawn(
      process.execPath,
      [
        // The gateway takes Azure's 64 KB of headers and forwards them with its signature: Azurite must take them too (Node's default is 16 KB).
        `--max-http-header-size=${2 * MAX_HEADER_BYTES}`,
        "--import",
        PRELOAD,
        AZURITE_QUEUE,
        "--queueHost",
        "127.0.0.1",
        // A free port each time: after a crash the old one may already be someone else's.
        "--queuePort",
        "0",
        // On disk, not in memory: a restart must find every message it acknowledged.
        "--location",
        join(this.#workDir, "data"),
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--loose",
        "--silent",
      ],
      {
        // stdin is Azurite's lifeline: nothing is written to it, and it closes when the sandbox ends.
        stdio: ["pipe", "pipe", "pipe"],
        env: {
          ...process.env,
          NODE_OPTIONS: "",
          // The only account, with this run's key: Azurite then knows no other (not even the well-known emulator key).
          AZURITE_ACCOUNTS: `${this.#options.account}:${this.key}`,
          KEYLESS_AZURITE_PARENT: String(process.pid),
          KEYLESS_AZURITE_DIR: this.#workDir,
          ...(this.#options.compileCacheDir ? { NODE_COMPILE_CACHE: this.#options.compileCacheDir } : {}),
        },
      },
    );
    this.#child = child;
    child.once("exit", (code, signal) => this.#exited(child, code, signal));

    let output = "";
    const timeoutMs = this.#options.readyTimeoutMs ?? 60_000;
    try {
      this.#port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`Azurite did not start within ${timeoutMs / 1000} s: ${output.trim()}`)),
          timeoutMs,
        );
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          const port = LISTENING.exec(output)?.[1];
          if (!port) return;
          clearTimeout(timer);
          child.stdout?.off("data", read);
          child.stdout?.resume();
          resolve(Number(port));
        };
        child.stdout?.on("data", read);
        child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`Azurite exited with ${signal ?? code} before it listened: ${output.trim()}`));
        });
      });
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
    if (this.#child === child) {
      this.#state = "running";
      this.#restartDelayMs = 100;
    }
  }

  /** A child ends with an exit code, or with a signal (then its exitCode is null): either way it is down. */
  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    if (!this.#wanted) return;
    this.#state = "down";
    this.#options.onEvent?.(
      `Queue Storage (Azurite) ended (${signal ?? `exit code ${code}`}): restarting it on the same data.`,
    );
    const delay = this.#restartDelayMs;
    this.#restartDelayMs = Math.min(delay * 2, 5000);
    setTimeout(() => {
      if (!this.#wanted || this.#child) return;
      this.#launch().then(
        () => this.#options.onEvent?.("Queue Storage (Azurite) is back."),
        (error: unknown) =>
          this.#options.onEvent?.(
            `Queue Storage (Azurite) did not start again: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
          ),
      );
    }, delay).unref();
  }

  /** Any HTTP answer will do: it proves Azurite's event loop turns. A stopped (SIGSTOP) or hung one answers nothing. */
  async #checkHealth(): Promise<void> {
    const child = this.#child;
    if (!child || this.#probing || (this.#state !== "running" && this.#state !== "unresponsive")) return;
    this.#probing = true;
    const answered = await new Promise<boolean>((resolve) => {
      const probe = request(
        { host: "127.0.0.1", port: this.#port, path: `/${this.#options.account}?comp=list`, timeout: PROBE_TIMEOUT_MS },
        (answer) => {
          answer.resume();
          resolve(true);
        },
      );
      probe.once("timeout", () => probe.destroy());
      probe.once("error", () => resolve(false));
      probe.end();
    }).finally(() => (this.#probing = false));
    if (this.#child !== child) return;
    if (answered) {
      this.#unanswered = 0;
      this.#state = "running";
      return;
    }
    this.#unanswered += 1;
    this.#state = "unresponsive";
    if (this.#unanswered >= PROBES_BEFORE_RESTART) {
      this.#options.onEvent?.("Queue Storage (Azurite) stopped answering: restarting it.");
      child.kill("SIGKILL");
    }
  }
}
