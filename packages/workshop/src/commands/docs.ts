/**
 * `npm run docs`: the documentation site in `site/`: typedoc's API reference
 * first (`site/api/`, as `typedoc.json` says), then every lesson (`docs/*.md`)
 * as a page, with the steps' real diffs rendered in it.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { Command } from "commander";
import { REPO_ROOT } from "../layout/repo.ts";
import { buildSite } from "../site/build.ts";
import { API_REFERENCE } from "../site/layout.ts";
import { runCommand } from "../terminal/runCommand.ts";

/** typedoc's own command line, run by this Node: no shell, so the same on every system. */
const TYPEDOC = join(dirname(createRequire(import.meta.url).resolve("typedoc/package.json")), "bin", "typedoc");

const program = new Command("npm run docs --")
  .description("Build the documentation site in site/: the lessons, with the steps' real diffs, and the API reference.")
  .action(async () => {
    const typedoc = spawnSync(process.execPath, [TYPEDOC], { cwd: REPO_ROOT, stdio: "inherit" });
    if (typedoc.status !== 0) throw new Error("typedoc did not write the API reference: its messages are above.");
    const started = performance.now();
    const site = await buildSite();
    if (!site.hasApiReference) throw new Error(`typedoc wrote no ${API_REFERENCE}: check typedoc.json's "out".`);
    const where = relative(REPO_ROOT, site.outDir).replaceAll("\\", "/") || ".";
    console.log(
      `Built ${site.pages.length} pages in ${Math.round(performance.now() - started)} ms: ${where}/index.html`,
    );
  });

await runCommand(program);
