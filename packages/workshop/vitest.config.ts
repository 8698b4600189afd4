import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Checkpoints run only through `npm run check`, against a running `npm start`.
    exclude: [...configDefaults.exclude, "checkpoints/**"],
  },
});
