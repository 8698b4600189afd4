import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ThirdPartyFault } from "@keyless/third-party-api";

/** How the suite drives the third party: in the same process, or a running sandbox's over HTTP. */
export interface ThirdPartyControl {
  keys(): readonly string[] | Promise<readonly string[]>;
  setKeys(keys: readonly string[]): void | Promise<void>;
  setFault(fault: ThirdPartyFault | null): void | Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** What the checks any deployment answers need: its URL alone (an app on Azure, or anywhere). */
export interface DeployedApp {
  /** The app's base URL, e.g. https://<app>.azurewebsites.net. */
  readonly baseUrl: string;
  /** Told each code the suite was issued: a checkpoint removes their queue messages afterwards. */
  onCode?(code: string): void;
}

/** What the whole suite needs from a running step and the world around it. */
export interface ContractTarget extends DeployedApp {
  /** The third party the step calls, so the suite can make it fail. */
  readonly thirdParty: ThirdPartyControl;
  /** The step's THIRD_PARTY_API_TIMEOUT_MS. */
  readonly timeoutMs: number;
  /** Values that must never appear in a response or a log line. */
  readonly secrets: readonly string[];
  /** What the step has logged so far. */
  logs(): string | Promise<string>;
  stop(): Promise<void>;
}

export const CODE_PATTERN = /^[A-Za-z]{3}-(\d{1,4})-[A-Za-z]{3}$/;

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  readonly text: string;
  json<T>(): T;
}

/**
 * The behaviour every step shares, checked over real HTTP. A step's test
 * file calls this with a function that starts the step and its world.
 */
export function describeStepContract(title: string, start: () => Promise<ContractTarget>): void {
  describeContract(title, { world: start });
}

/**
 * The same suite against an app that runs elsewhere (`npm run check -- --url`):
 * every check its URL alone can answer. The checks that make the third party
 * fail on purpose, or read the app's logs and the third party's key, need the
 * sandbox's world: they are listed, skipped.
 */
export function describeDeployedContract(title: string, start: () => Promise<DeployedApp>): void {
  describeContract(title, { app: start });
}

