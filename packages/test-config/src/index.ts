/**
 * The vitest configuration every package's tests run with. A package's
 * `vitest.config.ts` re-exports it (or merges its own options into it with
 * vitest's `mergeConfig`), and its `test` script is plain `vitest run`.
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
    // No test meets the learner's own workspace/ or running npm start (src/isolate.ts).
    setupFiles: [fileURLToPath(new URL("./isolate.ts", import.meta.url))],
  },
});
