/**
 * The suite without vitest's runner: the same checks (checks.ts), in the same order, with the same set-up and
 * clean-up around them (session.ts), in the calling process. `npm run check` uses it, so that a checkpoint costs
 * no vitest process and no worker, and reads its results as values instead of a report file.
 */
import { CONTRACT_CHECKS } from "./checks.ts";
import { ContractSession, START_TIMEOUT_MS } from "./session.ts";
import type { ContractStart } from "./target.ts";

/** One check's outcome; `message` says why it failed, first line first (e.g. `AssertionError: expected 500 to be 200`). */
export interface CheckResult {
  readonly title: string;
  readonly status: "passed" | "failed" | "skipped";
  readonly message?: string;
}

/** What a run of the suite found, check by check. */
export interface ContractReport {
  readonly checks: readonly CheckResult[];
  /** Why no check ran, when the target did not start (every check is then skipped). */
  readonly setUpError?: string;
}

/** Hang guards, as vitest's testTimeout and hookTimeout were for a checkpoint: a hung app fails a check, never the run. */
export interface ContractLimits {
  /** For one check. */
  readonly checkMs: number;
  /** For each clean-up: after each check, and at the end. */
  readonly hookMs: number;
  /** For starting the target. */
  readonly startMs: number;
}

export const DEFAULT_LIMITS: ContractLimits = { checkMs: 20_000, hookMs: 20_000, startMs: START_TIMEOUT_MS };

/** Runs the whole suite against `start`'s target, one check after the other, and says how each went. */
export async function runContract(
  start: ContractStart,
  limits: ContractLimits = DEFAULT_LIMITS,
): Promise<ContractReport> {
  const session = new ContractSession(start);
  const checks: CheckResult[] = [];
  const opened = await attempt(limits.startMs, "The app did not start", () => session.open());
  if (opened !== undefined) {
    // As vitest does when beforeAll fails: no check runs, and what started is still stopped.
    await attempt(limits.hookMs, "The clean-up at the end did not finish", () => session.close());
    return { checks: CONTRACT_CHECKS.map(({ title }) => ({ title, status: "skipped" })), setUpError: opened };
  }
  try {
    for (const check of CONTRACT_CHECKS) {
      if (check.needsWorld && !session.hasWorld) {
        checks.push({ title: check.title, status: "skipped" });
        continue;
      }
      const failed = await attempt(limits.checkMs, "The check did not finish", (signal) =>
        check.run(session.context(signal)),
      );
      // A clean-up that fails fails its check, as in vitest.
      const cleanUpFailed = await attempt(limits.hookMs, "The clean-up after the check did not finish", () =>
        session.afterEach(),
      );
      const message = failed ?? cleanUpFailed;
      checks.push(
        message === undefined
          ? { title: check.title, status: "passed" }
          : { title: check.title, status: "failed", message },
      );
    }
  } finally {
    await attempt(limits.hookMs, "The clean-up at the end did not finish", () => session.close());
  }
  return { checks };
}

/** The checks that ran (passed or failed), in order: a skipped check ran nothing. */
export function checksThatRan(report: ContractReport): CheckResult[] {
  return report.checks.filter((result) => result.status !== "skipped");
}

/** The checks that failed, in order, each with the first line of why. */
export function failedChecks(report: ContractReport): { title: string; message: string }[] {
  return report.checks
    .filter((result) => result.status === "failed")
    .map((result) => ({ title: result.title, message: (result.message ?? "").split("\n")[0] ?? "" }));
}

/**
 * Runs `work` for at most `ms`: undefined when it succeeded, else why it failed. On time out its signal is
 * aborted, so its requests end instead of holding the process open; `what` names it in the message.
 */
async function attempt(
  ms: number,
  what: string,
  work: (signal: AbortSignal) => Promise<void>,
): Promise<string | undefined> {
  const guard = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`${what} within ${ms / 1000} s: something it waited for never answered.`);
      guard.abort(error);
      reject(error);
    }, ms);
  });
  try {
    await Promise.race([work(guard.signal), timedOut]);
    return undefined;
  } catch (error) {
    return inWords(error);
  } finally {
    clearTimeout(timer);
  }
}

/** An error in words, as a test runner's report starts it (`AssertionError: expected …`), without its stack. */
function inWords(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return `${error.name}: ${error.message}`;
}
