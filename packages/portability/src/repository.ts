/**
 * The repository as git holds it: its root folder, its files and how git stores them. The checks
 * read what a fresh clone on any system would get, so they ask git, not the folder on disk
 * (where node_modules, .sandbox and a learner's workspace also live).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** A file of the repository, as text. */
export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), "utf8");
}

function git(args: readonly string[]): string {
  return execFileSync("git", args, {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Why git cannot answer here, or undefined when it can: a download of the repository as a zip
 * has no `.git`, and a machine may have no git at all.
 */
export function whyNoGit(): string | undefined {
  try {
    git(["rev-parse", "--is-inside-work-tree"]);
    return undefined;
  } catch (error) {
    // git's own first line says which: "not a git repository", "detected dubious ownership"...
    const said = String((error as { stderr?: unknown }).stderr ?? "").split("\n")[0];
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "git is not installed" : said || "git failed";
    return `${reason} (the line-ending and tracked-file checks read what git stores)`;
  }
}

/** How git stores one tracked file and what it checked out (`git ls-files --eol`). */
export interface TrackedFile {
  readonly path: string;
  /** The line endings in git's copy: `lf`, `crlf`, `mixed`, `none` (no line break), `-text` (binary). */
  readonly index: string;
  /** The same for the checked-out file; "" when it is not checked out. */
  readonly worktree: string;
  /** The attributes .gitattributes gives it, as git prints them (`text=auto eol=lf`, `-text`). */
  readonly attributes: string;
}

/** Every file git tracks, with its line endings in git and on disk. */
export function trackedFiles(): TrackedFile[] {
  return git(["ls-files", "--eol", "-z"])
    .split("\0")
    .filter((entry) => entry !== "")
    .map(parseEolEntry);
}

/** One entry of `git ls-files --eol`: `i/lf    w/lf    attr/text=auto eol=lf \tpath`. */
export function parseEolEntry(entry: string): TrackedFile {
  const tab = entry.indexOf("\t");
  const info = entry.slice(0, tab);
  const field = (name: string) => /^(\S*)/.exec(info.slice(info.indexOf(`${name}/`) + name.length + 1))?.[1] ?? "";
  return {
    path: entry.slice(tab + 1),
    index: field("i"),
    worktree: field("w"),
    attributes: info.slice(info.indexOf("attr/") + "attr/".length).trim(),
  };
}

/** The tracked files whose path matches, e.g. every package.json. */
export function trackedPaths(matches: (path: string) => boolean): string[] {
  return trackedFiles()
    .map((file) => file.path)
    .filter(matches);
}
