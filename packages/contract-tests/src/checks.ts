/**
 * The behaviour every step shares, checked over real HTTP: the suite's checks as data, in the order they run.
 * vitest registers them (contract.ts, for the steps' and the sandbox's tests) and `runContract` runs them in
 * the calling process (runContract.ts, for `npm run check`): one suite, two ways to run it.
 */
// vitest's own `expect` (its assertions and their messages), which also works outside vitest's runner.
import { expect } from "vitest";
import type { Answer, CheckContext } from "./session.ts";
import type { ContractTarget } from "./target.ts";
import { waitFor } from "./waitFor.ts";

export const CODE_PATTERN = /^[A-Za-z]{3}-(\d{1,4})-[A-Za-z]{3}$/;

/** One named check of the suite. */
export interface ContractCheck {
  readonly title: string;
  /** It controls the third party or reads the logs: it runs only when the run has the sandbox's world, else it is listed, skipped. */
  readonly needsWorld: boolean;
  run(on: CheckContext): Promise<void>;
}

const check = (title: string, run: (on: CheckContext) => Promise<void>): ContractCheck => ({
  title,
  needsWorld: false,
  run,
});

const withWorld = (title: string, run: (on: CheckContext, world: ContractTarget) => Promise<void>): ContractCheck => ({
  title,
  needsWorld: true,
  run: (on) => run(on, on.world),
});

function expectErrorBody(answer: Answer): { error: string; hint?: string; upstreamStatus?: number } {
  expect(answer.contentType).toMatch(/^application\/json/);
  const body = answer.json<{ error: unknown; hint?: unknown; upstreamStatus?: unknown }>();
  expect(typeof body.error).toBe("string");
  expect(answer.text).not.toMatch(/\n\s+at |\bat .*\.ts:\d+/);
  return body as { error: string; hint?: string; upstreamStatus?: number };
}

export const CONTRACT_CHECKS: readonly ContractCheck[] = [
  check("serves an HTML page at /", async ({ get }) => {
    const answer = await get("/");
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/html/);
    expect(answer.text).toMatch(/<html/i);
    expect(answer.text).toContain("/api/v1/getcode");
  }),

  check(
    "issues a code: three letters, the third party's number (1..1000), three letters, and a fresh timestamp",
    async ({ get }) => {
      const answer = await get("/api/v1/getcode");
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^application\/json/);
      const body = answer.json<{ code: string; timestamp: string }>();
      expect(Object.keys(body).sort()).toEqual(["code", "timestamp"]);
      const match = CODE_PATTERN.exec(body.code);
      expect(match, `code ${body.code}`).not.toBeNull();
      const value = Number(match?.[1]);
      expect(value).toBeGreaterThanOrEqual(1);
      expect(value).toBeLessThanOrEqual(1000);
      expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
      expect(Math.abs(Date.now() - Date.parse(body.timestamp))).toBeLessThan(10_000);
    },
  ),

  check("issues a different code on every call", async ({ get }) => {
    const codes = new Set<string>();
    for (let i = 0; i < 10; i++) codes.add((await get("/api/v1/getcode")).json<{ code: string }>().code);
    expect(codes.size).toBe(10);
  }),

  check("answers 50 concurrent calls, all with distinct codes", async ({ get }) => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => get("/api/v1/getcode")));
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((answer) => answer.json<{ code: string }>().code)).size).toBe(50);
  }),

  withWorld("answers 502 with the upstream status when the third party fails (500)", async ({ get }, world) => {
    await world.thirdParty.setFault({ kind: "status", status: 500 });
    const answer = await get("/api/v1/getcode");
    expect(answer.status).toBe(502);
    const body = expectErrorBody(answer);
    expect(body.error).toBe("Could not get you a code.");
    expect(body.upstreamStatus).toBe(500);
  }),

  withWorld("answers 502 with upstream status 401 when the third party rejects the key", async ({ get }, world) => {
    const keys = await world.thirdParty.keys();
    await world.thirdParty.setKeys(["a-key-nobody-has"]);
    try {
      const answer = await get("/api/v1/getcode");
      expect(answer.status).toBe(502);
      const body = expectErrorBody(answer);
      expect(body.error).toBe("Could not get you a code.");
      expect(body.upstreamStatus).toBe(401);
    } finally {
      await world.thirdParty.setKeys(keys);
    }
  }),

  withWorld(
    "answers 502 with a clear message when the third party is down, and recovers when it is back",
    async ({ get }, world) => {
      await world.thirdParty.stop();
      const answer = await get("/api/v1/getcode");
      expect(answer.status).toBe(502);
      expect(expectErrorBody(answer).error).toMatch(/reach the third-party API/);
      await world.thirdParty.start();
      expect((await get("/api/v1/getcode")).status).toBe(200);
    },
  ),

  withWorld("answers 504 when the third party is slower than the timeout", async ({ get }, world) => {
    await world.thirdParty.setFault({ kind: "delay", ms: world.timeoutMs + 1000 });
    const answer = await get("/api/v1/getcode");
    expect(answer.status).toBe(504);
    expect(expectErrorBody(answer).error).toMatch(/did not answer within/);
  }),

  check("answers unknown routes with 404 JSON", async ({ get }) => {
    const missing = await get("/api/v1/nothing-here");
    expect(missing.status).toBe(404);
    expectErrorBody(missing);
  }),

  check("issues a code only for GET: HEAD and every other method get 405 with Allow: GET", async ({ get }) => {
    for (const method of ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const answer = await get("/api/v1/getcode", { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.get("allow"), method).toBe("GET");
      expect(answer.contentType, method).toMatch(/^application\/json/);
      // A HEAD answer has no body, by definition.
      if (method !== "HEAD") expectErrorBody(answer);
    }
  }),

  withWorld("issues no code for HEAD: the step logs none", async ({ get, signal }, world) => {
    const issued = async () => ((await world.logs()).match(/issued a code/g) ?? []).length;
    const before = await issued();
    expect((await get("/api/v1/getcode", { method: "HEAD" })).status).toBe(405);
    // A GET after it: once its log line is in, any line the HEAD caused would be too.
    const { code } = (await get("/api/v1/getcode")).json<{ code: string }>();
    await waitFor(async () => expect(await world.logs()).toContain(code), { timeout: 10_000, interval: 50, signal });
    expect(await issued()).toBe(before + 1);
  }),

  check("answers a malformed request with a 4xx JSON error, not a stack trace", async ({ get }) => {
    const answer = await get("/api/v1/%E0%A4%A");
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expectErrorBody(answer);
  }),

  withWorld("never shows the third-party key in a response or a log line", async ({ seen }, world) => {
    expect(seen.length).toBeGreaterThan(10);
    const everything = seen.join("\n") + (await world.logs());
    for (const secret of world.secrets) expect(everything).not.toContain(secret);
  }),
];
