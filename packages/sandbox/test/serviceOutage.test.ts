/**
 * stopService and startService, for fault tests: one service goes down (its
 * callers get "connection refused") while the others keep answering, and it
 * comes back on the same port, as the steps' environment still names it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InterruptibleService } from "../src/index.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox();
});
afterAll(() => test.stop());

/** A request each service answers (with no credentials: any answer will do), by name. */
function probes(): Record<InterruptibleService, string> {
  const { endpoints, tenant } = test.sandbox;
  return {
    entraId: `${endpoints.authorityHost}/${tenant.tenant.alias}/.well-known/openid-configuration`,
    managedIdentity: endpoints.identityEndpoint,
    keyVault: `${endpoints.keyVaultUrl}/secrets?api-version=7.4`,
    queueStorage: `${test.sandbox.queue.accountUrl}?comp=list`,
  };
}

/** The status it answers, or "refused" when nothing listens. */
const statusOf = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
    (response) => response.status,
    (error: unknown) =>
      (error as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED" ? "refused" : String(error),
  );

describe("one service down at a time", () => {
  for (const name of ["entraId", "managedIdentity", "keyVault", "queueStorage"] as const) {
    it(`${name}: refused while down, the others answering; back on the same port`, async () => {
      const urls = probes();
      const before = await statusOf(urls[name]);
      expect(typeof before).toBe("number");
      await test.sandbox.stopService(name);
      try {
        expect(await statusOf(urls[name])).toBe("refused");
        for (const [other, url] of Object.entries(urls))
          if (other !== name) expect(typeof (await statusOf(url)), `${other} answers`).toBe("number");
      } finally {
        await test.sandbox.startService(name);
      }
      expect(await statusOf(urls[name])).toBe(before);
    });
  }
});
