/**
 * The vitest configuration every package's tests run with. A package's
 * `vitest.config.ts` re-exports it (or merges its own options into it with
 * vitest's `mergeConfig`), and its `test` script is plain `vitest run`.
 *
 * @module @keyless/test-config
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Hang guards, never speed targets (speed is what `npm run bench` prints): a test that starts
    // processes, a sandbox or a browser can take several times longer on a busy 2-core CI machine
    // than on a laptop, and a set-up hook that starts a whole workshop longer still.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The terminal's report, and a JSON one per package that CI sums into its one line,
    // "N passed, N failed" (.ci/count-tests.mjs reads <package>/.test-results/vitest.json).
    reporters: ["default", "json"],
    outputFile: { json: ".test-results/vitest.json" },
    // One worker keeps its modules loaded from file to file: each file starts the servers and processes it needs
    // (on free ports, in folders of its own) and stops them, so none needs fresh modules, and loading the SDKs
    // and the sandbox anew for every file cost more CPU than many files' tests (the sandbox's package: 340 s in
    // npm test before, 145 s alone after; the property suite: 76 s CPU before, 59 s after).
    isolate: false,
    // No test meets the learner's own workspace/ or running npm start (src/isolate.ts).
    setupFiles: [fileURLToPath(new URL("./isolate.ts", import.meta.url))],
  },
});
