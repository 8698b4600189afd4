/**
 * Azurite, Microsoft's Storage emulator, alone: the oracle the sandbox's Queue
 * Storage is compared with. It runs as its own process on a free loopback
 * port, in memory, with one account and a key made for this run.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";

const AZURITE_QUEUE = createRequire(import.meta.url).resolve("azurite/dist/src/queue/main.js");

export interface RunningAzurite {
  /** `http://127.0.0.1:<port>/<account>` */
  readonly accountUrl: string;
  readonly account: string;
  readonly key: string;
  stop(): Promise<void>;
}

export async function startAzurite(account: string): Promise<RunningAzurite> {
  const key = randomBytes(64).toString("base64");
  const child = spawn(
    process.execPath,
    [
      AZURITE_QUEUE,
      "--queueHost",
      "127.0.0.1",
      "--queuePort",
      "0",
      "--inMemoryPersistence",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--loose",
    ],
    {
      env: { ...process.env, NODE_OPTIONS: "", AZURITE_ACCOUNTS: `${account}:${key}` },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listens on https?:\/\/[^:]+:(\d+)/.exec(output)?.[1];
      if (found) resolve(Number(found));
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`Azurite exited (${code}) before it listened: ${output}`)));
  });
  return {
    accountUrl: `http://127.0.0.1:${port}/${account}`,
    account,
    key,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}
