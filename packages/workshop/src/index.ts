/** The learner's commands. Each is a file in this folder run by a root `npm run` script. */
export { REPO_ROOT, ENDPOINTS_FILE, stepPort } from "./repo.ts";
export { stepDir, stepFolders, findStep } from "./stepFolders.ts";
