/**
 * The property suite's pieces, for whoever adds an HTTP surface: a surface is
 * its requests (fast-check arbitraries), its Azure error shape, and the state
 * a refused request must not change; `checkSurface` then proves, over
 * generated requests, that no process ends, nothing hangs, no answer shows a
 * stack or a secret, and a 4xx changes nothing.
 *
 * @module @keyless/http-properties
 */
export {
  checkSurface,
  checkOne,
  expectStatus,
  REQUEST_TIMEOUT_MS,
  type Surface,
  type SurfaceStats,
} from "./harness.ts";
export {
  LEAK_PATTERNS,
  azureErrorShape,
  emptyBodyShape,
  entraShape,
  managedIdentityShape,
  stepShape,
  storageShape,
  type Shape,
} from "./checks.ts";
export { startWorld, type World } from "./world.ts";
