import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractTargetInSandbox, describeStepContract } from "@keyless/contract-tests";
import { startSandbox } from "@keyless/sandbox";

describeStepContract("step 03 (managed identity)", async () => {
  const sandbox = await startSandbox({ stateDir: await mkdtemp(join(tmpdir(), "keyless-03-")), queue: false });
  return contractTargetInSandbox({ sandbox, step: "03", dir: new URL("..", import.meta.url) });
});
