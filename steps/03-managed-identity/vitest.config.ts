import baseConfig from "@keyless/test-config";
import { defineConfig, mergeConfig } from "vitest/config";

/** The configuration every package shares (packages/test-config), with this package's own options. */
export default mergeConfig(
  baseConfig,
  defineConfig({
    test: {
      // Two files at once: a step's tests mostly wait, not compute. They wait out the step's own deadlines
      // (5 s for a key read, 10 s for a queue that never answers) and its start-up failures, each file with its
      // own sandbox on free ports. One at a time, step 04's took 60 s and 18 CPU-s; two at a time, 38 s and 21.
      maxWorkers: 2,
    },
  }),
);
