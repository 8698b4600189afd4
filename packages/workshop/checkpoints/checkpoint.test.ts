/**
 * A lesson's checkpoint: the shared contract suite, run against the step that
 * `npm start` is running right now. `npm run check -- 03` runs this file.
 */
import { describeStepContract } from "@keyless/contract-tests";
import { connectToRunningWorkshop } from "../src/control.ts";
import { STEP_TIMEOUT_MS } from "../src/repo.ts";

const step = process.env["KEYLESS_CHECK_STEP"] ?? "01";

describeStepContract(`step ${step}`, async () => {
  const workshop = connectToRunningWorkshop();
  const baseUrl = workshop.endpoints.steps[step];
  if (!baseUrl) throw new Error(`Step ${step} is not running: start it with npm start (or npm start -- ${step}).`);
  return {
    baseUrl,
    thirdParty: workshop.thirdParty,
    timeoutMs: STEP_TIMEOUT_MS,
    secrets: await workshop.secrets(),
    logs: () => workshop.logs(step),
    stop: async () => {},
  };
});
