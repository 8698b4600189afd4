/**
 * The fault suite, under load. While a dozen callers keep asking step 04 for
 * codes, each fault that really happens to what it depends on is injected, then
 * cleared: Queue Storage down (connections refused) or unavailable (503
 * ServerBusy), the token service down, Key Vault down during a key rotation,
 * the third party slow, down, refusing the key, failing or answering garbage.
 * For each one:
 *
 * - callers get 200 or the step's own JSON error (502, 503 or 504), with no
 *   stack trace, no path and no secret;
 * - no request hangs (each has a client-side guard);
 * - every code answered 200 is in the queue, once, and the queue holds nothing
 *   else; only when Queue Storage goes down mid-send can a message be stored
 *   whose caller got a 503 ("in doubt"), never more than there were requests
 *   in flight;
 * - once the fault is cleared, the same step process issues codes again, and
 *   every code is queued exactly once.
 *
 * Each test prints a line (what callers saw, the queue's count, recovery),
 * then each distinct error answer; the lines are printed again at the end.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CODE_PATTERN, SECRET_VARIABLES, startStep, type RunningStep } from "@keyless/contract-tests";
import { startSandbox, type Sandbox } from "@keyless/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Load, type Call } from "./load.ts";

const QUEUE = "code-requests";
/** Concurrent callers, each sending its next request once the last is answered. */
const CALLERS = 12;
/** THIRD_PARTY_API_TIMEOUT_MS for the step (its default): a "slow" third party answers after it. Generous, so that a busy machine never turns a healthy call into a 504. */
const THIRD_PARTY_TIMEOUT_MS = 5000;
/** Hang guards only, never speed limits: well past every deadline the step has (10 s at most). */
const HANG_GUARD_MS = 30_000;
const RECOVERY_GUARD_MS = 60_000;

/** What a caller's error must say, by status. */
interface ExpectedError {
  readonly error: string | RegExp;
  readonly upstreamStatus?: number;
  readonly hint?: RegExp;
}
type ExpectedErrors = Readonly<Record<number, ExpectedError>>;

const QUEUE_DOWN: ExpectedErrors = {
  503: { error: "Could not queue your code, so none was issued.", hint: /Queue Storage/ },
};

/** A stack frame, a source file or a file URL: none belongs in an answer. */
const STACK_OR_SOURCE = /\n\s+at |\bat .*:\d+:\d+|file:\/\/|[A-Za-z]:\\|node_modules|\.[cm]?[jt]s\b/;
/** The folders a path in an answer would most likely name: the repository's, the temporary one, the user's. */
const FOLDERS = [fileURLToPath(new URL("../../..", import.meta.url)).replace(/[\\/]$/, ""), tmpdir(), homedir()].filter(
  (folder) => folder.length > 1,
);
/** An access token (a JWT): never in an answer either. */
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}/;

let sandbox: Sandbox;
let step: RunningStep;
let stateDir: string;
/** Every secret the step holds or could leak: the third party's keys (all of them, as they rotate), IDENTITY_HEADER, client secrets. */
const secrets: string[] = [];
/** The summary lines, printed again at the end, one per fault. */
const summary: string[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "keyless-04-faults-"));
  sandbox = await startSandbox({ stateDir, auditFile: false });
  const env: Record<string, string> = {
    ...sandbox.siteEnvironment("keyless-step-04"),
    THIRD_PARTY_API_TIMEOUT_MS: String(THIRD_PARTY_TIMEOUT_MS),
  };
  step = await startStep({ dir: new URL("..", import.meta.url), env });
  secrets.push(
    ...sandbox.thirdParty.keys(),
    ...SECRET_VARIABLES.flatMap((name) => env[name] ?? []),
    ...sandbox.tenant.servicePrincipals.map((principal) => principal.secret),
  );
});

afterAll(async () => {
  await step?.stop();
  await sandbox?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  if (summary.length > 0) console.log(`fault suite, step 04 under load (${CALLERS} callers):\n${summary.join("\n")}`);
});

