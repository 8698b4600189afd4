/**
 * Each step's README.md says what to read first, which files have not changed
 * since the previous step, and every variable the step gets, marked "set by
 * Azure" or "sandbox only". This keeps it true as the steps and the sandbox move.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { siteOfStep } from "@keyless/app-process";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { stepFolders } from "../src/layout/stepFolders.ts";

/** What `npm start` and its step launcher add to the sandbox's app settings (packages/launcher's start.ts, packages/app-process' startStep.ts). */
const LAUNCHER_VARIABLES = ["PORT", "HOST", "THIRD_PARTY_API_TIMEOUT_MS", "NODE_COMPILE_CACHE"];

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ stateDir: await mkdtemp(join(tmpdir(), "keyless-readmes-")) });
  await sandbox.ready;
}, 120_000);
afterAll(() => sandbox?.stop());

const folders = stepFolders();
const readme = (dir: string) => readFileSync(`${dir}/README.md`, "utf8");
const section = (text: string, heading: RegExp) =>
  text.split(/^## /m).find((part) => heading.test(part.split("\n")[0] ?? "")) ?? "";

/** The variables in the README's environment table, each with its "who sets it" cell. */
function environmentTable(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of section(text, /^Environment/).split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    if (cells.length < 4 || !cells[1]?.startsWith("`")) continue;
    for (const [, name] of cells[1].matchAll(/`([A-Z_]+)`/g)) rows.set(name ?? "", cells.at(-2) ?? "");
  }
  return rows;
}

/** The variables the step's config.ts declares. */
function declared(dir: string): string[] {
  return [...readFileSync(`${dir}/src/config.ts`, "utf8").matchAll(/^\s+([A-Z][A-Z0-9_]+): z\./gm)].map(
    (match) => match[1] ?? "",
  );
}

describe("each step's README.md", () => {
  for (const [index, folder] of folders.entries()) {
    const previous = folders[index - 1];

    it(`step ${folder.step}: names its lesson and files to read first that exist`, () => {
      const text = readme(folder.dir);
      expect(text).toMatch(new RegExp(`\\]\\(\\.\\./\\.\\./docs/${folder.name}\\.md\\)`));
      const firsts = [...section(text, /^Read first/).matchAll(/\]\((src\/[^)]+)\)/g)].map((match) => match[1] ?? "");
      expect(firsts.length).toBeGreaterThan(0);
      for (const file of firsts) expect(existsSync(`${folder.dir}/${file}`), file).toBe(true);
    });

    it(`step ${folder.step}: lists exactly the files unchanged since the previous step`, () => {
      const listed = [...section(readme(folder.dir), /^Unchanged since/).matchAll(/^- `(src\/[^`]+)`/gm)]
        .map((match) => match[1])
        .sort();
      const unchanged = previous
        ? readdirSync(`${folder.dir}/src`)
            .filter(
              (file) =>
                existsSync(`${previous.dir}/src/${file}`) &&
                readFileSync(`${previous.dir}/src/${file}`, "utf8") ===
                  readFileSync(`${folder.dir}/src/${file}`, "utf8"),
            )
            .map((file) => `src/${file}`)
            .sort()
        : [];
      expect(listed).toEqual(unchanged);
    });

    it(`step ${folder.step}: marks every variable it gets "set by Azure" or "sandbox only"`, () => {
      const table = environmentTable(readme(folder.dir));
      const given = [
        ...Object.keys(sandbox.siteEnvironment(siteOfStep(sandbox.sites(), folder.step))),
        ...LAUNCHER_VARIABLES,
        ...declared(folder.dir),
      ];
      for (const name of new Set(given)) {
        expect(table.has(name), `${name} is not in steps/${folder.name}/README.md`).toBe(true);
        expect(table.get(name), name).toMatch(/^(set by Azure|sandbox only)\b/);
      }
    });
  }
});
