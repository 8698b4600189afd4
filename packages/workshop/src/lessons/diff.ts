/**
 * The lesson diff: what changed in the app's source between two steps.
 *
 * Every step is a complete app and files that a lesson does not touch are
 * byte-identical copies, so this diff shows only the idea the lesson teaches.
 * Only `src/` is compared: tests and package files are not the lesson.
 */
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { styleText } from "node:util";
import { join, relative } from "node:path";
import { formatPatch, parsePatch, structuredPatch, type StructuredPatch } from "diff";
import type { StepNumber } from "@keyless/app-process";
import { findStep } from "../layout/stepFolders.ts";

/** Lines of unchanged code shown around each change, as git shows them. */
const CONTEXT_LINES = 3;

/** The unified diff (git style, `a/src/...` and `b/src/...`) of step `a`'s source to step `b`'s. */
export async function stepDiff(a: StepNumber, b: StepNumber): Promise<string> {
  return diffSources(join(findStep(a).dir, "src"), join(findStep(b).dir, "src"));
}

/** The unified diff of two source folders, every file: added, removed and changed. */
export async function diffSources(oldDir: string, newDir: string): Promise<string> {
  return (await filePatches(oldDir, newDir)).map(({ patch }) => patch).join("");
}

/** One changed file and its unified diff. */
export interface FilePatch {
  /** The file's path in the step, e.g. `src/server.ts`. */
  readonly file: string;
  readonly patch: string;
}

/** Each file that differs between two source folders, with its diff, by path. */
export async function filePatches(oldDir: string, newDir: string): Promise<FilePatch[]> {
  const oldFiles = listFiles(oldDir);
  const newFiles = listFiles(newDir);
  const files = [...new Set([...oldFiles, ...newFiles])].sort();
  const patches = await Promise.all(
    files.map(async (file) => {
      const before = oldFiles.includes(file) ? await readFile(join(oldDir, file), "utf8") : undefined;
      const after = newFiles.includes(file) ? await readFile(join(newDir, file), "utf8") : undefined;
      const patch = filePatch(`src/${file}`, before, after);
      return patch === undefined ? undefined : { file: `src/${file}`, patch };
    }),
  );
  return patches.filter((patch) => patch !== undefined);
}

/**
 * Files that change with a lesson without being its subject: what they are
 * for, in a few words. Lessons show them after the taught files, collapsed
 * (the job epicshop's `.diffignore` does).
 */
export const SUPPORTING_FILES: Readonly<Record<string, string>> = {
  "src/startupError.ts": "start-up diagnostics",
  "src/homePage.ts": "page text",
};

/** A lesson's diff: the files it teaches, then the files that only support it. */
export interface LessonDiff {
  readonly taught: readonly FilePatch[];
  readonly supporting: readonly FilePatch[];
}

/** The diff between two steps' `src/` folders, split into taught and supporting files. */
export async function lessonDiff(oldDir: string, newDir: string): Promise<LessonDiff> {
  const patches = await filePatches(oldDir, newDir);
  return {
    taught: patches.filter(({ file }) => !(file in SUPPORTING_FILES)),
    supporting: patches.filter(({ file }) => file in SUPPORTING_FILES),
  };
}

function filePatch(path: string, before: string | undefined, after: string | undefined): string | undefined {
  if (before === after) return undefined;
  const patch: StructuredPatch = {
    ...structuredPatch(
      before === undefined ? "/dev/null" : `a/${path}`,
      after === undefined ? "/dev/null" : `b/${path}`,
      before ?? "",
      after ?? "",
      undefined,
      undefined,
      { context: CONTEXT_LINES },
    ),
    isGit: true,
  };
  if (before === undefined) Object.assign(patch, { isCreate: true, newMode: "100644" });
  if (after === undefined) Object.assign(patch, { isDelete: true, oldMode: "100644" });
  return formatPatch(patch);
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).replaceAll("\\", "/"));
}

/** "start-up diagnostics (src/startupError.ts)": what the supporting files of a diff are for. */
export function describeSupporting(files: readonly FilePatch[]): string {
  const purposes = [...new Set(files.map(({ file }) => SUPPORTING_FILES[file] ?? "other"))];
  return `${purposes.join(", ")} (${files.map(({ file }) => file).join(", ")})`;
}

/** One file's change, for the summary above a diff. */
export interface FileChange {
  readonly file: string;
  readonly status: "added" | "removed" | "changed";
  readonly added: number;
  readonly removed: number;
}

export function summarizeDiff(patchText: string): FileChange[] {
  if (!patchText) return [];
  return parsePatch(patchText).map((patch) => {
    const lines = patch.hunks.flatMap((hunk) => hunk.lines);
    return {
      file: (patch.isDelete ? patch.oldFileName : patch.newFileName)?.replace(/^[ab]\//, "") ?? "",
      status: patch.isCreate ? "added" : patch.isDelete ? "removed" : "changed",
      added: lines.filter((line) => line.startsWith("+")).length,
      removed: lines.filter((line) => line.startsWith("-")).length,
    };
  });
}

type Style = Parameters<typeof styleText>[0];

/**
 * The diff in terminal colours. `styleText` checks the stream: no colours in
 * a pipe or a file, nor with NO_COLOR; FORCE_COLOR turns them back on.
 */
export function colorizeDiff(patchText: string, stream: NodeJS.WritableStream = process.stdout): string {
  const paint = (style: Style, text: string) => styleText(style, text, { stream });
  return patchText
    .split("\n")
    .map((line) => {
      if (/^(diff --git|new file mode|deleted file mode|--- |\+\+\+ )/.test(line)) return paint("bold", line);
      if (line.startsWith("@@")) return paint("cyan", line);
      if (line.startsWith("+")) return paint("green", line);
      if (line.startsWith("-")) return paint("red", line);
      if (line.startsWith("\\")) return paint("dim", line);
      return line;
    })
    .join("\n");
}
