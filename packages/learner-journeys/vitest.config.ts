import baseConfig from "@keyless/test-config";
import { defineConfig, mergeConfig } from "vitest/config";

/** The configuration every package shares (packages/test-config), with this package's own options. */
export default mergeConfig(
  baseConfig,
  defineConfig({
    test: {
      // Two journeys at once: each is a learner driving npm commands, mostly waiting on the processes it started
      // (on free ports and in folders of their own, so they cannot meet). The exercises' walk-through, the
      // longest, runs beside exercise 05 and the run-on-Azure guide.
      maxWorkers: 2,
    },
  }),
);
