/**
 * A lesson's checkpoint: the shared contract suite, run against the step that
 * `npm start` is running right now, or against the learner's own app for the
 * exercise (KEYLESS_CHECK_URL). `npm run check -- 03` runs this file.
 */
import { appendFileSync } from "node:fs";
import { describeStepContract } from "@keyless/contract-tests";
import { connectToRunningWorkshop } from "../src/running/control.ts";
import { STEP_TIMEOUT_MS } from "../src/layout/repo.ts";

const step = process.env["KEYLESS_CHECK_STEP"] ?? "01";
const codesFile = process.env["KEYLESS_CHECK_CODES"];

describeStepContract(process.env["KEYLESS_CHECK_URL"] ? `your app for exercise ${step}` : `step ${step}`, async () => {
  const workshop = connectToRunningWorkshop();
  const baseUrl = process.env["KEYLESS_CHECK_URL"] ?? workshop.endpoints.steps[step];
  const logsPath = process.env["KEYLESS_CHECK_LOGS"];
  if (!baseUrl) throw new Error(`Step ${step} is not running: start it with npm run restart -- ${step}.`);
  return {
    baseUrl,
    thirdParty: workshop.thirdParty,
    timeoutMs: STEP_TIMEOUT_MS,
    secrets: await workshop.secrets(),
    logs: async () =>
      logsPath ? (await workshop.request<{ logs: string }>("GET", logsPath)).logs : workshop.logs(step),
    stop: async () => {},
    // `npm run check` removes the queue messages of these codes afterwards: the learner's queue stays as it was.
    ...(codesFile ? { onCode: (code: string) => appendFileSync(codesFile, `${code}\n`) } : {}),
  };
});
