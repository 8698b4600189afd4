/**
 * Preloaded by the workshop's commands (`node --import @keyless/sandbox/compile-cache`):
 * Node keeps their compiled code, TypeScript already stripped, in
 * `.sandbox/compile-cache` between runs, so that `npm start` and `npm run az`
 * start in about half the time. Plain JavaScript: it is loaded before any
 * TypeScript is.
 */
import { enableCompileCache } from "node:module";
import { fileURLToPath } from "node:url";

enableCompileCache(fileURLToPath(new URL("../../../.sandbox/compile-cache", import.meta.url)));