/** What is wrong with one answer, if anything: a code that is not one, or an error that is not the step's JSON. */
function problemsWith(call: Call, expected: ExpectedErrors): string[] {
  const problems: string[] = [];
  const said = `${call.status} ${call.text.slice(0, 300)}`;
  if (typeof call.status !== "number") return [`no answer (${call.status}): ${call.text.slice(0, 200)}`];
  if (!call.contentType.startsWith("application/json")) problems.push(`not JSON (${call.contentType}): ${said}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(call.text) as Record<string, unknown>;
  } catch {
    return [...problems, `a body that does not parse: ${said}`];
  }
  if (call.status === 200) {
    if (Object.keys(body).sort().join() !== "code,timestamp" || !CODE_PATTERN.test(String(body["code"])))
      problems.push(`not a code: ${said}`);
    return problems;
  }
  const wanted = expected[call.status];
  if (!wanted) return [...problems, `a status this fault should not cause: ${said}`];
  if (Object.keys(body).some((key) => !["error", "hint", "upstreamStatus"].includes(key)))
    problems.push(`unexpected fields: ${said}`);
  if (typeof body["error"] !== "string") problems.push(`no error message: ${said}`);
  else if (typeof wanted.error === "string" ? body["error"] !== wanted.error : !wanted.error.test(body["error"]))
    problems.push(`the wrong error: ${said}`);
  if (body["hint"] !== undefined && typeof body["hint"] !== "string") problems.push(`a hint that is not text: ${said}`);
  if (wanted.hint && !wanted.hint.test(String(body["hint"]))) problems.push(`the wrong hint: ${said}`);
  if (body["upstreamStatus"] !== wanted.upstreamStatus)
    problems.push(`upstreamStatus should be ${wanted.upstreamStatus}: ${said}`);
  // The text as sent and as read (a JSON string escapes new lines and slashes).
  const shown = [call.text, ...Object.values(body).map(String)].join("\n");
  if (STACK_OR_SOURCE.test(shown) || FOLDERS.some((folder) => shown.includes(folder)))
    problems.push(`a stack trace or a path: ${said}`);
  if (JWT.test(shown)) problems.push(`an access token: ${said}`);
  if (secrets.some((secret) => shown.includes(secret))) problems.push(`a secret: ${call.status}`);
  return problems;
}

/** Every answer checked once per distinct body: the problems found, none expected. */
function problemsWithAll(calls: readonly Call[], expected: ExpectedErrors): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const call of calls) {
    const key = `${call.status}\n${call.contentType}\n${call.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(...problemsWith(call, expected));
  }
  return problems;
}

/** The queue against the answers: which codes answered 200 are missing, and what the queue holds that no 200 explains. */
function reconcile(issued: readonly Call[], texts: readonly string[]) {
  // An answer 200 that is not a code is reported by problemsWith; here it counts as no code.
  const codes = issued.flatMap((call) => {
    try {
      const { code, timestamp } = JSON.parse(call.text) as { code: string; timestamp: string };
      return [[code, timestamp] as const];
    } catch {
      return [];
    }
  });
  const answered = new Map(codes);
  const messages = texts.map((text) => JSON.parse(text) as { code: string; timestamp: string });
  const queued = new Map<string, number>();
  for (const message of messages) queued.set(message.code, (queued.get(message.code) ?? 0) + 1);
  return {
    messages: messages.length,
    /** Answered 200, not in the queue: a lost message (must never happen). */
    lost: [...answered.keys()].filter((code) => !queued.has(code)),
    /** In the queue, but no caller got that code: stored while its caller got an error. */
    inDoubt: messages.filter((message) => !answered.has(message.code)).length,
    /** Queued more than once. */
    duplicates: [...queued.values()].reduce((extra, times) => extra + times - 1, 0),
    /** Queued with another timestamp than its caller got. */
    mismatched: messages.filter(
      (message) => answered.has(message.code) && answered.get(message.code) !== message.timestamp,
    ).length,
  };
}

const countsByStatus = (calls: readonly Call[]) => {
  const counts = new Map<Call["status"], number>();
  for (const call of calls) counts.set(call.status, (counts.get(call.status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([status, count]) => `${status}×${count}`)
    .join(" ");
};

const seconds = (ms: number) => (ms / 1000).toFixed(1);

interface Outcome {
  readonly calls: readonly Call[];
  readonly issued: number;
  readonly reconciled: ReturnType<typeof reconcile>;
  /** From the fault's end (or its start, for a fault the platform clears itself) to the first code issued to a call sent after it. */
  readonly recoveryMs: number;
  /** A burst once the load is over: every call answered 200, and the queue's messages. */
  readonly after: { readonly statuses: readonly Call["status"][]; readonly reconciled: ReturnType<typeof reconcile> };
}

/**
 * One fault under load: the callers start (and get codes), `fault` injects it,
 * holds it and clears it, returning when callers can be served again; then the
 * callers must get codes again, they stop, and the queue is read.
 */
async function underLoad(fault: (load: Load) => Promise<{ recoverFrom: number }>): Promise<Outcome> {
  await sandbox.queue.clear(QUEUE);
  const load = new Load(`${step.url}/api/v1/getcode`, CALLERS, HANG_GUARD_MS);
  let calls: Call[];
  let recoveryMs: number;
  try {
    const start = performance.now();
    await load.until(() => load.count(start, 200) >= CALLERS, "codes before the fault", RECOVERY_GUARD_MS);
    const { recoverFrom } = await fault(load);
    await load.until(() => load.count(recoverFrom, 200) > 0, "a code after the fault", RECOVERY_GUARD_MS);
    const recovered = Math.min(
      ...load.calls.filter((call) => call.started >= recoverFrom && call.status === 200).map((call) => call.ended),
    );
    recoveryMs = recovered - recoverFrom;
    await load.until(() => load.count(recovered, 200) >= CALLERS, "codes after recovery", RECOVERY_GUARD_MS);
  } finally {
    calls = await load.stop();
  }
  const issued = calls.filter((call) => call.status === 200);
  const reconciled = reconcile(issued, await sandbox.queue.drain(QUEUE));

  // Then a burst from the same step process: all codes, each queued once.
  const burst = await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      const started = performance.now();
      const response = await fetch(`${step.url}/api/v1/getcode`, { signal: AbortSignal.timeout(HANG_GUARD_MS) });
      return {
        started,
        ended: performance.now(),
        status: response.status,
        contentType: response.headers.get("content-type") ?? "",
        text: await response.text(),
      } satisfies Call;
    }),
  );
  const after = {
    statuses: burst.map((call) => call.status),
    reconciled: reconcile(
      burst.filter((call) => call.status === 200),
      await sandbox.queue.drain(QUEUE),
    ),
  };
  return { calls, issued: issued.length, reconciled, recoveryMs, after };
}

