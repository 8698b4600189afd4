/**
 * Builds the documentation site in `site/`: every `docs/*.md` as a page with
 * a shared layout, the real step diffs rendered in it, and the API reference
 * that typedoc writes to `site/api/` (`npm run docs`, commands/docs.ts, runs
 * typedoc first).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT } from "../layout/repo.ts";
import { stepFolders } from "../layout/stepFolders.ts";
import { expandDirectives } from "./directives.ts";
import { API_REFERENCE, page } from "./layout.ts";
import { readLessons, renderMarkdown } from "./lessons.ts";

export interface SiteOptions {
  /** Where to write the site; `site/` at the repository root by default. */
  readonly outDir?: string;
  /** Where the lessons' markdown is; `docs/` by default. */
  readonly docsDir?: string;
  /** Where the steps are; `steps/` by default. */
  readonly stepsDir?: string;
}

export interface BuiltSite {
  readonly outDir: string;
  /** The pages written, e.g. `01-keys-in-code.html`. */
  readonly pages: readonly string[];
  /** False when typedoc has not written `api/` yet: the nav's "API reference" link would be broken. */
  readonly hasApiReference: boolean;
}

export async function buildSite(options: SiteOptions = {}): Promise<BuiltSite> {
  const outDir = options.outDir ?? join(REPO_ROOT, "site");
  const lessons = readLessons(options.docsDir ?? join(REPO_ROOT, "docs"));
  const steps = stepFolders(options.stepsDir);

  mkdirSync(join(outDir, "assets"), { recursive: true });
  // Pages of lessons that were renamed or removed must not linger; api/ is typedoc's.
  for (const name of readdirSync(outDir)) if (name.endsWith(".html")) rmSync(join(outDir, name));
  const require = createRequire(import.meta.url);
  copyFileSync(require.resolve("diff2html/bundles/css/diff2html.min.css"), join(outDir, "assets", "diff2html.min.css"));
  copyFileSync(new URL("site.css", import.meta.url), join(outDir, "assets", "site.css"));

  await Promise.all(
    lessons.map(async (lesson) => {
      const body = await expandDirectives(renderMarkdown(lesson.markdown), steps);
      writeFileSync(join(outDir, lesson.href), page(lesson, body, lessons));
    }),
  );
  return {
    outDir,
    pages: lessons.map((lesson) => lesson.href),
    hasApiReference: existsSync(join(outDir, API_REFERENCE)),
  };
}
