/**
 * One property per surface, over generated requests. Each run sends one
 * request and checks:
 *
 * 1. No process ends: no uncaught error in this process (where the sandbox
 *    runs), Queue Storage still serving, every step still alive (same pid),
 *    and the surface still answers a known-good request.
 * 2. No request hangs: each gets an answer, or has its connection closed,
 *    within REQUEST_TIMEOUT_MS. A closed connection without an answer counts
 *    only for a request the client truncated (a body shorter than its
 *    Content-Length, or headers that never end, then the client half-closes):
 *    a request whose bytes were all sent must be answered. A client that stops
 *    sending and keeps its connection open is not generated: it is cut off by
 *    the server's own timeouts (the sandbox's: 20 s for headers, 30 s for the
 *    whole request, answered 408 in the service's shape), longer than this bound.
 * 3. No answer of 400 or more carries a stack trace or a path of this machine
 *    (unless the request itself did), and no answer carries a secret the
 *    request did not, except a 2xx whose purpose is to return it to an
 *    authorized caller (Key Vault's Get Secret, the admin API's function keys).
 * 4. An answer from 400 to 499 leaves the state exactly as it was.
 * 5. Every answer of 400 or more has the surface's error shape.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import type { GeneratedRequest } from "./arbitraries.ts";
import { leakedSecrets, leakedTraces, type Shape } from "./checks.ts";
import { send, type Answer, type Endpoint, type Outcome, type RawRequest } from "./raw.ts";
import type { World } from "./world.ts";

/** The client's bound on one request (see 2. above). */
export const REQUEST_TIMEOUT_MS = 15_000;

export interface Surface {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly requests: fc.Arbitrary<GeneratedRequest>;
  readonly shape: Shape;
  /** Answers whose shape is checked elsewhere (a known defect, tested on its own): not checked here. */
  readonly shapeExempt?: (outcome: Outcome, request: RawRequest) => boolean;
  /**
   * Whether a 5xx is a defect here: the sandbox's services (and the third party) answer 5xx only when they fail
   * themselves, and none of them should fail on a client's input. Off for the launcher and the steps, whose 500
   * and 502 report what went wrong upstream.
   */
  readonly no5xx?: boolean;
  /** A 2xx allowed to carry a secret: it is what the operation returns to an authorized caller. */
  readonly mayDisclose?: (answer: Answer, request: RawRequest) => boolean;
  /** The state a refused request must not change. */
  state(): Promise<unknown>;
  /**
   * What this surface promises beyond the five properties (a deployment's secure parameters never shown), checked
   * after each request: the problems found.
   */
  readonly promises?: (outcome: Outcome, request: RawRequest) => Promise<string[]> | string[];
  /** Called before each request is sent (a promise's bookkeeping: where the audit log stood). */
  readonly beforeEach?: () => void;
  /** Throws unless the surface answers a request that should succeed. */
  knownGood(): Promise<void>;
}

export interface SurfaceStats {
  readonly runs: number;
  readonly statuses: Record<string, number>;
  readonly ms: number;
}

/** The service's own error code, when its answer names one (how deep a refused request went). */
function errorCodeOf(answer: Answer): string | undefined {
  const header = answer.headers["x-ms-error-code"]?.[0];
  if (header) return header;
  try {
    const body = JSON.parse(answer.body.toString("utf8")) as { error?: unknown; code?: unknown };
    const error = body.error as { code?: unknown } | string | undefined;
    const code = typeof error === "object" ? error?.code : error;
    // A code, not a sentence (the steps' and the launcher's "error" are sentences).
    return typeof code === "string" && /^[A-Za-z_]{1,40}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function describeOutcome(outcome: Outcome): string {
  if (outcome.kind === "answered") {
    const body = outcome.body.toString("utf8");
    return `${outcome.status} ${JSON.stringify(outcome.head.split("\r\n").slice(1).join(" | ").slice(0, 300))} ${JSON.stringify(body.length > 300 ? `${body.slice(0, 300)}…` : body)}`;
  }
  if (outcome.kind === "closed")
    return `closed without an answer after ${Math.round(outcome.ms)} ms${outcome.error ? ` (${outcome.error})` : ""}${outcome.received.length ? `, having sent ${JSON.stringify(outcome.received.toString("latin1").slice(0, 200))}` : ""}`;
  return `no answer within ${REQUEST_TIMEOUT_MS} ms`;
}

/** What differs between two states, path by path (the first few). */
function differences(before: unknown, after: unknown, path = "state", found: string[] = []): string[] {
  if (found.length >= 5 || isDeepStrictEqual(before, after)) return found;
  if (typeof before === "object" && before !== null && typeof after === "object" && after !== null) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys)
      differences(
        (before as Record<string, unknown>)[key],
        (after as Record<string, unknown>)[key],
        `${path}.${key}`,
        found,
      );
    return found;
  }
  found.push(`${path}: ${JSON.stringify(before)?.slice(0, 200)} → ${JSON.stringify(after)?.slice(0, 200)}`);
  return found;
}

