/**
 * A function app's host keys through Resource Manager (`POST …/host/default/listKeys`,
 * what infra/main.json's `listKeys(...).functionKeys.default` reads): the third
 * party's are the keys it issued; any other new function app has a `default`
 * key of its own from the start, as Azure Functions' host makes one when it
 * first starts, the same on every read, gone with the app.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test.stop());

const keysOf = (site: string) =>
  test.sandbox.arm.invoke(`${site}/host/default`, "listKeys", undefined) as {
    functionKeys: Record<string, string>;
  };

describe("a function app's host keys", () => {
  it("a new function app has a default key of its own, kept, and gone with the app", () => {
    const { arm, scopes } = test.sandbox;
    const plan = `${scopes.resourceGroup}/providers/Microsoft.Web/serverfarms/keyless-plan`;
    const site = `${scopes.resourceGroup}/providers/Microsoft.Web/sites/keyless-another-function`;
    arm.put(site, { location: "westeurope", kind: "functionapp,linux", properties: { serverFarmId: plan } }, undefined);

    const { functionKeys } = keysOf(site);
    expect(Object.keys(functionKeys)).toEqual(["default"]);
    expect(functionKeys["default"]).toMatch(/^[A-Za-z0-9+/]{54}==$/);
    expect(keysOf(site)).toMatchObject({ functionKeys });
    // The third party's are still the ones it issued, and no other app's.
    const thirdParty = `${scopes.resourceGroup}/providers/Microsoft.Web/sites/keyless-third-party`;
    expect(Object.values(keysOf(thirdParty).functionKeys)).not.toContain(functionKeys["default"]);

    // A second PUT of the app (a redeployment) keeps its key.
    arm.put(site, { location: "westeurope", kind: "functionapp,linux", properties: { serverFarmId: plan } }, undefined);
    expect(keysOf(site)).toMatchObject({ functionKeys });

    arm.delete(site, undefined);
    expect(() => keysOf(site)).toThrow();
  });
});
