/**
 * The sandbox's `az` as a process (main.ts around run.ts), for what only a process shows: its exit code
 * as the shell sees it, its help and errors on its own stdout and stderr, the prompt it refuses without
 * a terminal. Every other az test calls it in-process (helpers.ts `az`): this file is the proof that both
 * answer the same, byte for byte. And in-process calls at once keep apart, as processes would.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azAnswer } from "../src/az/run.ts";
import { az, azProcess, azWith, startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
/** A folder with no sandbox running in it. */
let nowhere: string;

beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
  nowhere = mkdtempSync(join(tmpdir(), "keyless-az-nowhere-"));
});
afterAll(async () => {
  await test.stop();
  rmSync(nowhere, { recursive: true, force: true });
});

describe("az as a process", () => {
  // Each line's exit code as az gives it: 0, 1 for an error, 2 for usage, 3 for a service's 404.
  const lines: readonly (readonly [number, readonly string[]])[] = [
    [0, []],
    [0, ["--help"]],
    [0, ["keyvault", "secret", "--help"]],
    [0, ["keyvault", "secret", "show", "--vault-name", "keyless-kv", "-n", "third-party-api-key", "--query", "name"]],
    [2, ["storage-sync"]],
    [2, ["keyvault", "secret", "show", "--name", "x"]],
    [3, ["keyvault", "secret", "show", "--vault-name", "keyless-kv", "--name", "nope"]],
    // Without a terminal, az cannot ask "are you sure": it refuses, and deletes nothing.
    [1, ["group", "delete", "-n", "keyless-rg"]],
  ];

  it("exits with az's codes and prints what the in-process call prints, byte for byte", async () => {
    const env = { KEYLESS_SANDBOX_DIR: test.stateDir };
    for (const [code, args] of lines) {
      const [child, inProcess] = await Promise.all([azProcess(env, ...args), az(test.stateDir, ...args)]);
      expect({ args, ...child }).toEqual({ args, ...inProcess });
      expect({ args, code: child.code }).toEqual({ args, code });
    }
  });

  it("refuses the prompt with no terminal in az's words, and says when no sandbox is running", async () => {
    const refused = await azProcess({ KEYLESS_SANDBOX_DIR: test.stateDir }, "group", "delete", "-n", "keyless-rg");
    expect(refused).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "WARNING: Unable to prompt for confirmation as no tty available. Use --yes.\nERROR: Operation cancelled.\n",
    });
    expect(await az(test.stateDir, "group", "exists", "-n", "keyless-rg")).toMatchObject({ stdout: "true\n" });
    const none = await azProcess({ KEYLESS_SANDBOX_DIR: nowhere }, "group", "list");
    expect(none).toEqual({
      code: 1,
      stdout: "",
      stderr: "ERROR: The sandbox is not running. Start it with npm start in another terminal, then try again.\n",
    });
    expect(await az(nowhere, "group", "list")).toEqual(none);
  });
});

const SOURCES = fileURLToPath(new URL("../src", import.meta.url));

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** The code of a file without its comments (which may well name process.stdout). */
const codeOf = (file: string) =>
  readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:])\/\/.*$/gm, "$1");

/** az's modules below main.ts: its own folder, the providers' az*.ts, and what they import to run (not types). */
function azModules(): string[] {
  const files = sourceFiles(SOURCES);
  const known = new Set(files);
  const reached = new Set<string>();
  const visit = (file: string): void => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const match of codeOf(file).matchAll(
      /(?:import|export)\s(?!type\s)[^;]*?from\s+["'](\.[^"']+)["']|import\s+["'](\.[^"']+)["']/g,
    )) {
      const target = normalize(join(dirname(file), match[1] ?? match[2] ?? ""));
      if (known.has(target)) visit(target);
    }
  };
  for (const file of files)
    if (/^az\/(?!main\.ts$)|^providers\/[^/]+\/az[^/]*\.ts$/.test(relative(SOURCES, file))) visit(file);
  return [...reached].map((file) => relative(SOURCES, file));
}

describe("az calls in one process", () => {
  it("read nothing of the process below main.ts: no exit, no environment, folder, argv or standard stream", () => {
    const modules = azModules();
    expect(modules).toEqual(expect.arrayContaining(["az/run.ts", "az/connection.ts", "providers/key-vault/az.ts"]));
    const readers = modules.filter((file) =>
      /process\.(env|cwd|chdir|argv|exit|exitCode|stdout|stderr|stdin)\b/.test(codeOf(join(SOURCES, file))),
    );
    expect(readers).toEqual([]);
  });

  it("keep apart: each call its own options, sandbox and output, at the same time", async () => {
    const show = ["keyvault", "secret", "show", "--vault-name", "keyless-kv", "-n", "third-party-api-key"];
    const [tsv, json, none, table] = await Promise.all([
      az(test.stateDir, ...show, "--query", "name", "-o", "tsv"),
      az(test.stateDir, ...show),
      az(nowhere, ...show),
      az(test.stateDir, "group", "list", "-o", "table"),
    ]);
    expect(tsv).toEqual({ code: 0, stdout: "third-party-api-key\n", stderr: "" });
    expect(JSON.parse(json.stdout)).toMatchObject({ name: "third-party-api-key", value: expect.any(String) });
    expect(none).toMatchObject({ code: 1, stdout: "" });
    expect(table.stdout).toMatch(/^Name +Location/);
  });

  it("read a relative file argument from the call's own folder, not the process's", async () => {
    writeFileSync(join(test.stateDir, "lesson.txt"), "from the call's folder");
    const { code, stdout } = await azAnswer(
      ["keyvault", "secret", "set", "--vault-name", "keyless-kv", "-n", "from-cwd", "--file", "lesson.txt"],
      { env: { KEYLESS_SANDBOX_DIR: test.stateDir }, cwd: test.stateDir },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ value: "from the call's folder" });
  });

  it("stop at the syntax with KEYLESS_AZ_SYNTAX_ONLY in the call's environment, whatever the process's", async () => {
    const syntaxOnly = { KEYLESS_SANDBOX_DIR: nowhere, KEYLESS_AZ_SYNTAX_ONLY: "1" };
    expect(await azWith(syntaxOnly, "group", "delete", "-n", "anything")).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await azWith(syntaxOnly, "keyvault", "secret", "show", "--name", "x")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("ERROR: the following arguments are required: --vault-name"),
    });
  });
});
