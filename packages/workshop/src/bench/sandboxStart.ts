/**
 * One sandbox start, in a process of its own so that its memory is its own:
 * `node sandboxStart.ts <state folder> queue|no-queue` starts the sandbox on
 * free ports (with Queue Storage, or as `startSandbox({ queue: false })`),
 * prints one JSON line (how long startSandbox took, and resident memory), and
 * stops.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { startSandbox } from "@keyless/sandbox";
import { treeRss } from "./resources.ts";

const [stateDir, mode] = process.argv.slice(2);
const started = performance.now();
const sandbox = await startSandbox({ stateDir, queue: mode === "queue", onEvent: () => {} });
const startMs = performance.now() - started;
// Let start-up's garbage settle.
await sleep(300);
const tree = await treeRss(process.pid);
console.log(JSON.stringify({ startMs, ownMb: process.memoryUsage().rss / 1024 / 1024, treeMb: tree?.mb }));
await sandbox.stop();
process.exit(0);
