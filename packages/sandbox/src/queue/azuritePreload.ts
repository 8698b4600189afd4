/**
 * Loaded into Azurite's own process before Azurite (`node --import`), for what
 * Azurite has no option for:
 * - **Durability.** Azurite keeps its metadata (queues, messages, where each
 *   message's text lies on disk) in LokiJS databases that it saves every five
 *   seconds: a kill loses the last seconds of messages that it had already
 *   acknowledged with 201. Azure never does. Here every change is saved before
 *   Azurite answers: each change awaits a save that started after it (LokiJS
 *   batches the saves that wait on one in progress into the next one).
 * - **No telemetry.** Azurite loads its telemetry SDK (Application Insights) at
 *   start even with `--disableTelemetry`, about two thirds of its start-up time.
 *   The sandbox is offline and sends nothing, so an empty module stands in for
 *   it (`require.cache` is Node's documented way to do that).
 * - **Never outliving the sandbox**, however the sandbox ends (Ctrl-C, a crash,
 *   kill -9): when its stdin pipe from the sandbox closes, or its parent process
 *   is gone, it removes its working folder (the queues' data) and exits.
 */
import { rmSync } from "node:fs";
import { Module, createRequire } from "node:module";

const fromAzurite = createRequire(createRequire(import.meta.url).resolve("azurite/dist/src/queue/main.js"));

const telemetrySdk = createRequire(fromAzurite.resolve("../common/Telemetry.js")).resolve("applicationinsights");
const emptyModule = new Module(telemetrySdk);
emptyModule.filename = telemetrySdk;
emptyModule.loaded = true;
fromAzurite.cache[telemetrySdk] = emptyModule;

interface LokiStore {
  readonly db: { saveDatabase(callback: (error?: Error) => void): void };
}

/** Makes each of these methods resolve only once its change is on disk. */
function saveAfter(store: { prototype: object }, methods: readonly string[]): void {
  const prototype = store.prototype as Record<string, (this: LokiStore, ...args: unknown[]) => Promise<unknown>>;
  for (const name of methods) {
    const change = prototype[name];
    if (typeof change !== "function")
      throw new Error(`Azurite has no ${name} to make durable: check the Azurite version.`);
    prototype[name] = async function (this: LokiStore, ...args: unknown[]) {
      const result = await change.apply(this, args);
      await new Promise<void>((resolve, reject) =>
        this.db.saveDatabase((error) => (error ? reject(error) : resolve())),
      );
      return result;
    };
  }
}

const load = (path: string) => (fromAzurite(path) as { default: { prototype: object } }).default;
saveAfter(load("./persistence/LokiQueueMetadataStore.js"), [
  "updateServiceProperties",
  "createQueue",
  "deleteQueue",
  "setQueueACL",
  "setQueueMetadata",
  "insertMessage",
  // Receiving changes a message: its pop receipt, when it is visible again, its dequeue count.
  "getMessages",
  "deleteMessage",
  "updateMessage",
  "clearMessages",
]);
// Where each message's text lies: without it, a saved message could not be read back.
saveAfter(load("../common/persistence/LokiExtentMetadataStore.js"), ["updateExtent", "deleteExtent"]);

const orphaned = () => {
  const workDir = process.env["KEYLESS_AZURITE_DIR"];
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  process.exit(0);
};
const parent = Number(process.env["KEYLESS_AZURITE_PARENT"]);
if (parent) {
  // The sandbox holds the other end of stdin: the system closes it when the sandbox ends, however it ends.
  process.stdin.resume();
  // ...without keeping Azurite alive by itself: a SIGTERM still ends it once its server has closed.
  process.stdin.unref();
  process.stdin.once("end", orphaned);
  process.stdin.once("close", orphaned);
  // And where a parent's death is visible (Linux, macOS), the parent id changes too.
  setInterval(() => process.ppid !== parent && orphaned(), 250).unref();
}
