/**
 * The local HTTP surfaces a web page could reach and that only this machine's
 * programs call answer to this machine only, whatever credentials a request
 * carries: a `Host` that names another site (a page that rebinds its own name
 * to 127.0.0.1) gets 421, an `Origin` of another site (a page's own request)
 * gets 403, and neither changes anything. The launcher's control endpoint (its
 * token in hand), the OpenTelemetry collector (a valid batch in hand) and the
 * live view.
 */
import { request } from "node:http";
import { startDashboard, type RunningDashboard } from "@keyless/dashboard";
import { startControlServer } from "@keyless/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stubDashboardLauncher } from "../src/liveViewSurface.ts";
import { stubLauncher } from "../src/sandboxSurfaces.ts";
import { startWorld, type World } from "../src/world.ts";

let world: World;
let control: Awaited<ReturnType<typeof startControlServer>>;
let view: RunningDashboard;

beforeAll(async () => {
  world = await startWorld({ queue: false });
  control = await startControlServer(world.sandbox, stubLauncher(world).view);
  view = await startDashboard({ sandbox: world.sandbox, launcher: stubDashboardLauncher(), port: 0 });
});
afterAll(async () => {
  await view?.stop();
  await control?.stop();
  await world?.stop();
});

/** One request with exactly these headers (fetch would not send a Host of our choosing). */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const outgoing = request(
      { host: "127.0.0.1", port: target.port, path: `${target.pathname}${target.search}`, method, headers },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

const spans = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "a-web-page" } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: "0af7651916cd43dd8448eb211c80319c",
              spanId: "b7ad6b7169203331",
              name: "GET /injected",
              kind: 2,
              startTimeUnixNano: "1700000000000000000",
              endTimeUnixNano: "1700000000100000000",
            },
          ],
        },
      ],
    },
  ],
});

describe("a local-only surface refuses a foreign Host or Origin, whatever it carries", () => {
  it("the launcher's control endpoint, with its token: 421 for another Host, 403 for another site's Origin, nothing changed", async () => {
    const port = new URL(control.url).port;
    const keys = world.sandbox.thirdParty.keys();
    const change = (headers: Record<string, string>) =>
      send(
        `${control.url}/third-party/keys`,
        "PUT",
        { authorization: `Bearer ${control.token}`, "content-type": "application/json", ...headers },
        JSON.stringify({ keys: ["a-key-a-web-page-chose"] }),
      );
    const rebound = await change({ host: `evil.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.text)).toEqual({ error: "The control endpoint answers to localhost only." });
    const crossSite = await change({ host: `127.0.0.1:${port}`, origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect((await change({ host: `localhost:${port}`, origin: "null" })).status).toBe(403);
    expect(world.sandbox.thirdParty.keys()).toEqual(keys);
    // This machine's own names pass, with or without an Origin of its own.
    const ping = (headers: Record<string, string>) =>
      send(`${control.url}/ping`, "GET", { authorization: `Bearer ${control.token}`, ...headers });
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`])
      expect((await ping({ host })).status, host).toBe(200);
    expect((await ping({ host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it("the OpenTelemetry collector, with a valid batch: 421 for another Host, 403 for another site's Origin, no span taken", async () => {
    const url = world.sandbox.endpoints.telemetry;
    const port = new URL(url).port;
    const post = (headers: Record<string, string>) =>
      send(url, "POST", { "content-type": "application/json", ...headers }, spans);
    const before = world.sandbox.telemetry.list().length;
    expect((await post({ host: `evil.example:${port}` })).status).toBe(421);
    expect((await post({ host: `127.0.0.1:${port}`, origin: "https://evil.example" })).status).toBe(403);
    expect(world.sandbox.telemetry.list()).toHaveLength(before);
    expect((await post({ host: `127.0.0.1:${port}` })).status).toBe(200);
    expect(world.sandbox.telemetry.list()).toHaveLength(before + 1);
  });

  it("the live view: 421 for another Host", async () => {
    const rebound = await send(view.url, "GET", { host: `evil.example:${view.port}` });
    expect(rebound.status).toBe(421);
    expect((await send(view.url, "GET", { host: `localhost:${view.port}` })).status).toBe(200);
  });
});
