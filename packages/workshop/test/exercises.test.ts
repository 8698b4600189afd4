/**
 * The exercises' instructions are kept once, as comment lines anchored to the
 * previous step (packages/workshop/exercises/0N.json): never a copy of a step.
 * These tests prove that the learner's start is the previous step plus those
 * comments and nothing else, and that the solution is the step, byte for byte.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { structuredPatch } from "diff";
import { afterAll, describe, expect, it } from "vitest";
import {
  appExerciseSteps,
  applyInstructions,
  exerciseSteps,
  loadExercise,
  diffFiles,
  loadAppExercise,
  maskDotenv,
  problemFiles,
  replaceFiles,
  solutionFiles,
  workspaceFiles,
} from "../src/exercises/exercises.ts";
import { clientSecretUses, misScopedFinding } from "../src/exercises/grade.ts";
import { compareRoles, misScopedText } from "../src/exercises/roles.ts";
import { lessons } from "../src/layout/lessons.ts";
import { stepDir } from "../src/layout/stepFolders.ts";
import type { WorkspaceAppState, WorkspaceView } from "../src/running/workspaceControl.ts";
import { WITH_COMPILE_CACHE } from "../src/layout/repo.ts";

const WORKSHOP = new URL("..", import.meta.url);

/** A step's source files, read straight from its folder. */
function stepSource(step: string): Map<string, string> {
  const src = join(stepDir(step), "src");
  return new Map(
    readdirSync(src, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const path = join(entry.parentPath, entry.name);
        return [`src/${path.slice(src.length + 1)}`, readFileSync(path, "utf8")] as const;
      }),
  );
}

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe.each(appExerciseSteps())("exercise %s", (step) => {
  const exercise = loadAppExercise(step);

  it("starts from the previous step with comment lines added and the files it gives taken whole from the step, nothing else changed", () => {
    const previous = stepSource(exercise.from);
    const solution = stepSource(step);
    const given = new Map((exercise.given ?? []).map((file) => [file, solution.get(file) ?? ""] as const));
    const start = new Map([...previous, ...given]);
    const problem = problemFiles(exercise);
    expect([...problem.keys()].sort()).toEqual([...start.keys()].sort());
    let added = 0;
    for (const [file, text] of problem) {
      const before = start.get(file) ?? "";
      const lines = structuredPatch(file, file, before, text).hunks.flatMap((hunk) => hunk.lines);
      const changed = lines.filter((line) => line.startsWith("+") || line.startsWith("-"));
      for (const line of changed) {
        expect(line, `${file}: only added comment lines`).toMatch(/^\+\s*\/\/ /);
      }
      added += changed.length;
    }
    expect(added).toBe(exercise.instructions.reduce((sum, instruction) => sum + instruction.lines.length, 0));
  });

  it("marks where the change goes with 🐨, in every file it asks the learner to open", () => {
    const problem = problemFiles(exercise);
    const marked = [...problem].filter(([, text]) => text.includes("🐨")).map(([file]) => file);
    for (const file of exercise.open) {
      expect(problem.has(file), `${file} exists`).toBe(true);
      expect(marked, `${file} has a 🐨`).toContain(file);
    }
  });

  it("has the step itself as its solution: --solve leaves exactly the step's source, whatever the learner added", () => {
    const dir = mkdtempSync(join(tmpdir(), `keyless-exercise-${step}-`));
    temporary.push(dir);
    replaceFiles(dir, problemFiles(exercise));
    writeFileSync(join(dir, ".env"), "AZURE_CLIENT_SECRET=not-a-real-one\n");
    writeFileSync(join(dir, "src", "mine.ts"), "export const mine = 1;\n");
    replaceFiles(dir, solutionFiles(exercise));
    expect(workspaceFiles(dir)).toEqual(stepSource(step));
  });

  it("speaks at its first runs as the step does: the step's own start-up error handling", () => {
    // A missing role at the first run is one line with the az fix, never "Unexpected start-up failure" and 7 raw lines.
    expect(problemFiles(exercise).get("src/startupError.ts")).toBe(stepSource(step).get("src/startupError.ts"));
  });

  it("leaves no hole in its hints: each setting the step adds is given with its schema, each dependency with its shape", () => {
    const hints = exercise.instructions.flatMap((instruction) => instruction.lines).join("\n");
    const settings = (from: string) =>
      new Set(
        [...(stepSource(from).get("src/config.ts") ?? "").matchAll(/^\s+([A-Z][A-Z0-9_]+): z\./gm)].map((m) => m[1]),
      );
    const before = settings(exercise.from);
    for (const name of settings(step))
      if (!before.has(name)) expect(hints, `the schema of ${name}`).toContain(`${name}: z.`);
    const dependencies = (from: string) =>
      new Set(
        [
          ...(
            /interface AppDependencies \{([^}]*)\}/.exec(stepSource(from).get("src/app.ts") ?? "")?.[1] ?? ""
          ).matchAll(/readonly (\w+):/g),
        ].map((m) => m[1]),
      );
    const had = dependencies(exercise.from);
    for (const name of dependencies(step))
      if (!had.has(name)) expect(hints, `the shape of ${name}`).toMatch(new RegExp(`${name}: \\{ \\w+\\(`));
  });

  it("grants roles the sandbox knows, on the vault or the queue", () => {
    expect(exercise.roles.length).toBeGreaterThan(0);
    for (const grant of exercise.roles)
      expect(["Key Vault Secrets User", "Storage Queue Data Message Sender"]).toContain(grant.role);
  });
});

