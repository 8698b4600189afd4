/**
 * Node's compile cache for the tests' child processes whose environment is built from nothing (NODE_COMPILE_CACHE):
 * each loads the same TypeScript and SDKs, and a sandbox child compiles hundreds of modules (about 0.4 s of CPU a
 * start without it). The folder every package's tests share, which packages/test-config's isolate.ts names.
 */
export const COMPILE_CACHE = process.env["NODE_COMPILE_CACHE"];
