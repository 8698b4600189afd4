/**
 * The browser the browser tests drive (the documentation site's and the live
 * view's): Debian's Chromium, or the one KEYLESS_CHROMIUM names (CI's Google
 * Chrome on macOS and Windows). Playwright's own browser download is not used.
 */
import { existsSync } from "node:fs";
import { machineTempDir } from "./machineTemp.ts";

export const CHROMIUM = process.env["KEYLESS_CHROMIUM"] ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
/** Why a browser test cannot run here, and what to do. */
export const CHROMIUM_MISSING = `no Chromium at ${CHROMIUM}: install it with apt-get install chromium (or set KEYLESS_CHROMIUM)`;

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/** What Playwright's launchPersistentContext is given, beside the viewport. */
export function chromiumOptions(): {
  executablePath: string;
  headless: true;
  args: string[];
  env: Record<string, string | undefined>;
} {
  // The machine's temp folder, not the test file's own (isolate.ts): Chromium makes its single-instance socket
  // in the temp folder, and a Unix socket's path may have at most 104 bytes on macOS, where the temp folder's
  // path is already about 50; the file's folder, two levels deeper, would take it over and Chromium would not start.
  const machineTemp = machineTempDir();
  return {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    env: { ...process.env, TMPDIR: machineTemp, TEMP: machineTemp, TMP: machineTemp },
  };
}