describe("the pieces the exercises are made of", () => {
  it("an anchor must be in exactly one line", () => {
    const files = new Map([["src/a.ts", "one\ntwo\ntwo\n"]]);
    expect(() => applyInstructions(files, [{ file: "src/a.ts", before: "two", lines: ["// x"] }])).toThrow(
      /in 2 lines/,
    );
    expect(() => applyInstructions(files, [{ file: "src/a.ts", after: "three", lines: ["// x"] }])).toThrow(
      /in 0 lines/,
    );
    expect(
      applyInstructions(new Map([["src/a.ts", "  one\n"]]), [{ file: "src/a.ts", after: "one", lines: ["// x"] }]).get(
        "src/a.ts",
      ),
    ).toBe("  one\n  // x\n");
  });

  it("a diff names added and deleted files as git does", () => {
    const patch = diffFiles(new Map([[".env", "A=1\n"]]), new Map([["src/b.ts", "b\n"]]));
    expect(patch).toContain("diff --git a/.env b/.env\ndeleted file mode 100644");
    expect(patch).toContain("diff --git a/src/b.ts b/src/b.ts\nnew file mode 100644");
  });

  it("a .env is shown with its values masked", () => {
    expect(maskDotenv('AZURE_CLIENT_ID="abc"\nexport AZURE_CLIENT_SECRET=kls~secret\n# a comment\nEMPTY=\n')).toBe(
      "AZURE_CLIENT_ID=***\nexport AZURE_CLIENT_SECRET=***\n# a comment\nEMPTY=\n",
    );
  });

  it("a client secret is needed by code that requires or reads it, or a .env that sets it; not by a message or a comment", () => {
    const files = new Map([
      [
        "src/config.ts",
        '  AZURE_CLIENT_SECRET: z.string().min(1),\n  // AZURE_CLIENT_SECRET: gone\n  const hint = "set AZURE_CLIENT_SECRET";\n',
      ],
      ["src/other.ts", 'const s = process.env["AZURE_CLIENT_SECRET"];\nnew ClientSecretCredential(a, b, c);\n'],
      [".env", "# AZURE_CLIENT_SECRET=old\nAZURE_CLIENT_SECRET=x\n"],
    ]);
    expect(clientSecretUses(files).map((use) => `${use.file}:${use.line}`)).toEqual([
      "src/config.ts:1",
      "src/other.ts:1",
      "src/other.ts:2",
      ".env:2",
    ]);
  });

  it("roles: the lesson's at its scope or below are fine; another role, or a wider scope, is too wide", () => {
    const exercise = loadAppExercise("04");
    const vault = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv";
    const account = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a";
    const queue = `${account}/queueServices/default/queues/q`;
    const view: WorkspaceView = { apps: [], scopes: { vault, queue }, queueName: "q" };
    const app = (roles: WorkspaceAppState["roles"]) => ({ roles }) as WorkspaceAppState;
    const exact = compareRoles(
      exercise,
      app([
        { role: "Key Vault Secrets User", scope: `${vault}/secrets/k` },
        { role: "Storage Queue Data Message Sender", scope: queue },
      ]),
      view,
    );
    expect(exact).toEqual({ missing: [], tooWide: [], misScoped: [] });
    const wide = compareRoles(
      exercise,
      app([
        { role: "Key Vault Secrets User", scope: vault },
        { role: "Storage Queue Data Message Sender", scope: account },
        { role: "Storage Queue Data Contributor", scope: queue },
      ]),
      view,
    );
    expect(wide.tooWide.map((held) => held.role)).toEqual([
      "Storage Queue Data Message Sender",
      "Storage Queue Data Contributor",
    ]);
    expect(wide.missing).toEqual([{ role: "Storage Queue Data Message Sender", scope: queue }]);
  });
});

