import type { RunningThirdPartyApi } from "@keyless/third-party-api";
import type { ContractTarget } from "./target.ts";
import { SECRET_VARIABLES, type SiteOfCode, type StepNumber, siteOfStep, startStep } from "@keyless/app-process";

/** The part of a running sandbox a step's contract run needs (kept structural: no dependency on the sandbox package). */
export interface SandboxForSteps {
  readonly thirdParty: RunningThirdPartyApi;
  /** Its sites, each with the folder of the code it runs: the step's site is the one that runs the step's folder. */
  sites(): readonly SiteOfCode[];
  siteEnvironment(site: string): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts a step in a running sandbox with the environment App Service would
 * give it, and describes it for the contract suite.
 */
export async function contractTargetInSandbox(options: {
  readonly sandbox: SandboxForSteps;
  readonly step: StepNumber;
  readonly dir: string | URL;
  readonly timeoutMs?: number;
}): Promise<ContractTarget> {
  const { sandbox, step, dir, timeoutMs = 2000 } = options;
  const env: Record<string, string> = {
    ...sandbox.siteEnvironment(siteOfStep(sandbox.sites(), step)),
    THIRD_PARTY_API_TIMEOUT_MS: String(timeoutMs),
  };
  const running = await startStep({ dir, env });
  const secrets = [...sandbox.thirdParty.keys(), ...SECRET_VARIABLES.flatMap((name) => env[name] ?? [])];
  return {
    baseUrl: running.url,
    thirdParty: sandbox.thirdParty,
    timeoutMs,
    secrets,
    logs: running.output,
    stop: async () => {
      await running.stop();
      await sandbox.stop();
    },
  };
}
