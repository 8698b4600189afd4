/**
 * The sandbox's OpenTelemetry collector: OTLP/HTTP with JSON, as the SDKs' exporters send it.
 * It keeps spans, once each, and never a secret the sandbox knows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redact, spansOf } from "../src/providers/monitor/collector.ts";
import { startSandbox, type Sandbox } from "../src/index.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ queue: false, auditFile: false });
});
afterAll(() => sandbox?.stop());

const TRACE = "5b8efff798038103d269b633813fc60c";
/** An ExportTraceServiceRequest as @opentelemetry/exporter-trace-otlp-http sends it (ids in hex, times as strings). */
const batch = (attributes: Record<string, string>, spanId = "eee19b7ec3c1b174") => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "keyless-step-03" } }] },
      scopeSpans: [
        {
          scope: { name: "@opentelemetry/instrumentation-undici" },
          spans: [
            {
              traceId: TRACE,
              spanId,
              parentSpanId: "eee19b7ec3c1b173",
              name: "GET",
              kind: 3,
              startTimeUnixNano: "1795457160635000000",
              endTimeUnixNano: "1795457160676632281",
              attributes: [
                ...Object.entries(attributes).map(([key, stringValue]) => ({ key, value: { stringValue } })),
                { key: "http.response.status_code", value: { intValue: 200 } },
              ],
              status: { code: 0 },
              events: [],
            },
          ],
        },
      ],
    },
  ],
});
const post = (body: unknown, contentType = "application/json") =>
  fetch(sandbox.endpoints.telemetry, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("the OpenTelemetry collector", () => {
  it("takes a batch, and keeps each span once, its times in milliseconds", async () => {
    const answer = await post(batch({ "url.full": "http://localhost:7071/api/RandomNumber" }));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({});
    await post(batch({ "url.full": "http://localhost:7071/api/RandomNumber" }));
    const kept = sandbox.telemetry.list({ traceId: TRACE });
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      service: "keyless-step-03",
      kind: "client",
      parentSpanId: "eee19b7ec3c1b173",
      startTime: 1795457160635,
      attributes: { "http.response.status_code": 200 },
    });
    expect(kept[0]?.endTime).toBeCloseTo(1795457160676.632, 2);
  });

  it("never keeps a secret the sandbox knows, nor a query value that is not on its safe list", async () => {
    const key = sandbox.thirdParty.keys()[0] ?? "";
    const clientSecret = sandbox.directory.servicePrincipals[0]?.secret ?? "";
    await post(
      batch(
        {
          "url.full": `http://localhost:7071/api/RandomNumber?code=${encodeURIComponent(key)}&api-version=1`,
          note: `key ${key} and secret ${clientSecret}`,
        },
        "eee19b7ec3c1b175",
      ),
    );
    const [span] = sandbox.telemetry
      .list({ traceId: TRACE })
      .filter((candidate) => candidate.spanId === "eee19b7ec3c1b175");
    expect(span?.attributes["url.full"]).toBe("http://localhost:7071/api/RandomNumber?code=[redacted]&api-version=1");
    expect(span?.attributes["note"]).toBe("key [redacted] and secret [redacted]");
    expect(JSON.stringify(sandbox.telemetry.list())).not.toContain(key);
    expect(redact("/msi/token?api%2Dversion=2019-08-01&resource=https://vault.localhost&sig=abc", [])).toBe(
      "/msi/token?api%2Dversion=2019-08-01&resource=https://vault.localhost&sig=[redacted]",
    );
  });

  it("refuses protobuf with OTLP's status and a sentence, and leaves out what is not a span", async () => {
    const protobuf = await post("\u0000\u0001", "application/x-protobuf");
    expect(protobuf.status).toBe(415);
    expect(((await protobuf.json()) as { message: string }).message).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL=http\/json/);
    expect(
      spansOf({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: "00000000000000000000000000000000", spanId: "x" }, null, 7] }] },
        ],
      }),
    ).toEqual([]);
    expect(spansOf("not a batch")).toEqual([]);
    const malformed = await post("{", "application/json");
    expect(malformed.status).toBe(400);
  });
});
