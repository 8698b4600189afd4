/**
 * The lessons' `npm run --silent az -- …` lines echo nothing: a key given on
 * the command line never shows on the screen (or a projector). Plain
 * `npm run az -- …` would print npm's banner, the whole command line with the
 * value in it and its quotes gone: the docs never use that form. And every
 * command the docs run against the sandbox is one its `az` knows.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { azInProcess } from "./azInProcess.ts";
import { REPO_ROOT } from "../src/layout/repo.ts";
import { learnerTerminal } from "../src/terminal/learnerTerminal.ts";
import { stepFolders } from "../src/layout/stepFolders.ts";

// No sandbox runs here: az answers "not running", after npm has (or has not) echoed the line.
const empty = mkdtempSync(join(tmpdir(), "keyless-echo-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

function npm(...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      args,
      // A learner's terminal: `npm test --silent` sets npm_config_loglevel=silent, which would silence the very
      // echo the second test is about.
      { cwd: REPO_ROOT, env: learnerTerminal({ KEYLESS_SANDBOX_DIR: empty, NO_COLOR: "1" }) },
      (_error, stdout, stderr) => resolve(stdout + stderr),
    );
  });
}

/** Every Markdown file a learner reads: the lessons, the README, the steps' READMEs. */
function learnerDocs(): { name: string; text: string }[] {
  const docs = readdirSync(`${REPO_ROOT}docs`)
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`);
  const steps = stepFolders().map((folder) => `steps/${folder.name}/README.md`);
  return ["README.md", ...docs, ...steps].map((name) => ({ name, text: readFileSync(`${REPO_ROOT}${name}`, "utf8") }));
}

describe("npm run --silent az", { timeout: 60_000 }, () => {
  it("echoes nothing of its command line, the key included", async () => {
    const key = randomBytes(30).toString("base64");
    const output = await npm(
      "run",
      "--silent",
      "az",
      "--",
      "keyvault",
      "secret",
      "set",
      "--vault-name",
      "keyless-kv",
      "--name",
      "third-party-api-key",
      "--value",
      key,
    );
    expect(output).toContain("The sandbox is not running");
    expect(output).not.toContain(key);
    expect(output).not.toContain("keyvault secret set");
  });

  it("is needed: plain npm run az echoes the key, which is why the docs never use it", async () => {
    const key = randomBytes(30).toString("base64");
    const output = await npm(
      "run",
      "az",
      "--",
      "keyvault",
      "secret",
      "set",
      "--vault-name",
      "keyless-kv",
      "--name",
      "x",
      "--value",
      key,
    );
    expect(output).toContain(key);
    const plain = learnerDocs().flatMap(({ name, text }) =>
      text
        .split("\n")
        .filter((line) => /npm run az\b/.test(line))
        .map((line) => `${name}: ${line.trim()}`),
    );
    expect(plain).toEqual([]);
  });
});

describe("the az commands the docs run against the sandbox", { timeout: 120_000 }, () => {
  it("are all commands the sandbox's az knows", async () => {
    const commands = new Set<string>();
    for (const { text } of learnerDocs()) {
      for (const [, rest = ""] of text.matchAll(/npm run --silent az -- ([^`\n]*)/g)) {
        const path = rest.split(/\s+/).filter(Boolean);
        const end = path.findIndex((word) => !/^[a-z][a-z-]*$/.test(word));
        if (end !== 0) commands.add(path.slice(0, end === -1 ? undefined : end).join(" "));
      }
    }
    expect(commands.size).toBeGreaterThan(5);
    const unknown: string[] = [];
    for (const command of commands) {
      // Its answer is the point here, not npm's: in this process.
      const { code } = await azInProcess([...command.split(" "), "--help"]);
      if (code !== 0) unknown.push(command);
    }
    expect(unknown).toEqual([]);
  });
});
