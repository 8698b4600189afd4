import baseConfig from "@keyless/test-config";
import { defineConfig, mergeConfig } from "vitest/config";

/** The configuration every package shares (packages/test-config), with this package's own options. */
export default mergeConfig(
  baseConfig,
  defineConfig({
    test: {
      // Two files at once: each is a learner driving npm commands, mostly waiting on processes it started
      // (on free ports and in folders of its own, so they cannot meet); one at a time on 2 cores, this package
      // alone took 9 minutes, the longest path of npm test.
      maxWorkers: 2,
      // Each file in a fresh module registry: the commands' modules read KEYLESS_WORKSPACE_DIR and
      // KEYLESS_SANDBOX_DIR when they load, and each file has folders of its own (test-config's isolate.ts).
      isolate: true,
    },
  }),
);
