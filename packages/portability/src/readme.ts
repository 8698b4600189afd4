/**
 * The commands the documentation gives, read from the Markdown itself, so that CI, `.ci/run` and
 * the dev container can be checked against exactly what a learner is told to type.
 */

/** The lines of the first fenced code block after the heading `heading` (e.g. "## Run the tests"). */
export function codeBlockUnder(markdown: string, heading: string): string[] {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`No heading "${heading}"`);
  const open = lines.findIndex((line, index) => index > start && line.startsWith("```"));
  const close = lines.findIndex((line, index) => index > open && line.startsWith("```"));
  if (open < 0 || close < 0) throw new Error(`No code block under "${heading}"`);
  return lines
    .slice(open + 1, close)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The commands a shell script runs with npm (`npm ci || { ... }` counts as `npm ci`). */
export function npmCommandsOfScript(script: string): string[] {
  return script
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("npm "))
    .map((line) => line.split(/\s*(?:\|\||&&|;|\|)\s*/)[0] ?? line);
}