/** What holds after every fault: no hang, only expected answers, no 200 lost, and a recovered step that queues each code once. */
function expectRecovered(outcome: Outcome, expected: ExpectedErrors): void {
  expect(
    outcome.calls.filter((call) => typeof call.status !== "number").map((call) => `${call.status}: ${call.text}`),
    "calls without an answer",
  ).toEqual([]);
  expect(problemsWithAll(outcome.calls, expected)).toEqual([]);
  expect(outcome.reconciled.lost, "codes answered 200 but not queued").toEqual([]);
  expect(outcome.reconciled.duplicates, "codes queued twice").toBe(0);
  expect(outcome.reconciled.mismatched, "messages with another timestamp than their caller got").toBe(0);
  expect(outcome.after.statuses).toEqual(Array(CALLERS).fill(200));
  expect(outcome.after.reconciled).toEqual({ messages: CALLERS, lost: [], inDoubt: 0, duplicates: 0, mismatched: 0 });
  // Recovered without a restart: the step started once.
  expect(step.output().match(/listening on/g)).toHaveLength(1);
}

/** Exactly one message per 200, and nothing else. */
function expectExact(outcome: Outcome): void {
  expect({ messages: outcome.reconciled.messages, inDoubt: outcome.reconciled.inDoubt }).toEqual({
    messages: outcome.issued,
    inDoubt: 0,
  });
}

/** One line for the fault (kept for the summary at the end), then each distinct error answer callers got, with how many got it. */
function report(name: string, outcome: Outcome, extra = ""): void {
  const { reconciled } = outcome;
  const slowest = Math.max(...outcome.calls.map((call) => call.ended - call.started));
  const line =
    `${name}: ${countsByStatus(outcome.calls)}; #200 ${outcome.issued}, #messages ${reconciled.messages} (in doubt ${reconciled.inDoubt}, duplicates ${reconciled.duplicates})` +
    `${extra}; slowest answer ${seconds(slowest)} s; recovered in ${seconds(outcome.recoveryMs)} s;` +
    ` after: ${outcome.after.statuses.filter((status) => status === 200).length}/${outcome.after.statuses.length} 200, ${outcome.after.reconciled.messages} messages`;
  summary.push(line);
  const errors = new Map<string, number>();
  for (const call of outcome.calls)
    if (call.status !== 200)
      errors.set(`${call.status} ${call.text}`, (errors.get(`${call.status} ${call.text}`) ?? 0) + 1);
  console.log([line, ...[...errors].map(([answer, count]) => `  ${count}× ${answer}`)].join("\n"));
}

