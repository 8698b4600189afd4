/**
 * Whether an exercise that passed once would still pass now, as far as the
 * running npm start knows without grading it again (a check restarts the app
 * and runs the contract suite: too slow and too busy for `npm run progress`):
 * what a pass rests on and what changes after it.
 * - its identity still holds the lesson's roles, no wider (a reset discards
 *   them, and so does a role deleted by hand);
 * - its app runs (a save that broke it, a role gone at start-up);
 * - its code and settings are those that passed (a change after the pass).
 * Whatever fails here, the check would fail too; what passes here, the check
 * then grades in full.
 */
import type { ExerciseProgress } from "./progressFile.ts";
import { codeDigest } from "./progressFile.ts";
import { workspaceAppDir, workspaceFiles, type AppExercise } from "./exercises.ts";
import { compareRoles, scopeName } from "./roles.ts";
import type { WorkspaceAppState, WorkspaceView } from "../running/workspaceControl.ts";

/** What fails now, in a few words each; empty when nothing a pass rests on has changed. */
export function whatFailsNow(
  exercise: AppExercise,
  entry: ExerciseProgress,
  app: WorkspaceAppState | undefined,
  view: WorkspaceView,
): string[] {
  const reasons: string[] = [];
  if (!app) return ["npm start does not run your app (npm run exercise -- 0N starts it)".replace("0N", exercise.step)];
  const { missing, tooWide, misScoped } = compareRoles(exercise, app, view);
  for (const wanted of missing)
    reasons.push(`its identity (${app.identity.name}) lacks ${wanted.role} on ${scopeName(wanted.scope)}`);
  for (const held of tooWide) reasons.push(`its identity holds ${held.role} on ${scopeName(held.scope)} too`);
  for (const { held } of misScoped)
    reasons.push(`its identity holds ${held.role} on ${held.scope}, beside the lesson's resource`);
  if (app.status === "failed") reasons.push(`your app does not start: ${app.error ?? "no reason given"}`);
  else if (app.status !== "running") reasons.push(`your app is ${app.status}`);
  if (entry.passedCode && entry.passedCode !== codeDigest(workspaceFiles(workspaceAppDir(exercise.step))))
    reasons.push("your code or its .env changed since it passed");
  return reasons;
}
