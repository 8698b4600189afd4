/**
 * The actions the rehearsal plays, and how a step's `uses:` finds one: an
 * `owner/repo@ref` whose major version is played. Anything else (another
 * action, a local one, a Docker one, a version not played) is refused by
 * name, with what is played instead.
 */
import type { PlayedAction } from "./action.ts";
import { azureLogin } from "./azureLogin.ts";
import { checkout } from "./checkout.ts";
import { setupNode } from "./setupNode.ts";

export const PLAYED: readonly PlayedAction[] = [checkout, setupNode, azureLogin];

const playedList = () => PLAYED.map((action) => `${action.repository}@${action.majors.join("/")}`).join(", ");

/** The played action a `uses:` names, or why it is not played. */
export function resolveAction(uses: string): { action: PlayedAction } | { refusal: string } {
  if (uses.startsWith("./") || uses.startsWith("docker://"))
    return {
      refusal: `${uses}: local and Docker actions are not played by the rehearsal (it plays ${playedList()}). Write the step as a run: step, or run it on GitHub.`,
    };
  const match = /^([^/@\s]+\/[^/@\s]+)(\/[^@\s]*)?@(\S+)$/.exec(uses);
  if (!match) return { refusal: `${uses}: a uses: names owner/repo@ref.` };
  const [, repository = "", path, ref = ""] = match;
  const action = PLAYED.find((candidate) => candidate.repository === repository.toLowerCase());
  if (!action || path)
    return {
      refusal: `${uses} is not played by the rehearsal: it plays ${playedList()}. Write the step as a run: step, or run it on GitHub.`,
    };
  // A full version (v4.2.1) plays as its major; a commit SHA as the latest major played.
  const major = /^v\d+/.exec(ref)?.[0];
  if (/^[0-9a-f]{40}$/.test(ref)) return { action };
  if (!major || !action.majors.includes(major))
    return {
      refusal: `${uses}: the rehearsal plays ${action.repository}@${action.majors.join(" and @")}, not @${ref}.`,
    };
  return { action };
}

/** A step's inputs: those it gives over the defaults, and warnings for the ones the action does not have (as GitHub warns). */
export function inputsOf(
  action: PlayedAction,
  given: Readonly<Record<string, string>>,
): { inputs: Record<string, string>; unexpected: string[] } {
  const unexpected = Object.keys(given).filter((name) => !(name in action.inputs));
  return { inputs: { ...action.inputs, ...given }, unexpected };
}
