/**
 * The live view `npm start` serves: no request ends or hangs the launcher's
 * process, and an action without the page's form token changes nothing.
 */
import { startDashboard, type RunningDashboard } from "@keyless/dashboard";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSurface } from "../src/harness.ts";
import { liveViewSurface, stubDashboardLauncher } from "../src/liveViewSurface.ts";
import { startWorld, type World } from "../src/world.ts";

const RUNS = 100;
const BUDGET_MS = 100_000;
const TEST_TIMEOUT_MS = 120_000;

let world: World;
let view: RunningDashboard;
const launcher = stubDashboardLauncher();

beforeAll(async () => {
  world = await startWorld();
  view = await startDashboard({ sandbox: world.sandbox, launcher, port: 0 });
});
afterAll(async () => {
  await view?.stop();
  await world?.stop();
});

describe("the live view: no process ends, nothing hangs, no trace or secret, a 4xx changes nothing", () => {
  it(
    "its page, files, logs and actions",
    () => checkSurface(world, liveViewSurface(world, view), RUNS, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it("a form token as long as the page's but of other bytes is refused (it was a 500: the comparison threw)", async () => {
    const keys = world.sandbox.thirdParty.keys();
    // 32 characters, as the page's token has, but 64 bytes in UTF-8.
    const forged = await fetch(`${view.url}/actions/rotate-key`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `_csrf=${encodeURIComponent("é".repeat(32))}`,
    });
    expect(forged.status).toBe(403);
    expect(world.sandbox.thirdParty.keys()).toEqual(keys);
  });

  it("restarted nothing: no generated request carried the page's form token", () => {
    expect(launcher.restarts).toEqual([]);
  });
});