/** Calls sent at or after `from` and answered before `to`: the ones the fault surely met. */
const between = (calls: readonly Call[], from: number, to: number) =>
  calls.filter((call) => call.started >= from && call.ended <= to);

const statusesOf = (calls: readonly Call[]) => [...new Set(calls.map((call) => call.status))];

describe("step 04 under load, one fault at a time", () => {
  it("Queue Storage taken down mid-load (connections refused): 503 with a hint meanwhile; no 200 lost; in-doubt messages at most the requests in flight", async () => {
    let inFlight = 0;
    let during: Call[] = [];
    const outcome = await underLoad(async (load) => {
      inFlight = load.inFlight;
      await sandbox.stopService("queueStorage");
      try {
        const down = performance.now();
        // Down for real: the queue's port refuses connections.
        await expect(fetch(sandbox.queue.accountUrl)).rejects.toThrow();
        await load.until(() => load.count(down, 503) >= CALLERS, "callers to meet the outage", RECOVERY_GUARD_MS);
        during = between(load.calls, down, performance.now());
      } finally {
        await sandbox.startService("queueStorage");
      }
      return { recoverFrom: performance.now() };
    });
    report(
      "Queue Storage down",
      outcome,
      `, in flight when it went ${inFlight}, during the outage ${countsByStatus(during)}`,
    );
    expectRecovered(outcome, QUEUE_DOWN);
    expect(statusesOf(during)).toEqual([503]);
    expect(outcome.reconciled.messages).toBe(outcome.issued + outcome.reconciled.inDoubt);
    expect(outcome.reconciled.inDoubt).toBeLessThanOrEqual(inFlight);
  });

  it("Queue Storage unavailable mid-load (503 ServerBusy, as the live view's Stop makes it): 503 with a hint meanwhile; exactly one message per 200", async () => {
    let during: Call[] = [];
    const outcome = await underLoad(async (load) => {
      sandbox.queue.setAvailable(false);
      try {
        const stopped = performance.now();
        await load.until(() => load.count(stopped, 503) >= CALLERS, "callers to meet the outage", RECOVERY_GUARD_MS);
        during = between(load.calls, stopped, performance.now());
      } finally {
        sandbox.queue.setAvailable(true);
      }
      return { recoverFrom: performance.now() };
    });
    report("Queue Storage unavailable", outcome, `, during the outage ${countsByStatus(during)}`);
    expectRecovered(outcome, QUEUE_DOWN);
    expect(statusesOf(during)).toEqual([503]);
    // A refusal changes nothing: no message is in doubt.
    expectExact(outcome);
  });

  it("the token service down once tokens are cached: every caller still gets a code", async () => {
    let during: Call[] = [];
    const outcome = await underLoad(async (load) => {
      await sandbox.stopService("managedIdentity");
      await sandbox.stopService("entraId");
      try {
        const down = performance.now();
        // Down for real: the endpoint refuses connections.
        await expect(fetch(sandbox.endpoints.identityEndpoint)).rejects.toThrow();
        await load.until(
          () => load.count(down) >= 2 * CALLERS,
          "calls while the token service is down",
          RECOVERY_GUARD_MS,
        );
        during = between(load.calls, down, performance.now());
      } finally {
        await sandbox.startService("managedIdentity");
        await sandbox.startService("entraId");
      }
      return { recoverFrom: performance.now() };
    });
    report("token service down", outcome, `, during the outage ${countsByStatus(during)}`);
    expectRecovered(outcome, {});
    expect(during.length).toBeGreaterThan(0);
    expect(statusesOf(during)).toEqual([200]);
    expectExact(outcome);
  });

  it("Key Vault down mid-load, then a key rotation: 502 while the key cannot be read again, codes once the vault is back", async () => {
    const secretName = sandbox.siteEnvironment("keyless-step-04")["THIRD_PARTY_API_SECRET_NAME"] ?? "";
    const seedKeys = sandbox.thirdParty.keys();
    const rotated = randomBytes(40).toString("base64");
    secrets.push(rotated);
    let downOnly: Call[] = [];
    let rotatedDown: Call[] = [];
    try {
      const outcome = await underLoad(async (load) => {
        await sandbox.stopService("keyVault");
        try {
          const down = performance.now();
          await load.until(() => load.count(down) >= CALLERS, "calls while Key Vault is down", RECOVERY_GUARD_MS);
          // The rotation: the third party takes only the new key, and the vault holds it; the app must read it again, and cannot.
          const rotation = performance.now();
          downOnly = between(load.calls, down, rotation);
          sandbox.thirdParty.setKeys([rotated]);
          sandbox.secrets.set(secretName, { value: rotated });
          await load.until(
            () => load.count(rotation, 502) >= CALLERS,
            "callers to meet the rotation",
            RECOVERY_GUARD_MS,
          );
          rotatedDown = between(load.calls, rotation, performance.now());
        } finally {
          await sandbox.startService("keyVault");
        }
        return { recoverFrom: performance.now() };
      });
      report(
        "Key Vault down + rotation",
        outcome,
        `, vault down ${countsByStatus(downOnly)}, then rotated ${countsByStatus(rotatedDown)}`,
      );
      expectRecovered(outcome, { 502: { error: "Could not get you a code.", upstreamStatus: 401, hint: /Key Vault/ } });
      expect(statusesOf(downOnly)).toEqual([200]);
      expect(statusesOf(rotatedDown)).toEqual([502]);
      expectExact(outcome);
    } finally {
      sandbox.thirdParty.setKeys(seedKeys);
      sandbox.secrets.set(secretName, { value: seedKeys[0] ?? "" });
    }
  });

  const thirdPartyFaults: {
    name: string;
    status: number;
    expected: ExpectedError;
    inject(): Promise<void> | void;
    clear(): Promise<void> | void;
  }[] = [
    {
      name: `third party slow (past ${THIRD_PARTY_TIMEOUT_MS / 1000} s)`,
      status: 504,
      expected: { error: `The third-party API did not answer within ${THIRD_PARTY_TIMEOUT_MS / 1000} s.` },
      inject: () => sandbox.thirdParty.setFault({ kind: "delay", ms: THIRD_PARTY_TIMEOUT_MS + 1000 }),
      clear: () => sandbox.thirdParty.setFault(null),
    },
    {
      name: "third party down",
      status: 502,
      expected: { error: "Could not reach the third-party API." },
      inject: () => sandbox.thirdParty.stop(),
      clear: () => sandbox.thirdParty.start(),
    },
    {
      name: "third party answers 401 (keys rotated, vault not updated)",
      status: 502,
      expected: { error: "Could not get you a code.", upstreamStatus: 401, hint: /rejected the access key/ },
      inject: () => {
        const rotated = randomBytes(40).toString("base64");
        secrets.push(rotated);
        sandbox.thirdParty.setKeys([rotated]);
      },
      clear: () => sandbox.thirdParty.setKeys(sandbox.tenant.thirdParty.keys),
    },
    {
      name: "third party answers 500",
      status: 502,
      expected: { error: "Could not get you a code.", upstreamStatus: 500 },
      inject: () => sandbox.thirdParty.setFault({ kind: "status", status: 500 }),
      clear: () => sandbox.thirdParty.setFault(null),
    },
    {
      name: "third party answers garbage JSON",
      status: 502,
      expected: { error: "Could not get you a code.", upstreamStatus: 200 },
      inject: () => sandbox.thirdParty.setFault({ kind: "body", body: "{not json" }),
      clear: () => sandbox.thirdParty.setFault(null),
    },
  ];

  for (const fault of thirdPartyFaults) {
    it(`${fault.name}: ${fault.status} with the step's JSON error, codes again once it is cleared`, async () => {
      let during: Call[] = [];
      try {
        const outcome = await underLoad(async (load) => {
          await fault.inject();
          try {
            const injected = performance.now();
            await load.until(() => load.count(injected) >= CALLERS, "calls that meet the fault", RECOVERY_GUARD_MS);
            during = between(load.calls, injected, performance.now());
          } finally {
            await fault.clear();
          }
          return { recoverFrom: performance.now() };
        });
        report(fault.name, outcome, `, during the fault ${countsByStatus(during)}`);
        expectRecovered(outcome, { [fault.status]: fault.expected });
        expect(during.length).toBeGreaterThan(0);
        expect(statusesOf(during)).toEqual([fault.status]);
        expectExact(outcome);
      } finally {
        sandbox.thirdParty.setFault(null);
        sandbox.thirdParty.setKeys(sandbox.tenant.thirdParty.keys);
        await sandbox.thirdParty.start();
      }
    });
  }

  it("leaves no secret in the step's logs, and every failure was one the step expected", () => {
    const logs = step.output();
    // The step logs "unexpected failure" for what it did not turn into its own error (then a plain 500).
    expect(logs).not.toContain("unexpected failure");
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(JWT);
  });
});
