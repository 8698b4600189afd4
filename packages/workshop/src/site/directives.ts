/**
 * Lessons show the real code, read at build time, so a lesson can never
 * drift from the steps. A markdown file asks for it with an HTML comment:
 *
 *   <!-- keyless:diff 02 03 -->                    the diff of src/ from step 02 to step 03
 *   <!-- keyless:file 01 src/thirdPartyKey.ts -->  one file of a step
 *
 * In the lessons each marker opens a block that `npm run diff -- --update-docs`
 * fills with the same code as Markdown, for GitHub (see lessonBlocks.ts); the
 * site replaces the whole block with its own rendering.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { html as diffToHtml } from "diff2html";
import { ColorSchemeType } from "diff2html/lib/types.js";
import { describeSupporting, lessonDiff, type FilePatch } from "../lessons/diff.ts";
import { BLOCK } from "../lessons/lessonBlocks.ts";
import type { StepFolder } from "../layout/stepFolders.ts";

export async function expandDirectives(html: string, steps: readonly StepFolder[]): Promise<string> {
  const replacements = await Promise.all(
    [...html.matchAll(BLOCK)].map(
      async ([comment, name, args]) => [comment, await expand(name ?? "", (args ?? "").split(/\s+/), steps)] as const,
    ),
  );
  let expanded = html;
  for (const [comment, replacement] of replacements) expanded = expanded.replace(comment, () => replacement);
  return expanded;
}

async function expand(name: string, args: string[], steps: readonly StepFolder[]): Promise<string> {
  if (name === "diff" && args.length === 2) return stepDiffHtml(args[0] ?? "", args[1] ?? "", steps);
  if (name === "file" && args.length === 2) return stepFileHtml(args[0] ?? "", args[1] ?? "", steps);
  throw new Error(
    `Unknown directive keyless:${name} ${args.join(" ")}: use keyless:diff <from> <to> or keyless:file <step> <path>.`,
  );
}

async function stepDiffHtml(from: string, to: string, steps: readonly StepFolder[]): Promise<string> {
  const [before, after] = [find(steps, from), find(steps, to)];
  if (!before || !after) return missingStep(!before ? from : to);
  const { taught, supporting } = await lessonDiff(join(before.dir, "src"), join(after.dir, "src"));
  const caption = `What changes in <code>src/</code> from step ${from} to step ${to}. In your terminal: <code>npm run diff -- ${from} ${to}</code>`;
  if (taught.length + supporting.length === 0)
    return `<p class="note">Steps ${from} and ${to} have the same source.</p>`;
  const render = (patches: readonly FilePatch[]) =>
    diffToHtml(patches.map(({ patch }) => patch).join(""), {
      outputFormat: "line-by-line",
      drawFileList: true,
      matching: "lines",
      colorScheme: ColorSchemeType.AUTO,
    });
  // The taught files first; the files that only support the lesson folded away under their own heading.
  const folded =
    supporting.length === 0
      ? ""
      : `\n<details class="supporting-files"><summary>Supporting files, not the lesson: ${escapeHtml(describeSupporting(supporting))}</summary>\n${render(supporting)}\n</details>`;
  return `<figure class="lesson-diff"><figcaption>${caption}</figcaption>\n${taught.length > 0 ? render(taught) : ""}${folded}\n</figure>`;
}

function stepFileHtml(step: string, path: string, steps: readonly StepFolder[]): string {
  const folder = find(steps, step);
  if (!folder) return missingStep(step);
  const file = join(folder.dir, path);
  if (!existsSync(file)) throw new Error(`keyless:file ${step} ${path}: there is no steps/${folder.name}/${path}.`);
  const language = /\.(\w+)$/.exec(path)?.[1] ?? "text";
  return (
    `<figure class="source-file"><figcaption><code>steps/${folder.name}/${escapeHtml(path)}</code></figcaption>` +
    `<pre><code class="language-${language}">${escapeHtml(readFileSync(file, "utf8"))}</code></pre></figure>`
  );
}

function find(steps: readonly StepFolder[], step: string): StepFolder | undefined {
  return steps.find((folder) => folder.step === step);
}

/** Lessons are written ahead of their steps: the site still builds, and says so. */
function missingStep(step: string): string {
  return `<p class="note missing-step">(step ${step} is not in this checkout yet)</p>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
