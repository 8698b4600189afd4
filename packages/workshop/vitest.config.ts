import baseConfig from "@keyless/test-config";
import { defineConfig, mergeConfig } from "vitest/config";

/** The configuration every package shares (packages/test-config), with this package's own options. */
export default mergeConfig(
  baseConfig,
  defineConfig({
    test: {
      // Two files at once: each is a learner driving npm commands, mostly waiting on processes it started
      // (on free ports and in folders of its own, so they cannot meet); one at a time on 2 cores, this package
      // alone took 9 minutes, the longest path of npm test. Each worker keeps its modules from file to file, as
      // every package's do: the folders a file is given (test-config's isolate.ts) are read where they are used
      // (layout/repo.ts's endpointsFile, workspaceDir), never kept from the file that first loaded a module.
      maxWorkers: 2,
    },
  }),
);
