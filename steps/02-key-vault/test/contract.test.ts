import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractTargetInSandbox, describeStepContract } from "@keyless/contract-tests";
import { startSandbox } from "@keyless/sandbox";

describeStepContract("step 02 (Key Vault, service principal)", async () => {
  const sandbox = await startSandbox({ stateDir: await mkdtemp(join(tmpdir(), "keyless-02-")), queue: false });
  return contractTargetInSandbox({ sandbox, step: "02", dir: new URL("..", import.meta.url) });
});
