/**
 * The workshop: the learner's commands (`src/commands/`, one file per `npm run` script) and what
 * they share. This is what other packages use of it: where things are in the repository, and the
 * steps it holds.
 */
export { REPO_ROOT, ENDPOINTS_FILE, stepPort } from "./layout/repo.ts";
export { stepDir, stepFolders, findStep } from "./layout/stepFolders.ts";
