/**
 * npm start's launcher (`src/start.ts`): the sandbox, the workshop's steps and
 * the learner's own apps, run together; the other commands reach it through
 * its control endpoint. Other packages use its control endpoint's server (the
 * property suite checks every answer it gives).
 *
 * @module @keyless/launcher
 */
export { startControlServer, type ControlRoute, type LauncherView } from "./controlServer.ts";
