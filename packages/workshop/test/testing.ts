/**
 * What the workshop's tests use to play a learner, for the tests of another
 * package that play one too (packages/learner-journeys): a workshop of the
 * test's own (`npm start`'s launcher on free ports), and the sandbox's `az`
 * and the workshop's repeated commands answered in the test's process.
 */
export { azInProcess, type AzAnswer } from "./azInProcess.ts";
export { WORKSHOP, launchWorkshop, type LaunchedWorkshop } from "./launch.ts";
export { commandInProcess, type CommandAnswer, type InProcessCommand } from "./commandInProcess.ts";
