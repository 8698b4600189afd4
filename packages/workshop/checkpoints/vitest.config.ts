import { defineConfig } from "vitest/config";

/** Checkpoints run only through `npm run check`, against a running sandbox; `npm test` never picks them up. */
export default defineConfig({
  test: { include: ["checkpoints/*.test.ts"], testTimeout: 20_000, hookTimeout: 20_000 },
});
