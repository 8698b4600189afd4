/**
 * The code in the lessons' Markdown (generated blocks, so that GitHub shows
 * it too) is the code of the steps: a step that changes without its lesson
 * fails here, and `npm run diff -- --update-docs` is the fix.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BLOCK, staleLessons, updateBlocks, updateLessons } from "../src/lessons/lessonBlocks.ts";
import { REPO_ROOT } from "../src/layout/repo.ts";
import { findStep, stepFolders } from "../src/layout/stepFolders.ts";

const scratch = mkdtempSync(join(tmpdir(), "keyless-blocks-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Steps 02 and 03 copied, for a lesson to be made stale without touching the real steps. */
function copySteps(): { stepsDir: string; docsDir: string } {
  const stepsDir = join(scratch, "steps");
  for (const step of ["02", "03"]) {
    const folder = findStep(step);
    cpSync(`${folder.dir}/src`, join(stepsDir, folder.name, "src"), { recursive: true });
  }
  const docsDir = join(scratch, "docs");
  mkdirSync(docsDir, { recursive: true });
  return { stepsDir, docsDir };
}

describe("the lessons' generated code blocks", () => {
  it("are current: every diff and file in docs/ is what the steps hold now", async () => {
    const stale = await staleLessons(`${REPO_ROOT}docs`, stepFolders());
    expect(stale, `stale: ${stale.join(", ")}. Run npm run diff -- --update-docs and commit the lessons.`).toEqual([]);
  });

  it("close every marker they open, in every lesson that shows a diff", () => {
    for (const name of ["02-key-vault.md", "03-managed-identity.md", "04-queue.md"]) {
      const markdown = readFileSync(`${REPO_ROOT}docs/${name}`, "utf8");
      const blocks = [...markdown.matchAll(BLOCK)];
      expect(blocks.length, name).toBeGreaterThan(0);
      for (const block of blocks) expect(block[3], `${name}: ${block[0].slice(0, 40)}`).toBeDefined();
    }
  });

  it("show the taught files as one diff first, the supporting files folded under their own heading", async () => {
    const markdown = await updateBlocks("<!-- keyless:diff 02 03 -->\n", stepFolders());
    const diff = markdown.indexOf("```diff\ndiff --git a/src/config.ts");
    const folded = markdown.indexOf(
      "<details>\n<summary>Supporting files, not the lesson: start-up diagnostics (<code>src/startupError.ts</code>)</summary>",
    );
    expect(diff).toBeGreaterThan(0);
    expect(folded).toBeGreaterThan(diff);
    expect(markdown.slice(folded)).toContain("diff --git a/src/startupError.ts b/src/startupError.ts");
    expect(markdown.slice(0, folded)).not.toContain("src/startupError.ts b/");
    expect(markdown.trimEnd().endsWith("</details>\n\n<!-- /keyless:diff -->")).toBe(true);
  });

  it("go stale when a step changes, and npm run diff -- --update-docs makes them current again", async () => {
    const { stepsDir, docsDir } = copySteps();
    const steps = stepFolders(stepsDir);
    writeFileSync(join(docsDir, "03.md"), "# Step 03\n\nBefore.\n\n<!-- keyless:diff 02 03 -->\n\nAfter.\n");
    writeFileSync(join(docsDir, "other.md"), "# No blocks\n");
    expect(await staleLessons(docsDir, steps)).toEqual(["03.md"]);
    expect(await updateLessons(docsDir, steps)).toEqual(["03.md"]);
    expect(await staleLessons(docsDir, steps)).toEqual([]);
    const current = readFileSync(join(docsDir, "03.md"), "utf8");
    expect(current.startsWith("# Step 03\n\nBefore.\n\n<!-- keyless:diff 02 03 -->\n")).toBe(true);
    expect(current.endsWith("<!-- /keyless:diff -->\n\nAfter.\n")).toBe(true);

    const config = join(stepsDir, findStep("03").name, "src/config.ts");
    writeFileSync(config, `${readFileSync(config, "utf8")}// a change the lesson does not show yet\n`);
    expect(await staleLessons(docsDir, steps)).toEqual(["03.md"]);
    await updateLessons(docsDir, steps);
    expect(readFileSync(join(docsDir, "03.md"), "utf8")).toContain("+// a change the lesson does not show yet");
  });

  it("fence code with more backticks than it holds, so no line of a step can end the block", async () => {
    const { stepsDir } = copySteps();
    const file = join(stepsDir, findStep("03").name, "src/withFence.ts");
    writeFileSync(file, "const markdown = `\n```\ncode\n```\n`;\n");
    const markdown = await updateBlocks("<!-- keyless:file 03 src/withFence.ts -->", stepFolders(stepsDir));
    expect(markdown).toContain("````ts\nconst markdown");
    expect(markdown).toContain("`;\n````");
  });
});
