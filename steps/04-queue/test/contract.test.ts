import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractTargetInSandbox, describeStepContract } from "@keyless/contract-tests";
import { startSandbox } from "@keyless/sandbox";

describeStepContract("step 04 (queue)", async () => {
  const sandbox = await startSandbox({ stateDir: await mkdtemp(join(tmpdir(), "keyless-04-")) });
  return contractTargetInSandbox({ sandbox, step: "04", dir: new URL("..", import.meta.url) });
});
