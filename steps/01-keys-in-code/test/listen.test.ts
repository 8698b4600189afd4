/**
 * Who can call the step depends on where it listens, and that comes from the
 * environment: HOST=127.0.0.1 (what npm start sets) is this machine only, so
 * nobody on a workshop's Wi-Fi can call it; the default, every interface, is
 * what App Service needs. Every step's server.ts and config.ts do the same.
 */
import { networkInterfaces } from "node:os";
import { startStep } from "@keyless/contract-tests";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const dir = new URL("..", import.meta.url);
// Nothing here calls the third party: the home page is enough to tell whether the step answers.
const env = { THIRD_PARTY_API_ENDPOINT: "http://127.0.0.1:9/api/RandomNumber" };

/** An address of this machine that other machines can reach it on, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && !address.internal && address.family === "IPv4")?.address;
const NO_OUTSIDE_ADDRESS = "this machine has no IPv4 address but loopback to call the step on";

async function answers(host: string, port: number): Promise<boolean> {
  try {
    // A guard only: a refused connection fails at once.
    return (await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(10_000) })).ok;
  } catch {
    return false;
  }
}

const portOf = (url: string) => Number(new URL(url).port);

describe("where a step listens", () => {
  it("defaults to every interface, as App Service needs", () => {
    expect(loadConfig(env).HOST).toBe("0.0.0.0");
  });

  it("with HOST=127.0.0.1, answers on 127.0.0.1 and not on the machine's network address", async (context) => {
    context.skip(!outsideAddress, NO_OUTSIDE_ADDRESS);
    const step = await startStep({ dir, env: { ...env, HOST: "127.0.0.1" } });
    try {
      const port = portOf(step.url);
      expect(await answers("127.0.0.1", port)).toBe(true);
      expect(await answers(outsideAddress ?? "", port), `reachable on ${outsideAddress}:${port}`).toBe(false);
    } finally {
      await step.stop();
    }
  });

  it("with HOST=0.0.0.0, answers on the machine's network address too (so the test above can see exposure)", async (context) => {
    context.skip(!outsideAddress, NO_OUTSIDE_ADDRESS);
    const step = await startStep({ dir, env: { ...env, HOST: "0.0.0.0" } });
    try {
      expect(await answers(outsideAddress ?? "", portOf(step.url))).toBe(true);
    } finally {
      await step.stop();
    }
  });
});