/** Checks one request against the five properties: the problems found. */
export async function checkOne(
  world: World,
  surface: Surface,
  request: GeneratedRequest,
  stats?: Record<string, number>,
): Promise<{ outcome: Outcome; problems: string[] }> {
  // What surfaced since the last request was checked (an error thrown once its answer was out) is told apart.
  const earlier = world.processProblems().map((problem) => `after the previous request: ${problem}`);
  const before = await surface.state();
  surface.beforeEach?.();
  const outcome = await send(surface.endpoint, request, REQUEST_TIMEOUT_MS);
  // Let what the request set off asynchronously (a rejected promise, a late callback) surface now.
  await new Promise((resolve) => setImmediate(resolve));
  if (stats) {
    const key =
      outcome.kind === "answered"
        ? `${outcome.status}${errorCodeOf(outcome) ? ` ${errorCodeOf(outcome)}` : ""}`
        : outcome.kind;
    stats[key] = (stats[key] ?? 0) + 1;
  }
  const problems: string[] = [...earlier];
  if (outcome.kind === "timedOut") problems.push(`hangs: no answer within ${REQUEST_TIMEOUT_MS} ms`);
  if (outcome.kind === "closed" && !request.halfClose && !surface.shapeExempt?.(outcome, request))
    problems.push("closed the connection without answering a whole request");
  if (outcome.kind === "answered") {
    const { status } = outcome;
    if (status >= 500 && surface.no5xx) problems.push(`a ${status}: the service failed on this request`);
    if (status >= 400) {
      problems.push(
        ...leakedTraces(outcome, request, world.paths).map((problem) => `a ${status} shows a trace: ${problem}`),
      );
      if (!surface.shapeExempt?.(outcome, request))
        problems.push(
          ...surface
            .shape(outcome, request)
            .map((problem) => `a ${status} not in ${surface.name}'s error shape: ${problem}`),
        );
    }
    const disclosing = status >= 200 && status < 300 && surface.mayDisclose?.(outcome, request);
    if (!disclosing)
      problems.push(
        ...leakedSecrets(outcome, request, world.secrets()).map((secret) => `a ${status} carries a secret: ${secret}`),
      );
    if (status >= 400 && status < 500) {
      const after = await surface.state();
      problems.push(...differences(before, after).map((change) => `a ${status} changed the state: ${change}`));
    }
  }
  problems.push(...((await surface.promises?.(outcome, request)) ?? []));
  problems.push(...world.processProblems());
  try {
    await surface.knownGood();
  } catch (error) {
    problems.push(`no longer answers a known-good request: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { outcome, problems };
}

/**
 * Runs the property for a surface, `numRuns` generated requests. Fast-check
 * prints the seed and the smallest failing request it finds; `budgetMs` bounds
 * the whole property, shrinking included, and fails it when exceeded (the hang guard).
 */
export async function checkSurface(world: World, surface: Surface, numRuns: number, budgetMs: number): Promise<void> {
  const started = performance.now();
  const statuses: Record<string, number> = {};
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(surface.requests, async (request) => {
      runs += 1;
      const { outcome, problems } = await checkOne(world, surface, request, statuses);
      if (problems.length > 0)
        throw new Error(`${surface.name}:\n- ${problems.join("\n- ")}\nanswer: ${describeOutcome(outcome)}`);
    }),
    { numRuns, ...replay(), plugins: [fc.interruptAfterTimeLimit(budgetMs, { failOnInterrupt: true })] },
  );
  const stats: SurfaceStats = { runs, statuses, ms: Math.round(performance.now() - started) };
  // What the generated requests reached, for whoever tunes the generators: mostly refusals, but not only.
  const sorted = Object.entries(stats.statuses).sort(([a], [b]) => a.localeCompare(b));
  console.log(
    `${surface.name}: ${stats.runs} requests in ${stats.ms} ms; answers: ${sorted.map(([key, count]) => `${key} ×${count}`).join(", ")}`,
  );
}

/**
 * Runs are seedless: each run of the suite tries new requests. To replay a failure, give the seed and path fast-check
 * printed: KEYLESS_FC_SEED=<seed> KEYLESS_FC_PATH=<path> npx vitest run -t "<surface>".
 */
function replay(): { seed?: number; path?: string } {
  const seed = process.env["KEYLESS_FC_SEED"];
  const path = process.env["KEYLESS_FC_PATH"];
  return { ...(seed ? { seed: Number(seed) } : {}), ...(path ? { path } : {}) };
}

/** A known-good check: the answer's status must be `status`. */
export async function expectStatus(response: Promise<Response>, status: number, what: string): Promise<void> {
  const answer = await response;
  const body = await answer.text();
  if (answer.status !== status)
    throw new Error(`${what} answered ${answer.status}, not ${status}: ${body.slice(0, 200)}`);
}
