/**
 * runContract runs the one suite in the calling process, as vitest runs it for the steps: every check in
 * order, the ones that need the sandbox's world skipped without it, the same clean-up after each, a failure in
 * expect's words, and a hung app ended by the check's hang guard with nothing left open.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { CONTRACT_CHECKS, type ContractTarget, DEFAULT_LIMITS, runContract } from "../src/index.ts";
import { type Behaviour, type FakeApp, startFakeApp } from "./fakeApp.ts";

let app: FakeApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function fake(behaviour: Behaviour): Promise<FakeApp> {
  app = await startFakeApp(behaviour);
  return app;
}

/** A world around the fake app whose third party only records what the suite asks of it. */
function worldAround(fakeApp: FakeApp, calls: string[]): ContractTarget {
  return {
    baseUrl: fakeApp.baseUrl,
    thirdParty: {
      keys: () => ["the-third-party-key"],
      setKeys: (keys) => void calls.push(`setKeys ${keys.join(",")}`),
      setFault: (fault) => void calls.push(`setFault ${JSON.stringify(fault)}`),
      stop: async () => void calls.push("stop third party"),
      start: async () => void calls.push("start third party"),
    },
    timeoutMs: 100,
    secrets: ["the-third-party-key"],
    logs: () => fakeApp.logs.join("\n"),
    stop: async () => void calls.push("stop world"),
  };
}

/** An app that takes every connection and never answers; it prints its port. */
const HUNG_APP = `require("node:http").createServer(() => {}).listen(0, "127.0.0.1", function () { console.log(this.address().port); })`;

/** The sockets and timers that keep this process alive, by kind. */
const keepingAlive = () =>
  process
    .getActiveResourcesInfo()
    .filter((kind) => kind === "TCPSocketWrap" || kind === "Timeout")
    .sort();

const WORLD_CHECKS = CONTRACT_CHECKS.filter((check) => check.needsWorld).map((check) => check.title);

describe("runContract", () => {
  it("runs every check an app's URL alone can answer, in the suite's order, and lists the others as skipped", async () => {
    const { baseUrl } = await fake("keeps-the-contract");
    const report = await runContract({ app: async () => ({ baseUrl }) });
    expect(report.setUpError).toBeUndefined();
    expect(report.checks.map((check) => check.title)).toEqual(CONTRACT_CHECKS.map((check) => check.title));
    expect(report.checks.filter((check) => check.status === "skipped").map((check) => check.title)).toEqual(
      WORLD_CHECKS,
    );
    expect(report.checks.filter((check) => check.status === "failed")).toEqual([]);
  });

  it("tells onCode every code the app issued", async () => {
    const fakeApp = await fake("keeps-the-contract");
    const codes: string[] = [];
    await runContract({ app: async () => ({ baseUrl: fakeApp.baseUrl, onCode: (code) => void codes.push(code) }) });
    expect(codes.length).toBeGreaterThan(60);
    expect(codes.sort()).toEqual(fakeApp.logs.map((line) => line.replace("issued a code ", "")).sort());
  });

  it("says why a check failed in expect's words, first line first, with no stack", async () => {
    const { baseUrl } = await fake("answers-500");
    const report = await runContract({ app: async () => ({ baseUrl }) });
    const issue = report.checks.find((check) => check.title.startsWith("issues a code: three letters"));
    expect(issue).toEqual({
      title: issue?.title,
      status: "failed",
      message: "AssertionError: expected 500 to be 200 // Object.is equality",
    });
    expect(report.checks.find((check) => check.title === "serves an HTML page at /")?.status).toBe("passed");
  });

  it("with the world: runs the checks that need it, puts the third party back after each, and stops the world once", async () => {
    const fakeApp = await fake("keeps-the-contract");
    const calls: string[] = [];
    const report = await runContract({ world: async () => worldAround(fakeApp, calls) });
    expect(report.checks.filter((check) => check.status === "skipped")).toEqual([]);
    // The fake's third party does not fail when told to: those checks fail, the ones it can pass pass.
    const status = (title: string) => report.checks.find((check) => check.title === title)?.status;
    expect(status("answers 502 with the upstream status when the third party fails (500)")).toBe("failed");
    expect(status("issues no code for HEAD: the step logs none")).toBe("passed");
    expect(status("never shows the third-party key in a response or a log line")).toBe("passed");
    const resets = calls.filter((call) => call === "setFault null").length;
    expect(resets).toBe(CONTRACT_CHECKS.length);
    expect(calls.at(-1)).toBe("stop world");
    expect(calls.filter((call) => call === "stop world")).toHaveLength(1);
  });

  it("a target that does not start: no check runs, and the reason is given", async () => {
    const report = await runContract({
      world: async () => {
        throw new Error("Step 03 is not running: start it with npm run restart -- 03.");
      },
    });
    expect(report.setUpError).toBe("Error: Step 03 is not running: start it with npm run restart -- 03.");
    expect(report.checks.every((check) => check.status === "skipped")).toBe(true);
    expect(report.checks).toHaveLength(CONTRACT_CHECKS.length);
  });

  it("a hung app fails each check at its hang guard, with a clear message, and nothing of the run keeps the process alive", async () => {
    // The app in a process of its own: only the run's own sockets and timers are then this process's.
    const hung = spawn(process.execPath, ["-e", HUNG_APP], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const [port] = (await once(hung.stdout, "data")) as [Buffer];
      const before = keepingAlive();
      const report = await runContract(
        { app: async () => ({ baseUrl: `http://127.0.0.1:${String(port).trim()}` }) },
        { ...DEFAULT_LIMITS, checkMs: 200 },
      );
      const ran = report.checks.filter((check) => check.status !== "skipped");
      expect(ran.length).toBeGreaterThan(0);
      for (const check of ran) {
        expect(check.status, check.title).toBe("failed");
        expect(check.message, check.title).toBe(
          "Error: The check did not finish within 0.2 s: something it waited for never answered.",
        );
      }
      // The requests it cut short are aborted: their sockets close (within a few ticks), none is left waiting.
      // (Polled by hand: expect.poll's own timer would be counted.)
      for (let tries = 0; tries < 20 && keepingAlive().length > before.length; tries++) await sleep(50);
      expect(keepingAlive()).toEqual(before);
    } finally {
      hung.kill();
    }
  });
});
