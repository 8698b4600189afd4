/**
 * The contract part of a checkpoint: the shared contract suite, run in this
 * process (runContract, from @keyless/contract-tests) against a running app:
 * the step `npm start` runs, the learner's own app for an exercise, or an app
 * anywhere by its URL.
 */
import { type ContractReport, type DeployedApp, runContract } from "@keyless/contract-tests";
import { stepTimeoutMs } from "../layout/repo.ts";
import { connectToRunningWorkshop } from "../running/control.ts";

export interface CheckpointTarget {
  /** The step whose contract it is (its logs are GET /logs/<step> unless `logsPath` says otherwise). */
  readonly step: string;
  /** The app's base URL, when it is not the step `npm start` runs (the learner's own app). */
  readonly url?: string;
  /** The control endpoint's route for the app's logs, e.g. /workspace/03/logs. */
  readonly logsPath?: string;
  /**
   * Which suite: `checkpoint` (the default) runs it all against an app of the running sandbox; `deployed`
   * runs the checks its URL alone can answer, against an app anywhere (`npm run check -- --url`).
   */
  readonly suite?: "checkpoint" | "deployed";
}

export interface CheckpointRun {
  readonly report: ContractReport;
  /** Every code the suite was issued: their queue messages are the check's own, to remove. */
  readonly codes: string[];
}

/** Runs the suite against the target, in this process: its own connections stay alive meanwhile. */
export async function runCheckpoint(target: CheckpointTarget): Promise<CheckpointRun> {
  const codes: string[] = [];
  // `npm run check` removes the queue messages of these codes afterwards: the learner's queue stays as it was.
  const onCode = (code: string) => void codes.push(code);
  if (target.suite === "deployed") {
    const app: DeployedApp = { baseUrl: target.url ?? "" };
    return { report: await runContract({ app: async () => app }), codes };
  }
  const report = await runContract({
    world: async () => {
      const workshop = connectToRunningWorkshop();
      // No URL (or an empty one): the step npm start runs.
      const baseUrl = target.url || workshop.endpoints.steps[target.step];
      if (!baseUrl)
        throw new Error(`Step ${target.step} is not running: start it with npm run restart -- ${target.step}.`);
      const { logsPath } = target;
      return {
        baseUrl,
        thirdParty: workshop.thirdParty,
        timeoutMs: stepTimeoutMs(),
        secrets: await workshop.secrets(),
        logs: async () =>
          logsPath ? (await workshop.request<{ logs: string }>("GET", logsPath)).logs : workshop.logs(target.step),
        stop: async () => {},
        onCode,
      };
    },
  });
  return { report, codes };
}
