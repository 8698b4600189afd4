/**
 * A request's path from spans and audit events: each event joins the span whose id its
 * traceparent carried; the token summary names the credential that answered and whether the
 * token was fetched (a sign-in) or cached; what no span claims is still shown.
 */
import { describe, expect, it } from "vitest";
import type { AuditEvent, TelemetrySpan } from "@keyless/sandbox";
import { html } from "../src/html.ts";
import { buildTraces } from "../src/traces.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const VAULT = "https://keyless-kv.vault.localhost:8443";
const origins = {
  [VAULT]: "Key Vault",
  "http://127.0.0.1:8446": "Managed identity endpoint",
  "http://localhost:7071": "Third-party API",
};
let clock = 1_800_000_000_000;

function span(spanId: string, name: string, fields: Partial<TelemetrySpan> = {}): TelemetrySpan {
  clock += 5;
  const startTime = clock;
  return {
    traceId: TRACE,
    spanId,
    name,
    kind: "internal",
    service: "keyless-step-03",
    scope: "@azure/keyvault-secrets",
    startTime,
    endTime: startTime + 3,
    status: { code: "unset" },
    attributes: {},
    events: [],
    ...fields,
  };
}
const http = (spanId: string, parentSpanId: string, url: string, status: number) =>
  span(spanId, "HTTP GET", {
    parentSpanId,
    kind: "client",
    scope: "@azure/core-rest-pipeline",
    attributes: { "http.url": url, "http.method": "GET", "http.status_code": status },
    status: { code: status >= 400 ? "error" : "unset" },
  });
const fetchSpan = (spanId: string, parentSpanId: string, status: number) =>
  span(spanId, "GET", {
    parentSpanId,
    kind: "client",
    scope: "@opentelemetry/instrumentation-undici",
    attributes: {
      "url.full": "http://localhost:7071/api/RandomNumber",
      "http.request.method": "GET",
      "http.response.status_code": status,
    },
  });
let ids = 0;
function event(spanId: string, fields: Partial<AuditEvent>): AuditEvent {
  clock += 1;
  return {
    id: ++ids,
    time: new Date(clock).toISOString(),
    category: "AuditEvent",
    operationName: "SecretGet",
    resultType: "Success",
    statusCode: 200,
    traceId: TRACE,
    spanId,
    ...fields,
  };
}

