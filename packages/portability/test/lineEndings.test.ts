/**
 * Every text file has LF endings, in git and in the checkout, whatever system checked it out:
 * `.gitattributes` says so, and git's own view of every tracked file (`git ls-files --eol`)
 * proves it. On a Windows runner this reads a real Windows checkout.
 */
import { describe, expect, it } from "vitest";
import {
  hasLfRule,
  LF_EVERYWHERE,
  lineEndingProblem,
  parseEolEntry,
  readRepoFile,
  trackedFiles,
  whyNoGit,
} from "../src/index.ts";

const noGit = whyNoGit();
if (noGit && !process.env["CI"])
  console.warn(`Skipping the line-ending checks: ${noGit}. With CI set, this fails instead.`);
if (noGit && process.env["CI"]) {
  it("has git and a git checkout for the line-ending checks", () => {
    throw new Error(`The line-ending checks cannot run: ${noGit}.`);
  });
}

describe("how git reads a file's line endings", () => {
  const entry = (index: string, worktree: string, attributes: string, path: string) =>
    parseEolEntry(`i/${index.padEnd(6)}w/${worktree.padEnd(6)}attr/${attributes.padEnd(22)}\t${path}`);

  it("reads git ls-files --eol: the endings in git, in the checkout, the attributes and the path", () => {
    expect(entry("lf", "crlf", "text=auto eol=lf", "docs/a b.md")).toEqual({
      path: "docs/a b.md",
      index: "lf",
      worktree: "crlf",
      attributes: "text=auto eol=lf",
    });
    expect(parseEolEntry("i/lf    w/        attr/                 \tgone.ts")).toMatchObject({
      worktree: "",
      attributes: "",
    });
  });

  it("accepts LF, a file with no line break, and a binary file marked binary", () => {
    expect(lineEndingProblem(entry("lf", "lf", "text=auto eol=lf", "a.ts"))).toBeUndefined();
    expect(lineEndingProblem(entry("none", "none", "text=auto eol=lf", "empty.txt"))).toBeUndefined();
    expect(lineEndingProblem(entry("-text", "-text", "-text", "shot.png"))).toBeUndefined();
  });

  it("refuses CRLF or mixed endings in git or in the checkout, and binary content not marked binary", () => {
    expect(lineEndingProblem(entry("crlf", "crlf", "", "run"))).toMatch(/run: stored with CRLF/);
    expect(lineEndingProblem(entry("mixed", "mixed", "", "a.md"))).toMatch(/a\.md: stored with mixed/);
    expect(lineEndingProblem(entry("lf", "crlf", "text", "run"))).toMatch(/run: checked out with CRLF/);
    expect(lineEndingProblem(entry("-text", "-text", "text=auto eol=lf", "state.bin"))).toMatch(
      /state\.bin: binary, but not marked binary/,
    );
  });

  it("finds the LF rule in .gitattributes only as a line of its own", () => {
    expect(hasLfRule(`# why\n${LF_EVERYWHERE}\n*.png binary\n`)).toBe(true);
    expect(hasLfRule("*   text=auto   eol=lf\r\n")).toBe(true);
    expect(hasLfRule("# * text=auto eol=lf\n* text=auto\n")).toBe(false);
  });
});

describe.skipIf(noGit)("this repository's line endings", () => {
  it(`.gitattributes makes every text file LF on every system (${LF_EVERYWHERE})`, () => {
    expect(hasLfRule(readRepoFile(".gitattributes"))).toBe(true);
  });

  it("every tracked text file has LF endings, in git and in this checkout; every binary file is marked binary", () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((file) => lineEndingProblem(file) ?? [])).toEqual([]);
  });
});
