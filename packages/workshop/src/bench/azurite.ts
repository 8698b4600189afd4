/**
 * Azurite, Microsoft's Storage emulator, alone: the baseline beside the
 * sandbox's Queue Storage. It runs as Azurite runs by default for anyone who
 * starts `azurite-queue --location <folder>`: its data on disk, in LokiJS
 * files it saves every five seconds (so a kill loses up to five seconds of
 * messages it acknowledged; the sandbox commits each one before its 201), with
 * one account, a key made for this run, plain HTTP on loopback, no access log.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createRequire } from "node:module";

const AZURITE_QUEUE = createRequire(import.meta.url).resolve("azurite/dist/src/queue/main.js");

export interface RunningAzurite {
  /** `http://127.0.0.1:<port>/<account>` */
  readonly accountUrl: string;
  readonly account: string;
  readonly key: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export async function startAzurite(account: string, location: string): Promise<RunningAzurite> {
  const key = randomBytes(64).toString("base64");
  const child = spawn(
    process.execPath,
    [
      AZURITE_QUEUE,
      "--queueHost",
      "127.0.0.1",
      "--queuePort",
      "0",
      "--location",
      location,
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--loose",
      "--silent",
    ],
    {
      env: { ...process.env, NODE_OPTIONS: "", AZURITE_ACCOUNTS: `${account}:${key}` },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  // However the benchmark ends (Ctrl-C goes through exit), Azurite ends with it.
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listens on https?:\/\/[^:]+:(\d+)/.exec(output)?.[1];
      if (found) resolve(Number(found));
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`Azurite exited (${code}) before it listened: ${output.trim()}`)));
  });
  return {
    accountUrl: `http://127.0.0.1:${port}/${account}`,
    account,
    key,
    pid: child.pid,
    async stop() {
      process.off("exit", kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}
