/**
 * The code a lesson shows, written into its Markdown between markers, so that
 * it renders on GitHub as well as on the documentation site:
 *
 *   <!-- keyless:diff 02 03 --> … <!-- /keyless:diff -->                    the diff of src/ from step 02 to step 03
 *   <!-- keyless:file 01 src/thirdPartyKey.ts --> … <!-- /keyless:file -->  one file of a step
 *
 * What lies between the markers is generated from the steps:
 * `npm run diff -- --update-docs` rewrites it, and a test fails when a step
 * changed and a lesson's copy did not. A marker with no closing marker is
 * filled in by the next update. The site reads the same markers and shows
 * its own rendering in their place.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeSupporting, lessonDiff, summarizeDiff, type FilePatch } from "./diff.ts";
import type { StepFolder } from "../layout/stepFolders.ts";

/** A block: its kind, its arguments, and (when closed) the generated text between the markers. */
export const BLOCK =
  /<!--\s*keyless:(\w+)\s+([^>]*?)\s*-->(?:((?:(?!<!--\s*\/?keyless:)[\s\S])*?)<!--\s*\/keyless:\1\s*-->)?/g;

/** The line under each opening marker, for whoever edits the Markdown by hand. */
const GENERATED_NOTE =
  "<!-- Generated from steps/ by npm run diff -- --update-docs: edit the steps, not this block. -->";

/** A fenced block that no line of `text` can close: one backtick longer than its longest run. */
function fence(language: string, text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const marks = "`".repeat(longest + 1);
  return `${marks}${language}\n${text.endsWith("\n") ? text : `${text}\n`}${marks}`;
}

function plusMinus(patches: readonly FilePatch[]): string {
  return summarizeDiff(patches.map(({ patch }) => patch).join(""))
    .map(
      (change) =>
        `\`${change.file}\` (${change.status === "changed" ? "" : `${change.status}, `}+${change.added} −${change.removed})`,
    )
    .join(", ");
}

/** The Markdown between the markers of `<!-- keyless:<kind> <args> -->`. */
export async function generateBlock(
  kind: string,
  args: readonly string[],
  steps: readonly StepFolder[],
): Promise<string> {
  const find = (step: string) => steps.find((folder) => folder.step === step);
  if (kind === "diff" && args.length === 2) {
    const [from = "", to = ""] = args;
    const [before, after] = [find(from), find(to)];
    if (!before || !after) return `(step ${!before ? from : to} is not in this checkout yet)`;
    const { taught, supporting } = await lessonDiff(join(before.dir, "src"), join(after.dir, "src"));
    if (taught.length + supporting.length === 0) return `Steps ${from} and ${to} have the same source.`;
    const parts = [
      `What changes in \`src/\` from step ${from} to step ${to} (in your terminal: \`npm run diff -- ${from} ${to}\`): ${plusMinus(taught)}.`,
    ];
    if (taught.length > 0) parts.push(fence("diff", taught.map(({ patch }) => patch).join("")));
    if (supporting.length > 0) {
      parts.push(
        `<details>\n<summary>Supporting files, not the lesson: ${describeSupporting(supporting).replace(/\(([^)]*)\)/, "(<code>$1</code>)")}</summary>`,
        fence("diff", supporting.map(({ patch }) => patch).join("")),
        "</details>",
      );
    }
    return parts.join("\n\n");
  }
  if (kind === "file" && args.length === 2) {
    const [step = "", path = ""] = args;
    const folder = find(step);
    if (!folder) return `(step ${step} is not in this checkout yet)`;
    const file = join(folder.dir, path);
    if (!existsSync(file)) throw new Error(`keyless:file ${step} ${path}: there is no steps/${folder.name}/${path}.`);
    return `\`steps/${folder.name}/${path}\`:\n\n${fence(/\.(\w+)$/.exec(path)?.[1] ?? "text", readFileSync(file, "utf8"))}`;
  }
  throw new Error(
    `Unknown block keyless:${kind} ${args.join(" ")}: use keyless:diff <from> <to> or keyless:file <step> <path>.`,
  );
}

/** The Markdown with every block generated afresh from the steps. */
export async function updateBlocks(markdown: string, steps: readonly StepFolder[]): Promise<string> {
  const blocks = [...markdown.matchAll(BLOCK)];
  const fresh = await Promise.all(
    blocks.map(async ([, kind = "", args = ""]) => {
      const text = await generateBlock(kind, args.split(/\s+/), steps);
      return `<!-- keyless:${kind} ${args} -->\n${GENERATED_NOTE}\n\n${text}\n\n<!-- /keyless:${kind} -->`;
    }),
  );
  let index = 0;
  return markdown.replace(BLOCK, () => fresh[index++] ?? "");
}

/** The lessons whose blocks are not what the steps give now: `docs/<name>.md` names. */
export async function staleLessons(docsDir: string, steps: readonly StepFolder[]): Promise<string[]> {
  const stale: string[] = [];
  for (const name of lessonFiles(docsDir)) {
    const markdown = readFileSync(join(docsDir, name), "utf8");
    if ((await updateBlocks(markdown, steps)) !== markdown) stale.push(name);
  }
  return stale;
}

/** Rewrites the blocks of every lesson; returns the names of the files that changed. */
export async function updateLessons(docsDir: string, steps: readonly StepFolder[]): Promise<string[]> {
  const changed: string[] = [];
  for (const name of lessonFiles(docsDir)) {
    const markdown = readFileSync(join(docsDir, name), "utf8");
    const updated = await updateBlocks(markdown, steps);
    if (updated !== markdown) {
      writeFileSync(join(docsDir, name), updated);
      changed.push(name);
    }
  }
  return changed;
}

function lessonFiles(docsDir: string): string[] {
  return readdirSync(docsDir)
    .filter((name) => name.endsWith(".md"))
    .sort();
}
