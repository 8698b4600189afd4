/**
 * Where a sandbox started without a `stateDir` keeps its state: the folder in
 * KEYLESS_SANDBOX_DIR as it is when the sandbox starts, not when the module
 * loaded. A test worker runs file after file in one module registry, each file
 * with a folder of its own, and a folder read once put a later file's sandbox
 * in the first file's folder, after that file had removed it.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../src/index.ts";
import { sandboxStateDir } from "../src/stateDir.ts";

const before = process.env["KEYLESS_SANDBOX_DIR"];
afterEach(() => {
  if (before === undefined) delete process.env["KEYLESS_SANDBOX_DIR"];
  else process.env["KEYLESS_SANDBOX_DIR"] = before;
});

describe("the sandbox's state folder", () => {
  it("is KEYLESS_SANDBOX_DIR when set, else .sandbox at the repository's root", () => {
    expect(sandboxStateDir({ KEYLESS_SANDBOX_DIR: "/somewhere/else" })).toBe("/somewhere/else");
    expect(sandboxStateDir({})).toMatch(/[/\\]\.sandbox$/);
  });

  it("is read when a sandbox starts, so a folder set after the module loaded is the one it uses", async () => {
    const later = mkdtempSync(join(tmpdir(), "later-"));
    process.env["KEYLESS_SANDBOX_DIR"] = later;
    const sandbox = await startSandbox({ queue: false, auditFile: false });
    try {
      expect(sandbox.stateDir).toBe(later);
      expect(existsSync(join(later, "state.db"))).toBe(true);
    } finally {
      await sandbox.stop();
    }
  });
});
