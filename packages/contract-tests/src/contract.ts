/**
 * The suite as vitest tests: a step's test file (and the sandbox's) calls one of these with a function that
 * starts what it checks. The checks themselves are checks.ts's; runContract.ts runs the same ones without vitest.
 */
import { afterAll, afterEach, beforeAll, describe, it } from "vitest";
import { CONTRACT_CHECKS } from "./checks.ts";
import { ContractSession, START_TIMEOUT_MS } from "./session.ts";
import type { ContractStart, ContractTarget, DeployedApp } from "./target.ts";

/**
 * The behaviour every step shares, checked over real HTTP. A step's test
 * file calls this with a function that starts the step and its world.
 */
export function describeStepContract(title: string, start: () => Promise<ContractTarget>): void {
  describeContract(title, { world: start });
}

/**
 * The same suite against an app that runs elsewhere: every check its URL alone can answer. The checks that make
 * the third party fail on purpose, or read the app's logs and the third party's key, need the sandbox's world:
 * they are listed, skipped.
 */
export function describeDeployedContract(title: string, start: () => Promise<DeployedApp>): void {
  describeContract(title, { app: start });
}

function describeContract(title: string, start: ContractStart): void {
  describe(`${title}: the contract every step keeps`, () => {
    const session = new ContractSession(start);
    beforeAll(() => session.open(), START_TIMEOUT_MS);
    afterAll(() => session.close());
    afterEach(() => session.afterEach());
    for (const check of CONTRACT_CHECKS) {
      if (check.needsWorld && !session.hasWorld) it.skip(check.title, () => undefined);
      // vitest's signal is aborted when the test times out: the check's requests stop with it.
      else it(check.title, ({ signal }) => check.run(session.context(signal)));
    }
  });
}
