/**
 * Whether GitHub would start the workflow for an event: its `on:` names the
 * event, and the branch passes the event's `branches` / `branches-ignore`
 * filters (patterns with `*`, `**`, `?` and `!` negations, as GitHub reads
 * them). For `pull_request`, the branches filter reads the base branch.
 */
import type { Workflow } from "./workflow.ts";

/** The events the rehearsal plays. */
export const EVENTS = ["push", "pull_request", "workflow_dispatch"] as const;
export type EventName = (typeof EVENTS)[number];

/** A filter pattern as a regular expression: `*` stays within one path segment, `**` crosses them. */
export function patternToRegExp(pattern: string): RegExp {
  let source = "";
  for (let at = 0; at < pattern.length; at += 1) {
    const char = pattern[at] ?? "";
    if (char === "*" && pattern[at + 1] === "*") {
      source += ".*";
      at += 1;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += ".";
    else if (char === "+") source += "+";
    else source += char.replace(/[.^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** GitHub's reading of a branch list: each pattern in order, a `!` one taking back what the ones before matched. */
function matches(patterns: readonly string[], branch: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith("!")) {
      if (patternToRegExp(pattern.slice(1)).test(branch)) matched = false;
    } else if (patternToRegExp(pattern).test(branch)) matched = true;
  }
  return matched;
}

const list = (value: unknown): string[] | undefined =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map(String);

/** Undefined when the workflow runs; otherwise why not, in a sentence. */
export function whyNotTriggered(on: Workflow["on"], event: EventName, branch: string): string | undefined {
  const events = typeof on === "string" ? [on] : Array.isArray(on) ? on : Object.keys(on);
  if (!events.includes(event)) return `it runs on ${events.join(", ")}, not on ${event} (its on: key).`;
  if (typeof on !== "object" || Array.isArray(on)) return undefined;
  const filters = (on[event] ?? {}) as Record<string, unknown>;
  if (event === "workflow_dispatch") return undefined;
  const branches = list(filters["branches"]);
  const ignored = list(filters["branches-ignore"]);
  const target = event === "pull_request" ? "a pull request into" : "a push to";
  if (branches && !matches(branches, branch))
    return `it runs on ${target} ${branches.join(", ")}, not on ${target} ${branch} (on.${event}.branches).`;
  if (ignored && matches(ignored, branch)) return `it ignores ${target} ${branch} (on.${event}.branches-ignore).`;
  if (event === "push" && !branches && !ignored && list(filters["tags"]))
    return "it runs on a push of tags only (on.push.tags), not of a branch.";
  return undefined;
}
