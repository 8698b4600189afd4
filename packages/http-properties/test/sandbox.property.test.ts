/**
 * No input to any sandbox service ends or hangs a process, and a refused
 * request never changes state: the five properties of src/harness.ts, over
 * generated requests, for every service the sandbox runs in this process and
 * for the launcher's control server in front of it.
 */
import { PROVIDERS } from "@keyless/sandbox";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startControlServer } from "@keyless/launcher";
import { checkSurface } from "../src/harness.ts";
import { gitHubSurface, graphSurface } from "../src/federationSurfaces.ts";
import { clusterIssuerSurface, containerAppsSurface, imdsSurface, telemetrySurface } from "../src/hostSurfaces.ts";
import {
  controlSurface,
  entraSurface,
  keyVaultSurface,
  managedIdentitySurface,
  queueSurface,
  resourceManagerApiSurface,
  resourceManagerSurface,
  stubLauncher,
  thirdPartySurface,
} from "../src/sandboxSurfaces.ts";
import { send } from "../src/raw.ts";
import { startWorld, type World } from "../src/world.ts";

/** Requests per surface: about half a minute in all on a 2-core laptop; each request is checked against the whole sandbox's state. */
export const RUNS = {
  entra: 120,
  managedIdentity: 100,
  keyVault: 150,
  queue: 120,
  resourceManager: 120,
  resourceManagerApi: 100,
  containerApps: 80,
  imds: 80,
  clusterIssuer: 50,
  gitHub: 100,
  graph: 100,
  telemetry: 80,
  thirdParty: 100,
  control: 100,
} as const;
/**
 * The hang guards, which only stop a hang (each request has its own 15 s bound): a property still running after
 * BUDGET_MS fails, with fast-check's seed and the request it was on; vitest's limit per test is above it.
 */
const BUDGET_MS = 100_000;
const TEST_TIMEOUT_MS = 120_000;

let world: World;
let control: Awaited<ReturnType<typeof startControlServer>>;
let launcher: ReturnType<typeof stubLauncher>;

beforeAll(async () => {
  world = await startWorld();
  launcher = stubLauncher(world);
  control = await startControlServer(world.sandbox, launcher.view);
});
afterAll(async () => {
  await control?.stop();
  await world?.stop();
});
// Each surface starts from the seed: what one surface's accepted requests changed (a role deleted, a key rotated) does not starve the next.
// The queues the fuzzing made go too: a message put or received with a visibility timeout would otherwise come back
// into view during a later surface's request, and read as a change that request made.
beforeEach(async () => {
  await world.sandbox.reset();
  // It may not exist (yet, or any more): nothing to clear then.
  await world.sandbox.queue.clear("fuzz-queue").catch(() => undefined);
});

/** Which surface covers each service of the sandbox's registry (packages/sandbox/src/services.ts). */
/** The surfaces below, by the resource provider (packages/sandbox/src/registry.ts) whose servers they fuzz. */
const SURFACES_OF_PROVIDER: Readonly<Record<string, readonly string[]>> = {
  web: ["the third-party API"],
  entra: ["Microsoft Entra ID", "Microsoft Graph"],
  github: ["GitHub Actions' OIDC provider"],
  resources: ["Resource Manager (the admin API and its own)"],
  // Its role assignments and definitions are Resource Manager's resources, tried there.
  authorization: ["Resource Manager (the admin API and its own)"],
  "managed-identity": [
    "the managed identity endpoint",
    "the Container Apps identity endpoint",
    "a virtual machine's IMDS",
    "the AKS cluster's OIDC issuer",
  ],
  "key-vault": ["Key Vault"],
  storage: ["Queue Storage"],
  monitor: ["the OpenTelemetry collector"],
};

