import { describeStepContract, startStep } from "@keyless/contract-tests";
import { startThirdPartyApi } from "@keyless/third-party-api";
import { THIRD_PARTY_API_KEY } from "../src/thirdPartyKey.ts";

describeStepContract("step 01 (keys in code)", async () => {
  const thirdParty = await startThirdPartyApi({ keys: [THIRD_PARTY_API_KEY] });
  const timeoutMs = 2000;
  const step = await startStep({
    dir: new URL("..", import.meta.url),
    env: { THIRD_PARTY_API_ENDPOINT: thirdParty.endpoint, THIRD_PARTY_API_TIMEOUT_MS: String(timeoutMs) },
  });
  return {
    baseUrl: step.url,
    thirdParty,
    timeoutMs,
    secrets: [THIRD_PARTY_API_KEY],
    logs: step.output,
    stop: async () => {
      await step.stop();
      await thirdParty.stop();
    },
  };
});
