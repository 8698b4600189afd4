import baseConfig from "@keyless/test-config";
import { configDefaults, defineConfig, mergeConfig } from "vitest/config";

/** The configuration every package shares (packages/test-config), less the checkpoints. */
export default mergeConfig(
  baseConfig,
  defineConfig({
    test: {
      // Checkpoints run only through `npm run check`, against a running `npm start`.
      exclude: [...configDefaults.exclude, "checkpoints/**"],
    },
  }),
);
