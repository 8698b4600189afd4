/**
 * npm start's launcher (`src/start.ts`): the sandbox, the workshop's steps and
 * the learner's own apps, run together; the other commands reach it through
 * its control endpoint. This is what other packages use of it.
 */
export { startControlServer, type ControlRoute, type LauncherView } from "./controlServer.ts";
export { describeStartFailure, identityOf, WorkspaceApps, workspaceRoutes } from "./learnerApps.ts";
