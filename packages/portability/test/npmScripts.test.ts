/**
 * No npm script needs bash: npm runs scripts with cmd.exe on Windows, so every script in every
 * package.json must mean the same to cmd.exe as to sh. And every package's tests run the same way:
 * plain `vitest run`, with the one configuration packages/test-config holds.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, shellOnlyReasons, trackedPaths, whyNoGit } from "../src/index.ts";

describe("what a script may use to run the same under cmd.exe and sh", () => {
  it.each([
    "node --import @keyless/sandbox/compile-cache src/start.ts",
    "turbo run test --continue --concurrency=3",
    "cd ../.. && typedoc && node packages/workshop/src/site/build.ts",
    "vitest run --testTimeout=60000 --reporter=json --outputFile.json=.test-results/vitest.json",
    "npm run --silent --workspace @keyless/sandbox az --",
    "tsc -p tsconfig.json > typecheck.log 2>&1 || node report.js",
    `node -e "console.log('a; b & c')"`,
    `biome check "src/**/*.ts"`,
  ])("accepts %s", (script) => {
    expect(shellOnlyReasons(script)).toEqual([]);
  });

  it.each([
    ["echo $(git rev-parse HEAD)", /command substitution/],
    ["node build.js --sha=`git rev-parse HEAD`", /command substitution/],
    ["export NODE_ENV=test && node a.js", /export is POSIX/],
    ["NODE_ENV=test node a.js", /NAME=value before a command/],
    ["node a.js && DEBUG=1 node b.js", /NAME=value before a command/],
    ["rm -rf dist", /rm is a POSIX program/],
    ["tsc && cp -r src/assets dist", /cp is a POSIX program/],
    ["biome check 'src/**/*.ts'", /single quotes quote nothing/],
    ["node a.js; node b.js", /; does not separate/],
    ["node server.js & node client.js", /single & runs in the background/],
    ["mkdir -p dist && node build.js", /mkdir -p is POSIX/],
    ["./scripts/build.sh", /runs a file by its shebang/],
    ["node a.js 2>/dev/null", /\/dev\/null/],
    ["node a.js --home $HOME", /\$NAME reads a variable in sh only/],
    [`node a.js --home "\${HOME}"`, /\$NAME reads a variable in sh only/],
    ["node a.js --home %USERPROFILE%", /%NAME% reads a variable in cmd.exe only/],
    ["cat a.txt | grep x", /cat is a POSIX program/],
  ])("refuses %s", (script, reason) => {
    expect(shellOnlyReasons(script)).toEqual(expect.arrayContaining([expect.stringMatching(reason)]));
  });
});

describe.skipIf(whyNoGit())("this repository's npm scripts", () => {
  it("no script in any package.json needs a POSIX shell", () => {
    const manifests = trackedPaths((path) => path === "package.json" || path.endsWith("/package.json"));
    expect(manifests).toEqual(expect.arrayContaining(["package.json", "packages/workshop/package.json"]));
    const problems = manifests.flatMap((manifest) => {
      const { scripts = {} } = JSON.parse(readFileSync(join(REPO_ROOT, manifest), "utf8")) as {
        scripts?: Record<string, string>;
      };
      return Object.entries(scripts).flatMap(([name, script]) =>
        shellOnlyReasons(script).map((reason) => `${manifest} "${name}": ${script}: ${reason}`),
      );
    });
    expect(problems).toEqual([]);
  });

  it("every package's tests run as plain `vitest run`, with the configuration packages/test-config shares", () => {
    const manifests = trackedPaths((path) => /^(packages|steps)\/[^/]+\/package\.json$/.test(path));
    const problems = manifests.flatMap((manifest) => {
      const folder = manifest.slice(0, -"/package.json".length);
      const {
        name,
        scripts = {},
        devDependencies = {},
      } = JSON.parse(readFileSync(join(REPO_ROOT, manifest), "utf8")) as {
        name: string;
        scripts?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      if (scripts["test"] === undefined || name === "@keyless/test-config") return [];
      const config = join(REPO_ROOT, folder, "vitest.config.ts");
      return [
        ...(scripts["test"] === "vitest run"
          ? []
          : [`${manifest}: its test script is "${scripts["test"]}", not "vitest run"`]),
        ...(existsSync(config) && readFileSync(config, "utf8").includes('from "@keyless/test-config"')
          ? []
          : [`${folder}: no vitest.config.ts that uses @keyless/test-config`]),
        ...("@keyless/test-config" in devDependencies
          ? []
          : [`${manifest}: @keyless/test-config is not a devDependency`]),
      ];
    });
    expect(problems).toEqual([]);
  });
});