function describeContract(
  title: string,
  start: { readonly world: () => Promise<ContractTarget> } | { readonly app: () => Promise<DeployedApp> },
): void {
  describe(`${title}: the contract every step keeps`, () => {
    let app: DeployedApp;
    let world: ContractTarget | undefined;
    const seen: string[] = [];
    /** A check that controls the third party or reads the logs: it runs only when the suite has the world, else it is listed, skipped. */
    const withWorld = (name: string, check: (target: ContractTarget) => Promise<void>) => {
      if ("world" in start) it(name, () => check(world as ContractTarget));
      else it.skip(name, () => undefined);
    };

    beforeAll(async () => {
      if ("world" in start) app = world = await start.world();
      else app = await start.app();
    }, 30_000);

    afterAll(async () => {
      await world?.stop();
    });

    afterEach(async () => {
      // Put the third party back the way it was, whatever the test did to it.
      await world?.thirdParty.setFault(null);
      await world?.thirdParty.start();
    });

    async function get(path: string, init?: RequestInit): Promise<Answer> {
      const response = await fetch(new URL(path, app.baseUrl), init);
      const text = await response.text();
      seen.push(text, JSON.stringify([...response.headers]));
      if (response.ok && app.onCode) {
        const code = (() => {
          try {
            return (JSON.parse(text) as { code?: unknown }).code;
          } catch {
            return undefined;
          }
        })();
        if (typeof code === "string") app.onCode?.(code);
      }
      return {
        status: response.status,
        contentType: response.headers.get("content-type") ?? "",
        headers: response.headers,
        text,
        json: <T>() => JSON.parse(text) as T,
      };
    }

    function expectErrorBody(answer: Answer): { error: string; hint?: string; upstreamStatus?: number } {
      expect(answer.contentType).toMatch(/^application\/json/);
      const body = answer.json<{ error: unknown; hint?: unknown; upstreamStatus?: unknown }>();
      expect(typeof body.error).toBe("string");
      expect(answer.text).not.toMatch(/\n\s+at |\bat .*\.ts:\d+/);
      return body as { error: string; hint?: string; upstreamStatus?: number };
    }

    it("serves an HTML page at /", async () => {
      const answer = await get("/");
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^text\/html/);
      expect(answer.text).toMatch(/<html/i);
      expect(answer.text).toContain("/api/v1/getcode");
    });

    it("issues a code: three letters, the third party's number (1..1000), three letters, and a fresh timestamp", async () => {
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
    });

    it("issues a different code on every call", async () => {
      const codes = new Set<string>();
      for (let i = 0; i < 10; i++) codes.add((await get("/api/v1/getcode")).json<{ code: string }>().code);
      expect(codes.size).toBe(10);
    });

    it("answers 50 concurrent calls, all with distinct codes", async () => {
      const answers = await Promise.all(Array.from({ length: 50 }, () => get("/api/v1/getcode")));
      expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
      expect(new Set(answers.map((answer) => answer.json<{ code: string }>().code)).size).toBe(50);
    });

    withWorld("answers 502 with the upstream status when the third party fails (500)", async (target) => {
      await target.thirdParty.setFault({ kind: "status", status: 500 });
      const answer = await get("/api/v1/getcode");
      expect(answer.status).toBe(502);
      const body = expectErrorBody(answer);
      expect(body.error).toBe("Could not get you a code.");
      expect(body.upstreamStatus).toBe(500);
    });

    withWorld("answers 502 with upstream status 401 when the third party rejects the key", async (target) => {
      const keys = await target.thirdParty.keys();
      await target.thirdParty.setKeys(["a-key-nobody-has"]);
      try {
        const answer = await get("/api/v1/getcode");
        expect(answer.status).toBe(502);
        const body = expectErrorBody(answer);
        expect(body.error).toBe("Could not get you a code.");
        expect(body.upstreamStatus).toBe(401);
      } finally {
        await target.thirdParty.setKeys(keys);
      }
    });

    withWorld(
      "answers 502 with a clear message when the third party is down, and recovers when it is back",
      async (target) => {
        await target.thirdParty.stop();
        const answer = await get("/api/v1/getcode");
        expect(answer.status).toBe(502);
        expect(expectErrorBody(answer).error).toMatch(/reach the third-party API/);
        await target.thirdParty.start();
        expect((await get("/api/v1/getcode")).status).toBe(200);
      },
    );

    withWorld("answers 504 when the third party is slower than the timeout", async (target) => {
      await target.thirdParty.setFault({ kind: "delay", ms: target.timeoutMs + 1000 });
      const answer = await get("/api/v1/getcode");
      expect(answer.status).toBe(504);
      expect(expectErrorBody(answer).error).toMatch(/did not answer within/);
    });

    it("answers unknown routes with 404 JSON", async () => {
      const missing = await get("/api/v1/nothing-here");
      expect(missing.status).toBe(404);
      expectErrorBody(missing);
    });

    it("issues a code only for GET: HEAD and every other method get 405 with Allow: GET", async () => {
      for (const method of ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
        const answer = await get("/api/v1/getcode", { method });
        expect(answer.status, method).toBe(405);
        expect(answer.headers.get("allow"), method).toBe("GET");
        expect(answer.contentType, method).toMatch(/^application\/json/);
        // A HEAD answer has no body, by definition.
        if (method !== "HEAD") expectErrorBody(answer);
      }
    });

    withWorld("issues no code for HEAD: the step logs none", async (target) => {
      const issued = async () => ((await target.logs()).match(/issued a code/g) ?? []).length;
      const before = await issued();
      expect((await get("/api/v1/getcode", { method: "HEAD" })).status).toBe(405);
      // A GET after it: once its log line is in, any line the HEAD caused would be too.
      const { code } = (await get("/api/v1/getcode")).json<{ code: string }>();
      await vi.waitFor(async () => expect(await target.logs()).toContain(code), { timeout: 10_000, interval: 50 });
      expect(await issued()).toBe(before + 1);
    });

    it("answers a malformed request with a 4xx JSON error, not a stack trace", async () => {
      const answer = await get("/api/v1/%E0%A4%A");
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expectErrorBody(answer);
    });

    withWorld("never shows the third-party key in a response or a log line", async (target) => {
      expect(seen.length).toBeGreaterThan(10);
      const everything = seen.join("\n") + (await target.logs());
      for (const secret of target.secrets) expect(everything).not.toContain(secret);
    });
  });
}
