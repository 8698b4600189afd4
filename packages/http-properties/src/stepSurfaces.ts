/**
 * The steps 01-04 as surfaces: each started as its own process in the
 * sandbox's environment (startStep, through contractTargetInSandbox, as the
 * steps' own tests start them), each answering `GET /api/v1/getcode`.
 */
import fc from "fast-check";
import { contractTargetInSandbox, type ContractTarget } from "@keyless/contract-tests";
import { httpRequest, weighted, type GeneratedRequest, type Header } from "./arbitraries.ts";
import { stepShape } from "./checks.ts";
import { expectStatus, type Surface } from "./harness.ts";
import { serialize, type Outcome, type RawRequest } from "./raw.ts";
import { childrenIn, type World } from "./world.ts";

export const STEP_NUMBERS = ["01", "02", "03", "04"] as const;
export type Step = (typeof STEP_NUMBERS)[number];

/** How long a step waits for the third party (THIRD_PARTY_API_TIMEOUT_MS), as its contract tests give it. */
const THIRD_PARTY_TIMEOUT_MS = 2000;

export interface RunningStepSurface {
  readonly step: Step;
  readonly target: ContractTarget;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts one step in the world's sandbox (which it leaves running when it stops). */
export async function startStepIn(world: World, step: Step, dir: string): Promise<RunningStepSurface> {
  const target = await contractTargetInSandbox({
    sandbox: { ...world.sandbox, stop: async () => {} },
    step,
    dir,
    timeoutMs: THIRD_PARTY_TIMEOUT_MS,
  });
  const pid = childrenIn(dir)[0];
  if (pid !== undefined) world.watch(`step ${step}`, pid);
  return { step, target, pid, stop: () => target.stop() };
}

/**
 * An answer to a request that cannot be read is written, then the connection ended: when the client is still
 * sending (a large request), the kernel resets the connection, and the answer is lost on its way (TCP, not the
 * step). Counted only for a request of more than 64 KB.
 */
export function resetByNodesDefault(outcome: Outcome, request: RawRequest): boolean {
  return (
    outcome.kind === "closed" &&
    (outcome.error === "ECONNRESET" || outcome.error === "EPIPE") &&
    serialize(request).length > 64 * 1024
  );
}

export function stepSurface(world: World, running: RunningStepSurface): Surface {
  const { step, target } = running;
  const url = new URL(target.baseUrl);
  const getcode = fc.oneof(
    weighted(8, fc.constant("/api/v1/getcode")),
    weighted(
      2,
      fc.constantFrom(
        "/api/v1/getcode/",
        "/API/V1/GETCODE",
        "/api/v1/getcode?x=1",
        "/api//v1/getcode",
        "/api/v1/getcode%00",
        "/api/v1/getcode;a",
        "/api/v1/%67etcode",
      ),
    ),
  );
  const other = fc.constantFrom(
    "/",
    "/api",
    "/api/v1",
    "/favicon.ico",
    "/robots.txt",
    "/api/v1/getcode/extra",
    "/.env",
    "/%2e%2e/%2e%2e/package.json",
    "/node_modules/express/package.json",
    "/src/server.ts",
  );
  const requests: fc.Arbitrary<GeneratedRequest> = httpRequest({
    methods: ["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"],
    targets: fc.oneof(weighted(6, getcode), weighted(1, other)),
    queryNames: ["code", "format", "callback"],
    host: url.host,
    // The steps take no credentials: what a caller sends anyway must change nothing.
    credentials: fc.constant<Header[]>([]),
    badCredentials: fc.constantFrom<Header[]>(
      [["Authorization", "Bearer x"]],
      [["x-functions-key", "guess"]],
      [["X-IDENTITY-HEADER", "guess"]],
      [["Cookie", "session=1"]],
    ),
    bodies: fc.constant(undefined),
    contentType: "application/json",
  });
  return {
    name: `step ${step}`,
    endpoint: { port: Number(url.port) },
    requests,
    shape: stepShape,
    shapeExempt: resetByNodesDefault,
    state: () => world.fullState(),
    knownGood: () => expectStatus(fetch(`${target.baseUrl}/api/v1/getcode`), 200, `step ${step}'s GET /api/v1/getcode`),
  };
}
