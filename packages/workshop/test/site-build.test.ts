import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../src/layout/repo.ts";
import { buildSite } from "../src/site/build.ts";
import { readLessons, renderMarkdown, toHtmlLink } from "../src/site/lessons.ts";
import { findStep } from "../src/layout/stepFolders.ts";

const scratch = mkdtempSync(join(tmpdir(), "keyless-site-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("lessons", () => {
  it("are read in order: the introduction, the numbered lessons, then the guides", () => {
    const lessons = readLessons(`${REPO_ROOT}docs`);
    expect(lessons[0]?.source).toBe("index.md");
    const numbered = lessons.filter((lesson) => /^\d/.test(lesson.source)).map((lesson) => lesson.source);
    expect(numbered).toEqual([...numbered].sort());
    expect(lessons.at(-1)?.kind).toBe("guide");
    for (const lesson of lessons) expect(lesson.title, lesson.source).not.toBe(lesson.source.replace(/\.md$/, ""));
  });

  it("link to each other's pages, not to the markdown", () => {
    expect(toHtmlLink("02-key-vault.md")).toBe("02-key-vault.html");
    expect(toHtmlLink("./02-key-vault.md#run")).toBe("./02-key-vault.html#run");
    expect(toHtmlLink("https://example.org/readme.md")).toBe("https://example.org/readme.md");
    expect(toHtmlLink("#goal")).toBe("#goal");
    expect(renderMarkdown("See [step 02](02-key-vault.md).")).toContain('<a href="02-key-vault.html">step 02</a>');
  });

  it("give headings anchors, unique within a page", () => {
    const html = renderMarkdown("## Run\n\n## Run\n");
    expect(html).toContain('<h2 id="run">');
    expect(html).toContain('<h2 id="run-1">');
  });
});

describe("the site", () => {
  it("renders every lesson, with the real diff where a lesson asks for one", async () => {
    const outDir = join(scratch, "full");
    const site = await buildSite({ outDir });
    expect(site.pages).toEqual(readLessons(`${REPO_ROOT}docs`).map((lesson) => lesson.href));
    expect(existsSync(join(outDir, "assets/diff2html.min.css"))).toBe(true);
    expect(existsSync(join(outDir, "assets/site.css"))).toBe(true);
    const lesson01 = readFileSync(join(outDir, "01-keys-in-code.html"), "utf8");
    expect(lesson01).toContain("steps/01-keys-in-code/src/thirdPartyKey.ts");
    expect(lesson01).toContain("THIRD_PARTY_API_KEY");
    const withDiff = site.pages.filter((page) =>
      readFileSync(join(outDir, page), "utf8").includes('class="d2h-wrapper'),
    );
    expect(withDiff.length).toBeGreaterThan(0);
    // Lesson 03: the taught files in the diff, start-up diagnostics folded under their own summary; no Markdown copy.
    const lesson03 = readFileSync(join(outDir, "03-managed-identity.html"), "utf8");
    const folded = lesson03.indexOf(
      '<details class="supporting-files"><summary>Supporting files, not the lesson: start-up diagnostics (src/startupError.ts)</summary>',
    );
    expect(folded).toBeGreaterThan(lesson03.indexOf("src/config.ts"));
    expect(lesson03.indexOf("startupError.ts", lesson03.indexOf('class="lesson-diff"'))).toBeGreaterThanOrEqual(folded);
    expect(lesson03).not.toContain('class="language-diff"');
    expect(lesson03).not.toContain("keyless:diff");
  });

  it("says when a lesson's step is not in the checkout yet, instead of failing", async () => {
    const stepsDir = join(scratch, "steps");
    const step01 = findStep("01");
    mkdirSync(stepsDir, { recursive: true });
    cpSync(`${step01.dir}/src`, join(stepsDir, step01.name, "src"), { recursive: true });
    const docsDir = join(scratch, "docs");
    mkdirSync(docsDir, { recursive: true });
    writeFileSync(join(docsDir, "index.md"), "# Home\n\n[Next](02-key-vault.md)\n");
    writeFileSync(join(docsDir, "02-key-vault.md"), "# Step 02\n\n<!-- keyless:diff 01 02 -->\n");
    const outDir = join(scratch, "partial");
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "removed-lesson.html"), "stale");

    await buildSite({ outDir, docsDir, stepsDir });

    expect(readFileSync(join(outDir, "02-key-vault.html"), "utf8")).toContain("(step 02 is not in this checkout yet)");
    expect(readFileSync(join(outDir, "index.html"), "utf8")).toContain('<a href="02-key-vault.html">Next</a>');
    expect(existsSync(join(outDir, "removed-lesson.html"))).toBe(false);
  });
});
