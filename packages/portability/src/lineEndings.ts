/**
 * Line endings: every text file LF, in git and in the checkout, on every system. A CRLF
 * checkout breaks `.ci/run` ("bash\r: No such file or directory") and the steps' byte-identical
 * files; `.gitattributes` (`* text=auto eol=lf`) prevents it, and these checks prove it holds.
 */
import type { TrackedFile } from "./repository.ts";

/** The rule `.gitattributes` must open with: git decides what is text, and text is LF everywhere. */
export const LF_EVERYWHERE = "* text=auto eol=lf";

/** What is wrong with one tracked file's line endings, or undefined when nothing is. */
export function lineEndingProblem(file: TrackedFile): string | undefined {
  if (file.index === "crlf" || file.index === "mixed")
    return `${file.path}: stored with ${file.index === "crlf" ? "CRLF" : "mixed"} line endings (git add --renormalize .)`;
  if (file.worktree === "crlf" || file.worktree === "mixed")
    return `${file.path}: checked out with ${file.worktree === "crlf" ? "CRLF" : "mixed"} line endings (.gitattributes: ${LF_EVERYWHERE})`;
  // Binary content that git would still treat as text (diff it, or convert it on another rule) must be marked.
  if (file.index === "-text" && !/(^|\s)-text(\s|$)/.test(file.attributes))
    return `${file.path}: binary, but not marked binary in .gitattributes`;
  return undefined;
}

/** Whether a `.gitattributes` file has the LF rule as a line of its own. */
export function hasLfRule(gitattributes: string): boolean {
  return gitattributes.split(/\r?\n/).some((line) => line.trim().replace(/\s+/g, " ") === LF_EVERYWHERE);
}
