import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Node's compile cache for the tests' child processes (NODE_COMPILE_CACHE): each loads the same TypeScript and
 * SDKs, and a sandbox child compiles hundreds of modules (about 0.4 s of CPU a start without it). The one every
 * package's tests share (packages/test-config's isolate.ts sets it).
 */
export const COMPILE_CACHE = process.env["NODE_COMPILE_CACHE"] || join(tmpdir(), "keyless-test-compile-cache");
