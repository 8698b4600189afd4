/**
 * No input to a step ends or hangs it, and a refused request never changes
 * state (for step 04: never queues a code): the five properties of
 * src/harness.ts for each of the four steps, each its own process in the
 * sandbox's environment, as App Service would run it.
 */
import { stepDir } from "@keyless/workshop";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stepShape } from "../src/checks.ts";
import { send } from "../src/raw.ts";
import { checkSurface } from "../src/harness.ts";
import { STEP_NUMBERS, startStepIn, stepSurface, type RunningStepSurface } from "../src/stepSurfaces.ts";
import { startWorld, type World } from "../src/world.ts";

/** Requests per step: a step answers in milliseconds, but each request is checked against the whole sandbox's state. */
export const RUNS_PER_STEP = 100;
/** The hang guards, as in sandbox.property.test.ts. */
const BUDGET_MS = 100_000;
const TEST_TIMEOUT_MS = 120_000;

let world: World;
const steps = new Map<string, RunningStepSurface>();

beforeAll(async () => {
  world = await startWorld();
  for (const surface of await Promise.all(STEP_NUMBERS.map((step) => startStepIn(world, step, stepDir(step)))))
    steps.set(surface.step, surface);
});
/** A step this file started (beforeAll started them all). */
function running(step: string): RunningStepSurface {
  const found = steps.get(step);
  if (!found) throw new Error(`Step ${step} did not start.`);
  return found;
}
afterAll(async () => {
  await Promise.all([...steps.values()].map((started) => started.stop()));
  await world?.stop();
});

describe("every step: no process ends, nothing hangs, no trace or secret, a 4xx changes nothing, errors as {error, hint}", () => {
  it.each(STEP_NUMBERS)(
    "step %s",
    (step) => checkSurface(world, stepSurface(world, running(step)), RUNS_PER_STEP, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
});

/** Defects the properties found in the steps, each kept as an example. */
describe("the steps: examples of what the properties found", () => {
  const bare = (step: string, method: string, target: string, headers: [string, string][]) => ({
    step,
    method,
    target,
    headers: [...headers, ["Connection", "close"]] as [string, string][],
  });
  for (const step of STEP_NUMBERS) {
    it(
      `step ${step} answers what Node's parser refuses, an unmet Expect, no Host and CONNECT in its {"error", "hint"} shape (they got Node's bare 400/417/431, or the connection closed or reset)`,
      async () => {
        const host = new URL(running(step).target.baseUrl).host;
        const cases = [
          bare(step, "GET", "/api/v1/getcode\u0001", [["Host", host]]),
          bare(step, "GET", "/api/v1/getcode", [
            ["Host", host],
            ["X-Big", "a".repeat(20_000)],
          ]),
          bare(step, "GET", "/api/v1/getcode", [
            ["Host", host],
            ["Expect", "the-unexpected"],
          ]),
          bare(step, "GET", "/api/v1/getcode", []),
          bare(step, "CONNECT", "localhost:443", [["Host", host]]),
        ];
        // Headers over Node's 16 KB while a 2 MB body is still on its way: Node answers 431 and destroys the connection, and the reset loses the 431.
        cases.push({
          ...bare(step, "POST", "/api/v1/getcode", [
            ["Host", host],
            ["X-Big", "a".repeat(20_000)],
            ["Content-Length", String(2_000_000)],
          ]),
          body: Buffer.alloc(2_000_000, "a"),
        } as never);
        const problems: string[] = [];
        for (const { method, target, headers, body } of cases as {
          method: string;
          target: string;
          headers: [string, string][];
          body?: Buffer;
        }[]) {
          const request = { method, target, headers, ...(body ? { body } : {}) };
          const outcome = await send({ port: Number(new URL(running(step).target.baseUrl).port) }, request, 15_000);
          if (outcome.kind !== "answered") problems.push(`${method} ${JSON.stringify(target)}: ${outcome.kind}`);
          else
            problems.push(
              ...stepShape(outcome, request).map(
                (problem) =>
                  `${method} ${JSON.stringify(target)} ${headers.map(([name]) => name).join(",")}: ${outcome.status} ${problem}`,
              ),
            );
        }
        expect(problems).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      `step ${step} answers GET /api/v1/getcode before the bytes that follow it (Node's 400 for the trailing byte came first, while the code was issued${step === "04" ? " and queued" : ""})`,
      async () => {
        const { baseUrl } = running(step).target;
        const before = await world.sandbox.queue.count("code-requests");
        const outcome = await send(
          { port: Number(new URL(baseUrl).port) },
          {
            method: "GET",
            target: "/api/v1/getcode",
            headers: [
              ["Host", new URL(baseUrl).host],
              ["Connection", "close"],
            ],
            body: Buffer.from("x"),
          },
          15_000,
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const queued = (await world.sandbox.queue.count("code-requests")) - before;
        expect(outcome.kind === "answered" ? outcome.status : outcome.kind).toBe(200);
        expect(queued).toBe(step === "04" ? 1 : 0);
      },
      TEST_TIMEOUT_MS,
    );
  }
});