describe("a role the lesson gives, assigned beside its resource", () => {
  const exercise = loadAppExercise("03");
  const vault = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/keyless-kv";
  const typo = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/keyless-kvv";
  const view: WorkspaceView = { apps: [], scopes: { vault, queue: `${vault}/q` }, queueName: "q" };
  const app = (roles: WorkspaceAppState["roles"]) => ({ roles }) as WorkspaceAppState;

  it("is named as mis-scoped, not as too wide: on a scope that names nothing (a typo), or on another resource", () => {
    const typed = compareRoles(
      exercise,
      app([{ role: "Key Vault Secrets User", scope: typo, scopeExists: false }]),
      view,
    );
    expect(typed.tooWide).toEqual([]);
    expect(typed.missing).toEqual([{ role: "Key Vault Secrets User", scope: vault }]);
    expect(typed.misScoped).toHaveLength(1);
    const [found] = typed.misScoped;
    expect(found && misScopedText(found)).toBe(
      `Key Vault Secrets User is assigned on ${typo}, which is not the vault keyless-kv: no resource has that id (a typo?). A role counts on its scope and below it only.`,
    );
    const identity = { name: "keyless-workspace-03", objectId: "oid", appId: "", kind: "managed identity" } as const;
    const finding = misScopedFinding(identity, typed.misScoped);
    expect(finding.ok).toBe(false);
    expect(finding.hint).toEqual([
      "Grant it where it counts, and delete the one that grants nothing:",
      `  npm run --silent az -- role assignment create --assignee oid --role "Key Vault Secrets User" --scope ${vault}`,
      `  npm run --silent az -- role assignment delete --assignee oid --role "Key Vault Secrets User" --scope ${typo}`,
    ]);
    const elsewhere = compareRoles(
      exercise,
      app([{ role: "Key Vault Secrets User", scope: "/subscriptions/s/resourceGroups/other", scopeExists: true }]),
      view,
    );
    expect(elsewhere.misScoped.map(({ held }) => held.scope)).toEqual(["/subscriptions/s/resourceGroups/other"]);
    const [other] = elsewhere.misScoped;
    expect(other && misScopedText(other)).not.toContain("typo");
  });
});

describe("the commands", () => {
  const command = (file: string, ...args: string[]) =>
    new Promise<{ code: number; output: string }>((resolve) => {
      // A workspace of its own: these commands never touch the real one.
      const env = {
        ...process.env,
        KEYLESS_WORKSPACE_DIR: mkdtempSync(join(tmpdir(), "keyless-exercise-cli-")),
        NO_COLOR: "1",
      };
      temporary.push(env.KEYLESS_WORKSPACE_DIR);
      execFile(
        process.execPath,
        [...WITH_COMPILE_CACHE, file, ...args],
        { cwd: WORKSHOP, env },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      );
    });

  it.each([["src/commands/exercise.ts"], ["src/commands/progress.ts"]])("%s --help explains itself", async (file) => {
    const run = await command(file, "--help");
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/^Usage: npm run (exercise|progress) --/m);
  });

  it("a step without an exercise is a usage error that names the exercises", async () => {
    const run = await command("src/commands/exercise.ts", "01");
    expect(run.code).toBe(2);
    expect(run.output).toContain("Lesson 01 has no exercise: exercises are 02, 03, 04, 05");
  });

  it("npm run progress with nothing started: every exercise not started, and the next one named", async () => {
    const run = await command("src/commands/progress.ts");
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/lesson 02 .*not started: npm run exercise -- 02/);
    expect(run.output).toContain("Next: npm run exercise -- 02");
  });
});

describe("a lesson is one folder: its exercise is found, and its data is checked when read", () => {
  it("the exercises are the exercises/NN.json files, each a lesson of docs/", () => {
    expect(exerciseSteps()).toEqual(["02", "03", "04", "05"]);
    expect(appExerciseSteps()).toEqual(["02", "03", "04"]);
    const numbers = lessons().map((lesson) => lesson.number);
    for (const step of exerciseSteps()) expect(numbers).toContain(step);
    expect(lessons().find((lesson) => lesson.number === "05")).toMatchObject({
      name: "05-ship-it",
      hasExercise: true,
    });
    expect(lessons().find((lesson) => lesson.number === "05")?.step).toBeUndefined();
  });

  it.each([
    [
      "a field missing",
      { step: "07", kind: "app", title: "t", goal: "g", open: [], todo: ["x"] },
      "exercises/07.json: from: ",
    ],
    [
      "a field of the wrong shape",
      {
        step: "07",
        kind: "app",
        from: "06",
        signIn: "managedIdentity",
        title: "t",
        goal: "g",
        open: [],
        todo: ["x"],
        roles: [{ role: "Owner", scope: "subscription" }],
        instructions: [],
      },
      "exercises/07.json: roles.0.scope: ",
    ],
    ["a kind no grader knows", { step: "07", kind: "quiz" }, "exercises/07.json: kind: "],
    ["a field no grader reads", { step: "07", kind: "pipeline", typo: 1 }, "exercises/07.json: "],
  ])("%s is named by file and field", (_what, data, message) => {
    const dir = mkdtempSync(join(tmpdir(), "keyless-exercise-data-"));
    temporary.push(dir);
    writeFileSync(join(dir, "07.json"), JSON.stringify(data));
    expect(() => loadExercise("07", dir)).toThrow(message);
  });

  it("an exercise that says it is another is refused, and so is JSON that does not parse", () => {
    const dir = mkdtempSync(join(tmpdir(), "keyless-exercise-data-"));
    temporary.push(dir);
    writeFileSync(join(dir, "08.json"), readFileSync(new URL("../exercises/03.json", import.meta.url), "utf8"));
    expect(() => loadExercise("08", dir)).toThrow("exercises/08.json: step: it says it is exercise 03.");
    writeFileSync(join(dir, "09.json"), "{ not json");
    expect(() => loadExercise("09", dir)).toThrow(/^exercises\/09\.json cannot be read as JSON: /);
  });
});
