/**
 * `npm ci` installs exactly what the lock file holds, on the learner's system:
 * every platform package a dependency may need (macOS, Windows and Linux, x64
 * and arm64) must be in it. A lock file written where some were missing made
 * `npm ci` refuse to run at all ("Missing: @turbo/darwin-64 from lock file").
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../src/layout/repo.ts";

interface LockedPackage {
  readonly version?: string;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
}
const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
  packages: Readonly<Record<string, LockedPackage>>;
};

/** Where npm would find `name` for the package at `from` (its own node_modules, then each folder above). */
function resolve(from: string, name: string): LockedPackage | undefined {
  const parts = from.split("/node_modules/");
  for (let depth = parts.length; depth >= 0; depth--) {
    const base = parts.slice(0, depth).join("/node_modules/");
    const found = lock.packages[base ? `${base}/node_modules/${name}` : `node_modules/${name}`];
    if (found) return found;
  }
  return undefined;
}

describe("the lock file", () => {
  it("holds every optional dependency of every locked package, whatever platform it is for", () => {
    const missing = Object.entries(lock.packages).flatMap(([path, locked]) =>
      Object.keys(locked.optionalDependencies ?? {})
        .filter((name) => !resolve(path, name))
        .map((name) => `${name} (for ${path || "the root"})`),
    );
    expect(missing).toEqual([]);
  });

  it("has a native package for macOS, Windows and Linux, x64 and arm64, for each dependency that ships them", () => {
    const targets = ["darwin x64", "darwin arm64", "win32 x64", "win32 arm64", "linux x64", "linux arm64"];
    const gaps: string[] = [];
    for (const [path, locked] of Object.entries(lock.packages)) {
      const natives = Object.keys(locked.optionalDependencies ?? {}).flatMap((name) => {
        const found = resolve(path, name);
        return found?.os && found.cpu ? [found] : [];
      });
      if (natives.length === 0) continue;
      const covered = new Set(
        natives.flatMap((native) => (native.os ?? []).flatMap((os) => (native.cpu ?? []).map((cpu) => `${os} ${cpu}`))),
      );
      for (const target of targets) if (!covered.has(target)) gaps.push(`${path}: ${target}`);
    }
    expect(gaps).toEqual([]);
  });
});