describe("a trace from spans and audit events", () => {
  it("start-up: the challenge, the chain (ManagedIdentityCredential answered, fetched), RBAC's decision", () => {
    const spans = [
      span("0000000000000001", "SecretClient.getSecret", { attributes: { "az.namespace": "Microsoft.KeyVault" } }),
      http("0000000000000002", "0000000000000001", `${VAULT}/secrets/third-party-api-key/?api-version=7.6`, 401),
      span("0000000000000003", "ChainedTokenCredential.getToken", {
        parentSpanId: "0000000000000001",
        scope: "@azure/identity",
        attributes: { "az.namespace": "Microsoft.KeyVault" },
      }),
      span("0000000000000004", "EnvironmentCredential.getToken", {
        parentSpanId: "0000000000000003",
        scope: "@azure/identity",
        status: { code: "error", message: "CredentialUnavailableError: EnvironmentCredential is unavailable." },
      }),
      span("0000000000000005", "ManagedIdentityCredential.getToken", {
        parentSpanId: "0000000000000003",
        scope: "@azure/identity",
      }),
      http("0000000000000006", "0000000000000005", "http://127.0.0.1:8446/msi/token?api-version=2019-08-01", 200),
      http("0000000000000007", "0000000000000001", `${VAULT}/secrets/third-party-api-key/?api-version=7.6`, 200),
    ];
    const events = [
      event("0000000000000002", {
        operationName: "Authentication",
        resultType: "Failure",
        statusCode: 401,
        errorCode: "Unauthorized",
      }),
      event("0000000000000006", {
        category: "ManagedIdentitySignInLogs",
        operationName: "Sign-in activity",
        caller: { displayName: "keyless-step-03" },
      }),
      event("0000000000000007", {
        authorization: {
          decision: "Allowed",
          action: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
          scope: "/vault",
          roleDefinitionName: "Key Vault Secrets User",
        },
        caller: { objectId: "b2c3" },
      }),
    ];
    const [trace] = buildTraces(spans, events, origins);
    expect(trace).toMatchObject({
      traceId: TRACE,
      app: "keyless-step-03",
      title: "SecretClient.getSecret",
      background: true,
      failed: false,
      vaultReads: 1,
    });
    const [root] = trace?.roots ?? [];
    expect(root?.children.map((node) => node.label)).toEqual([
      "Key Vault: GET /secrets/third-party-api-key/",
      "DefaultAzureCredential: the credential chain",
      "Key Vault: GET /secrets/third-party-api-key/",
    ]);
    // The challenge is the SDK's first step, not a failure; each request carries what the vault recorded of it.
    expect(root?.children[0]).toMatchObject({
      status: 401,
      failed: false,
      audit: [expect.objectContaining({ operationName: "Authentication" })],
    });
    expect(root?.children[2]?.audit[0]?.authorization?.decision).toBe("Allowed");
    expect(root?.children[1]?.children.map((node) => [node.label, node.credential, node.failed])).toEqual([
      ["EnvironmentCredential", "unavailable", false],
      ["ManagedIdentityCredential", "answered", false],
    ]);
    expect(trace?.tokens).toEqual([
      {
        forService: "Key Vault",
        credential: "ManagedIdentityCredential",
        unavailable: ["EnvironmentCredential"],
        source: "fetched",
        signIn: expect.objectContaining({ category: "ManagedIdentitySignInLogs" }),
      },
    ]);
  });

  it("a getcode after a key rotation: 401 from the third party, one vault read with the client's cached token, then 200", () => {
    const spans = [
      span("00000000000000a1", "GET", {
        kind: "server",
        scope: "@opentelemetry/instrumentation-http",
        attributes: { "http.request.method": "GET", "url.path": "/api/v1/getcode", "http.response.status_code": 200 },
      }),
      fetchSpan("00000000000000a2", "00000000000000a1", 401),
      span("00000000000000a3", "SecretClient.getSecret", {
        parentSpanId: "00000000000000a1",
        attributes: { "az.namespace": "Microsoft.KeyVault" },
      }),
      http("00000000000000a4", "00000000000000a3", `${VAULT}/secrets/third-party-api-key/?api-version=7.6`, 200),
      fetchSpan("00000000000000a5", "00000000000000a1", 200),
    ];
    const events = [event("00000000000000a4", { caller: { objectId: "b2c3" }, tokenClaims: { oid: "b2c3" } })];
    const [trace] = buildTraces(spans, events, origins);
    expect(trace).toMatchObject({
      title: "GET /api/v1/getcode",
      background: false,
      status: 200,
      failed: false,
      vaultReads: 1,
    });
    expect(trace?.roots[0]?.children.map((node) => [node.label, node.status])).toEqual([
      ["Third-party API: GET /api/RandomNumber", 401],
      ["SecretClient.getSecret", undefined],
      ["Third-party API: GET /api/RandomNumber", 200],
    ]);
    expect(trace?.tokens).toEqual([{ forService: "Key Vault", unavailable: [], source: "client cache" }]);
  });

  it("what no span claims (spans lost, or an app without telemetry) is shown from the audit log alone; newest first", () => {
    const older = buildTraces(
      [],
      [
        event("00000000000000b1", {
          traceId: "1".repeat(32),
          statusCode: 403,
          resultType: "Failure",
          errorCode: "ForbiddenByRbac",
          caller: { displayName: "keyless-step-03" },
        }),
      ],
    );
    expect(older[0]).toMatchObject({
      app: "keyless-step-03",
      failed: true,
      roots: [expect.objectContaining({ kind: "audit", label: "AuditEvent: SecretGet", status: 403 })],
    });
    const both = buildTraces(
      [],
      [event("00000000000000b1", { traceId: "1".repeat(32) }), event("00000000000000b2", { traceId: "2".repeat(32) })],
    );
    expect(both.map((trace) => trace.traceId)).toEqual(["2".repeat(32), "1".repeat(32)]);
    // An event without trace context belongs to no trace.
    expect(buildTraces([], [event("00000000000000b3", { traceId: undefined, spanId: undefined })])).toEqual([]);
  });

  it("no span's name, nor any value, becomes markup", () => {
    const name = `<img src=x onerror="alert(1)">`;
    expect(html`<h3>${name}</h3>${[html`<p>${"a & b"}</p>`]}`.toString()).toBe(
      `<h3>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</h3><p>a &amp; b</p>`,
    );
  });
});
