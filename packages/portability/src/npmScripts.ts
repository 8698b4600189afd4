/**
 * npm scripts that run on every laptop. npm runs a script with `sh` on Linux and macOS but with
 * `cmd.exe` on Windows (its `script-shell` setting), so a script may use only what both shells
 * read the same way: a program and its arguments in double quotes, `&&`, `||`, `|` and `>`.
 * Anything else works on the author's Mac and fails on a learner's Windows laptop.
 */

/** A construct that only one of the two shells understands, and what to write instead. */
interface ShellOnly {
  readonly pattern: RegExp;
  readonly reason: string;
}

/** Expansions: sh expands these inside double quotes too, so they are looked for everywhere. */
const EXPANSIONS: readonly ShellOnly[] = [
  { pattern: /\$\(|`/, reason: "command substitution ($(...) or `...`) is POSIX shell: compute it in a Node script" },
  {
    pattern: /\$\{?[A-Za-z_]/,
    reason: "$NAME reads a variable in sh only (cmd.exe writes %NAME%): read process.env in a Node script",
  },
  {
    pattern: /%[A-Za-z_][A-Za-z0-9_]*%/,
    reason: "%NAME% reads a variable in cmd.exe only: read process.env in a Node script",
  },
];

/** Syntax: looked for outside double-quoted arguments, which both shells pass through as they are. */
const SYNTAX: readonly ShellOnly[] = [
  {
    pattern: /(^|&&|\|\||;|\|)\s*[A-Za-z_][A-Za-z0-9_]*=/,
    reason: "NAME=value before a command sets a variable in sh only: pass the value as an argument",
  },
  { pattern: /(^|\s)export\s/, reason: "export is POSIX shell" },
  {
    pattern: /'/,
    reason: "single quotes quote nothing in cmd.exe (the program receives them, glob and all): use double quotes",
  },
  { pattern: /;/, reason: "; does not separate commands in cmd.exe: use &&" },
  { pattern: /(^|[^&>])&(?!&)/, reason: "a single & runs in the background in sh but chains commands in cmd.exe" },
  { pattern: /\/dev\/null/, reason: "/dev/null does not exist on Windows" },
  { pattern: /\\\n/, reason: "a backslash-newline continues a line in sh only" },
];

/** Programs that a POSIX system has and Windows does not (or has with other options). */
const POSIX_PROGRAMS = new Set([
  "awk",
  "bash",
  "cat",
  "chmod",
  "chown",
  "cp",
  "env",
  "false",
  "find",
  "grep",
  "head",
  "ln",
  "ls",
  "mv",
  "rm",
  "sed",
  "sh",
  "sleep",
  "source",
  "tail",
  "test",
  "touch",
  "true",
  "which",
  "xargs",
  "[",
]);

/** The script with each double-quoted argument emptied: what the shell itself reads. */
function unquoted(script: string): string {
  return script.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

/** The first word of each command in a script: what the shell runs. */
function commandWords(script: string): string[] {
  return unquoted(script)
    .split(/&&|\|\||[|;(]/)
    .map((command) => command.trim().split(/\s+/)[0] ?? "")
    .filter((word) => word !== "");
}

/**
 * Why `script` would not run the same under cmd.exe as under sh: one reason per construct it
 * uses that only a POSIX shell has; none for a portable script.
 */
export function shellOnlyReasons(script: string): string[] {
  const reasons = [
    ...EXPANSIONS.filter(({ pattern }) => pattern.test(script)),
    ...SYNTAX.filter(({ pattern }) => pattern.test(unquoted(script))),
  ].map(({ reason }) => reason);
  for (const word of commandWords(script)) {
    if (POSIX_PROGRAMS.has(word))
      reasons.push(`${word} is a POSIX program, not on Windows: do it in a Node script (node:fs, node:child_process)`);
    else if (word.startsWith("./") || word.endsWith(".sh"))
      reasons.push(`${word} runs a file by its shebang, which cmd.exe ignores: run it with node`);
  }
  if (/(^|&&|\|\|)\s*mkdir\s+-p\b/.test(unquoted(script))) reasons.push("mkdir -p is POSIX: cmd.exe's mkdir has no -p");
  return reasons;
}