describe("every sandbox surface: no process ends, nothing hangs, no trace or secret, a 4xx changes nothing, errors in Azure's shape", () => {
  it(
    "Microsoft Entra ID (discovery, signing keys, token endpoint)",
    async () => checkSurface(world, await entraSurface(world), RUNS.entra, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "the managed identity endpoint",
    () => checkSurface(world, managedIdentitySurface(world), RUNS.managedIdentity, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "Key Vault",
    async () => checkSurface(world, await keyVaultSurface(world), RUNS.keyVault, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "Queue Storage",
    async () => checkSurface(world, await queueSurface(world), RUNS.queue, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "Resource Manager: the admin API, with and without its key",
    () => checkSurface(world, resourceManagerSurface(world), RUNS.resourceManager, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "Resource Manager: its own API (metadata, tenants, subscriptions, resource groups)",
    async () => checkSurface(world, await resourceManagerApiSurface(world), RUNS.resourceManagerApi, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "the Container Apps identity endpoint",
    () => checkSurface(world, containerAppsSurface(world), RUNS.containerApps, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it("a virtual machine's IMDS", () => checkSurface(world, imdsSurface(world), RUNS.imds, BUDGET_MS), TEST_TIMEOUT_MS);
  it(
    "the AKS cluster's OIDC issuer",
    () => checkSurface(world, clusterIssuerSurface(world), RUNS.clusterIssuer, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "GitHub Actions' OIDC provider (the issuer's documents, a job's token request, the runner's registrations)",
    async () => checkSurface(world, await gitHubSurface(world), RUNS.gitHub, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "Microsoft Graph (app registrations, service principals, federated credentials)",
    async () => checkSurface(world, await graphSurface(world), RUNS.graph, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "the OpenTelemetry collector",
    () => checkSurface(world, telemetrySurface(world), RUNS.telemetry, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "the third-party API",
    () => checkSurface(world, thirdPartySurface(world), RUNS.thirdParty, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
  it(
    "the launcher's control server",
    () => checkSurface(world, controlSurface(world, control), RUNS.control, BUDGET_MS),
    TEST_TIMEOUT_MS,
  );
});

describe("the suite covers every service in the sandbox's registry", () => {
  it("each provider that runs a server has its surfaces above", () => {
    // A new provider is one more line in packages/sandbox/src/registry.ts: its servers need their surfaces here too.
    const serving = PROVIDERS.filter((provider) => provider.server).map((provider) => provider.name);
    expect(serving.sort()).toEqual(Object.keys(SURFACES_OF_PROVIDER).sort());
  });
});

/** Defects the properties found in the launcher's control server, each kept as an example. */
describe("the launcher's control server: examples of what the properties found", () => {
  const call = (method: string, target: string, body?: string, extra: [string, string][] = []) => {
    const port = Number(new URL(control.url).port);
    const payload = body === undefined ? undefined : Buffer.from(body);
    return send(
      { port },
      {
        method,
        target,
        headers: [
          ["Host", `127.0.0.1:${port}`],
          ["Authorization", `Bearer ${control.token}`],
          ["Connection", "close"],
          ...extra,
          ...(payload ? ([["Content-Length", String(payload.length)]] as [string, string][]) : []),
        ],
        ...(payload ? { body: payload } : {}),
      },
      15_000,
    );
  };
  const statusOf = (outcome: Awaited<ReturnType<typeof call>>) =>
    outcome.kind === "answered" ? outcome.status : outcome.kind;

  it("an authorized request whose target is no URL (//[) is answered and ends nothing (it was never answered, and an unhandled rejection stopped npm start)", async () => {
    world.processProblems();
    const port = Number(new URL(control.url).port);
    // Answered at once when fixed; 3 s is plenty to tell a hang.
    const outcome = await send(
      { port },
      {
        method: "GET",
        target: "//[",
        headers: [
          ["Host", `127.0.0.1:${port}`],
          ["Authorization", `Bearer ${control.token}`],
          ["Connection", "close"],
        ],
      },
      3000,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const problems = world.processProblems();
    expect(problems).toEqual([]);
    expect(statusOf(outcome)).toBeTypeOf("number");
  });

  it("CONNECT is answered (the connection was closed unanswered)", async () => {
    expect(statusOf(await call("CONNECT", "localhost:443"))).toBeTypeOf("number");
  });

  it("an authorized request followed by bytes that do not parse gets its own answer first (Node's 400 came first, and the step restarted anyway)", async () => {
    const port = Number(new URL(control.url).port);
    const restarts = launcher.calls.length;
    const outcome = await send(
      { port },
      {
        method: "POST",
        target: "/steps/02/restart",
        headers: [
          ["Host", `127.0.0.1:${port}`],
          ["Authorization", `Bearer ${control.token}`],
          ["Connection", "close"],
        ],
        body: Buffer.from('""'),
      },
      15_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(launcher.calls.length - restarts).toBe(1);
    expect(statusOf(outcome)).toBe(200);
  });

  it.each([
    ["a body that is not JSON", "PUT", "/third-party/keys", "not json"],
    ["no keys", "PUT", "/third-party/keys", '{"keys":[]}'],
    ["keys that are not a list", "PUT", "/third-party/keys", '{"keys":null}'],
    ["keys that are a string", "PUT", "/third-party/keys", '{"keys":"abc"}'],
    ["a fault with a status HTTP has not", "PUT", "/third-party/fault", '{"fault":{"kind":"status","status":99}}'],
  ])(
    "%s is a 400, the caller's mistake (it was a 500, whose body was the thrown error's text)",
    async (_, method, target, body) => {
      const keys = world.sandbox.thirdParty.keys();
      const outcome = await call(method, target, body, [["Content-Type", "application/json"]]);
      // The third party itself refuses what it cannot use (regressions.test.ts): its keys and fault stay as they were.
      expect(world.sandbox.thirdParty.keys()).toEqual(keys);
      expect(world.sandbox.thirdParty.fault()).toBeNull();
      expect(statusOf(outcome)).toBe(400);
    },
  );
});
