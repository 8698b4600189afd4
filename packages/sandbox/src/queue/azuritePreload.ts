/**
 * Loaded into Azurite's own process before Azurite (`node --import`), for two
 * things Azurite has no option for:
 * - Azurite loads its telemetry SDK (Application Insights) at start even with
 *   `--disableTelemetry`, and loading it is about two thirds of Azurite's
 *   start-up time. The sandbox is offline and sends nothing, so an empty module
 *   stands in for it (`require.cache` is Node's documented way to do that).
 * - Azurite must not outlive the sandbox, however the sandbox ends (Ctrl-C, a
 *   crash, kill -9): when its parent process is gone, it removes its working
 *   folder (certificate, key, queue data) and exits.
 */
import { rmSync } from "node:fs";
import { Module, createRequire } from "node:module";

const fromAzurite = createRequire(createRequire(import.meta.url).resolve("azurite/dist/src/common/Telemetry.js"));
const telemetrySdk = fromAzurite.resolve("applicationinsights");
const emptyModule = new Module(telemetrySdk);
emptyModule.filename = telemetrySdk;
emptyModule.loaded = true;
fromAzurite.cache[telemetrySdk] = emptyModule;

const parent = Number(process.env["KEYLESS_AZURITE_PARENT"]);
if (parent) {
  setInterval(() => {
    if (process.ppid === parent) return;
    const workDir = process.env["KEYLESS_AZURITE_DIR"];
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    process.exit(0);
  }, 250).unref();
}
