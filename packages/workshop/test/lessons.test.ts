/**
 * Every lesson keeps the shared headings in the same order (goal first, real
 * errors in Troubleshooting), and each lesson with an exercise has a "Your
 * turn" that says what to type and what the grader answers, right and wrong.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadExercise } from "../src/exercises/exercises.ts";
import { lessons as foundLessons } from "../src/layout/lessons.ts";
import { REPO_ROOT } from "../src/layout/repo.ts";

const HEADINGS = ["Goal", "Concept", "What changed", "Run", "Try it", "Verify", "Troubleshooting", "Next"];
/** The lessons that teach (a step to run, or an exercise); the wrap-up is neither. */
const taught = foundLessons().filter((lesson) => lesson.step || lesson.hasExercise);
const lessons = taught.map((lesson) => `${lesson.name}.md`);
const read = (name: string) => readFileSync(`${REPO_ROOT}docs/${name}`, "utf8");
const headings = (markdown: string) => [...markdown.matchAll(/^## (.+)$/gm)].map((match) => match[1]?.trim() ?? "");
const section = (markdown: string, title: string) =>
  markdown.split(/^## /m).find((part) => part.startsWith(`${title}\n`)) ?? "";

describe("the lessons", () => {
  it("are the four steps' and the deployment's, found from docs/", () => {
    expect(lessons).toEqual([
      "01-keys-in-code.md",
      "02-key-vault.md",
      "03-managed-identity.md",
      "04-queue.md",
      "05-ship-it.md",
    ]);
  });

  for (const name of lessons) {
    const step = name.slice(0, 2);
    it(`${name}: keeps the shared headings in order${step === "01" ? "" : ", with Your turn between Try it and Verify"}`, () => {
      const found = headings(read(name));
      const expected = step === "01" ? HEADINGS : [...HEADINGS.slice(0, 5), "Your turn", ...HEADINGS.slice(5)];
      // Other sections may sit between (lesson 03's "Same code, other hosts"); these come in this order.
      expect(found.filter((heading) => expected.includes(heading))).toEqual(expected);
    });
  }

  for (const name of lessons.filter((lesson) => !lesson.startsWith("01"))) {
    const step = name.slice(0, 2);
    it(`${name}: Your turn says what to type and what the check answers, right and wrong`, () => {
      const yours = section(read(name), "Your turn");
      expect(yours).toContain(`npm run exercise -- ${step}`);
      expect(yours).toContain(`npm run check -- ${step}`);
      const exercise = loadExercise(step);
      expect(yours).toMatch(
        exercise.kind === "app"
          ? /npm run --silent az -- role assignment create --assignee [0-9a-f-]{36} --role "/
          : /npm run --silent az -- role assignment create --assignee \$APP_ID --role "Website Contributor"/,
      );
      expect(yours).toContain(`✔ Exercise ${step} passes:`);
      expect(yours).toMatch(/^\s+✖ /m);
      expect(yours).toContain(`npm run exercise -- ${step} --solve`);
      // Only what the grader prints: every ✔/✖/! line quoted holds a piece of text from its source.
      const pieces = [
        "exercises/grade.ts",
        "commands/exercise.ts",
        "exercises/pipeline/judge.ts",
        "exercises/pipeline/grade.ts",
        "exercises/pipeline/command.ts",
      ]
        .map((file) => readFileSync(`${REPO_ROOT}packages/workshop/src/${file}`, "utf8"))
        .flatMap((source) => [...source.matchAll(/`([^`]*)`|"([^"\n]*)"/g)])
        .flatMap((match) => (match[1] ?? match[2] ?? "").split(/\$\{[^}]*\}/))
        .map((piece) => piece.trim())
        .filter((piece) => piece.length >= 12);
      const quoted = yours.split("\n").filter((text) => /^\s+[✔✖!] /.test(text));
      expect(quoted.length).toBeGreaterThan(3);
      for (const line of quoted)
        expect(
          pieces.some((piece) => line.includes(piece)),
          `not the grader's words: ${line.trim()}`,
        ).toBe(true);
    });
  }
});
