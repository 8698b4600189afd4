/**
 * This package's tests run with the configuration every package shares (packages/test-config), in one worker
 * whose modules stay loaded from file to file: each of its 47 files starts sandboxes of its own (in folders of
 * its own, on free ports) and stops them, so none depends on a fresh module. Loading the sandbox anew for
 * every file cost more CPU than most files' tests (the package took 340 s in npm test; 145 s alone this way).
 */
import baseConfig from "@keyless/test-config";
import { defineConfig, mergeConfig } from "vitest/config";

export default mergeConfig(baseConfig, defineConfig({ test: { isolate: false } }));
