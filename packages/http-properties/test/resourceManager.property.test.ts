/**
 * Resource Manager's control plane and App Service's front ends, under the
 * five properties of src/harness.ts: every resource type the sandbox
 * registered, by id, listed and acted on; template deployments of the
 * workshop's template and of mutated ones (and no secure parameter ever
 * shown); zip deployments to a site that runs code. A sandbox of their own,
 * beside the other property files', back to its provisioned state before
 * each surface.
 */
import { afterAll, beforeAll, beforeEach, describe, it } from "vitest";
import { armResourcesSurface, deploymentsSurface } from "../src/armSurfaces.ts";
import { frontDoorSurface } from "../src/frontDoorSurface.ts";
import { checkSurface } from "../src/harness.ts";
import { startWorld, type World } from "../src/world.ts";

/**
 * Requests per surface, about five seconds each (the file runs beside the others, whose sandbox file takes a minute).
 * Resources by id: 150, so that each of the 20 registered types is tried a few times in each of its roles (an
 * existing id, a scratch copy, a near miss, a listing's parent). Deployments: 60, each a valid one deploying the
 * whole template (about 30 resources) or checking it (validate, what-if), the others refused at some depth. The front
 * ends: 60; a zip deployment that passes starts a process, so the valid package is one body in ten.
 */
export const RUNS = {
  armResources: 150,
  deployments: 60,
  frontDoor: 60,
} as const;
/** The hang guards (see sandbox.property.test.ts). */
const BUDGET_MS = 100_000;
const TEST_TIMEOUT_MS = 120_000;

let world: World;
beforeAll(async () => {
  world = await startWorld({ queue: false });
});
afterAll(() => world?.stop());
// What a surface's accepted writes changed (a scratch group, a deployment, a site's code) is gone before the next.
beforeEach(async () => {
  await world.sandbox.reset();
});

describe("Resource Manager and App Service's front ends: no process ends, nothing hangs, no trace or secret, a 4xx changes nothing, errors in Azure's shape", () => {
  it(
    "Resource Manager: every registered resource type by id (GET, HEAD, PUT, PATCH, DELETE, POST actions), near misses, listings",
    async () => checkSurface(world, await armResourcesSurface(world), RUNS.armResources, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "Resource Manager: template deployments (the workshop's template and mutated ones, validate, what-if, operations), no secure parameter shown",
    async () => checkSurface(world, await deploymentsSurface(world), RUNS.deployments, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "App Service's front ends: sites by host name, and zip deployments to the SCM site",
    async () => checkSurface(world, await frontDoorSurface(world), RUNS.frontDoor, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
});
