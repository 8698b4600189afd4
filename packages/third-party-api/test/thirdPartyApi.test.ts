import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startThirdPartyApi, type RunningThirdPartyApi } from "../src/index.ts";

const PRIMARY = "primary-key-for-tests";
const SECONDARY = "secondary-key-for-tests";
let api: RunningThirdPartyApi;

beforeAll(async () => {
  api = await startThirdPartyApi({ keys: [PRIMARY, SECONDARY] });
});
afterAll(() => api.stop());

const call = (init: { key?: string; query?: string } = {}) =>
  fetch(api.endpoint + (init.query ?? ""), { headers: init.key ? { "x-functions-key": init.key } : {} });

describe("the third-party API (Azure Functions key auth)", () => {
  it("answers a value in 1..1000 with the primary or the secondary key", async () => {
    for (const key of [PRIMARY, SECONDARY]) {
      const response = await call({ key });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { value: number };
      expect(Number.isInteger(body.value)).toBe(true);
      expect(body.value).toBeGreaterThanOrEqual(1);
      expect(body.value).toBeLessThanOrEqual(1000);
    }
  });

  it("accepts the key in the code query parameter", async () => {
    const response = await call({ query: `?code=${PRIMARY}` });
    expect(response.status).toBe(200);
  });

  it.each([
    ["no key", {}],
    ["a wrong key", { key: "wrong" }],
    ["a key that is a prefix of a valid one", { key: PRIMARY.slice(0, 5) }],
  ])("answers 401 with no value for %s", async (_name, init) => {
    const response = await call(init);
    expect(response.status).toBe(401);
    expect(await response.text()).toBe("");
  });

  it("rotates keys: the old key stops working, the new one works", async () => {
    api.setKeys(["rotated-key"]);
    try {
      expect((await call({ key: PRIMARY })).status).toBe(401);
      expect((await call({ key: "rotated-key" })).status).toBe(200);
    } finally {
      api.setKeys([PRIMARY, SECONDARY]);
    }
  });

  it("injects a status fault, then recovers", async () => {
    api.setFault({ kind: "status", status: 500 });
    expect((await call({ key: PRIMARY })).status).toBe(500);
    api.setFault(null);
    expect((await call({ key: PRIMARY })).status).toBe(200);
  });

  it("stops (connection refused) and starts again on the same port", async () => {
    await api.stop();
    await expect(call({ key: PRIMARY })).rejects.toThrow();
    await api.start();
    expect((await call({ key: PRIMARY })).status).toBe(200);
  });

  it("answers 404 for other routes", async () => {
    expect((await fetch(api.endpoint.replace("RandomNumber", "Other"))).status).toBe(404);
  });
});

describe("faults the third party can be made to show", () => {
  it("answers 200 with any body it is given (garbage JSON, the wrong shape)", async () => {
    for (const body of ["{not json", '{"value": "twelve"}', '{"value": 5000}', ""]) {
      api.setFault({ kind: "body", body });
      const response = await call({ key: PRIMARY });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(body);
    }
    api.setFault(null);
  });
});
