/**
 * The identity endpoints of the other hosts a step can run on (packages/sandbox/src/hosts.ts): Container Apps'
 * managed identity endpoint, a virtual machine's IMDS, and the AKS cluster's OIDC issuer.
 */
import fc from "fast-check";
import { MANAGEMENT_RESOURCE, STORAGE_RESOURCE, VAULT_RESOURCE } from "@keyless/sandbox";
import { httpRequest, weighted, type Header } from "./arbitraries.ts";
import { managedIdentityShape, type Shape } from "./checks.ts";
import { expectStatus, type Surface } from "./harness.ts";
import { text } from "./raw.ts";
import type { World } from "./world.ts";

const resource = fc.oneof(
  weighted(
    6,
    fc.constantFrom(
      VAULT_RESOURCE,
      STORAGE_RESOURCE,
      MANAGEMENT_RESOURCE,
      `${VAULT_RESOURCE}/`,
      `${STORAGE_RESOURCE}/.default`,
    ),
  ),
  weighted(
    1,
    fc.constantFrom(
      "",
      "https://graph.microsoft.com",
      "api://AzureADTokenExchange",
      `${VAULT_RESOURCE}/.default/.default`,
    ),
  ),
  weighted(1, fc.string({ maxLength: 30 })),
);
const junkId = fc.oneof(fc.uuid(), fc.string({ maxLength: 10 }), fc.constantFrom("", "%00", "../x"));

/** Which of an app's identities: by client id (what AZURE_CLIENT_ID names), object id or resource id, or none. */
function picked(clientIds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    weighted(
      5,
      fc.constantFrom(...clientIds).map((id) => `&client_id=${id}`),
    ),
    weighted(1, fc.constant("")),
    weighted(
      1,
      fc
        .tuple(
          fc.constantFrom("client_id", "object_id", "principal_id", "msi_res_id", "mi_res_id"),
          fc.oneof(fc.constantFrom(...clientIds), junkId),
        )
        .map(([name, value]) => `&${name}=${encodeURIComponent(value)}`),
    ),
    weighted(
      1,
      fc.constantFrom(...clientIds).map((id) => `&client_id=${id}&object_id=${id}`),
    ),
  );
}

/** Container Apps answers what reaches no route, and a wrong header, with a bare status (Kestrel); its token errors as App Service's. */
const containerAppsShape: Shape = (answer, request) =>
  answer.body.length === 0 ? [] : managedIdentityShape(answer, request);

export function containerAppsSurface(world: World): Surface {
  const { sandbox } = world;
  const endpoint = new URL(sandbox.endpoints.identityHosts.containerApps);
  const environments = ["keyless-step-03", "keyless-step-04"].map((site) =>
    sandbox.siteEnvironment(site, "container-apps"),
  );
  const headers = environments.map((environment) => environment["IDENTITY_HEADER"] ?? "");
  const clientIds = environments.map((environment) => environment["AZURE_CLIENT_ID"] ?? "");
  const apiVersion = fc.oneof(
    weighted(8, fc.constantFrom("2019-08-01", "2025-01-01")),
    weighted(1, fc.constantFrom("2017-09-01", "", "2019-08-01&api-version=2017-09-01", "latest")),
  );
  const targets = fc
    .tuple(apiVersion, resource, picked(clientIds))
    .map(
      ([version, wanted, pick]) =>
        `${endpoint.pathname}?api-version=${version}&resource=${encodeURIComponent(wanted)}${pick}`,
    );
  const wrong = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom(`${headers[0]} `, headers[0]?.toUpperCase() ?? "", `${headers[0]}${headers[1]}`),
    fc.integer({ min: 1000, max: 70_000 }).map((n) => "h".repeat(n)),
  );
  return {
    name: "Container Apps identity endpoint",
    endpoint: { port: Number(endpoint.port) },
    requests: httpRequest({
      methods: ["GET"],
      targets,
      queryNames: ["api-version", "resource", "client_id", "object_id", "msi_res_id"],
      host: endpoint.host,
      credentials: fc.constantFrom(...headers).map((value): Header[] => [["X-IDENTITY-HEADER", value]]),
      badCredentials: fc.oneof(
        fc.constant<Header[]>([]),
        wrong.map((value): Header[] => [["X-IDENTITY-HEADER", value]]),
        fc.constantFrom(...headers).map((value): Header[] => [
          ["X-IDENTITY-HEADER", value],
          ["X-IDENTITY-HEADER", value],
        ]),
      ),
      bodies: fc.constant(undefined),
      contentType: "application/json",
    }),
    shape: containerAppsShape,
    no5xx: true,
    state: () => world.state(),
    knownGood: () =>
      expectStatus(
        fetch(`${endpoint.href}?api-version=2019-08-01&resource=${VAULT_RESOURCE}&client_id=${clientIds[0]}`, {
          headers: { "X-IDENTITY-HEADER": headers[0] ?? "" },
        }),
        200,
        "Container Apps' identity endpoint",
      ),
  };
}

/** IMDS: OAuth's {"error", "error_description"} for token requests, {"error"} for what reaches no route. */
const imdsShape: Shape = (answer, request) => {
  if (String(request.method).toUpperCase() === "HEAD") return [];
  try {
    const body = JSON.parse(text(answer)) as { error?: unknown; error_description?: unknown };
    const problems: string[] = [];
    if (!/^application\/json/.test(answer.headers["content-type"]?.[0] ?? "")) problems.push("not application/json");
    if (typeof body.error !== "string") problems.push('no "error" string');
    if (body.error_description !== undefined && typeof body.error_description !== "string")
      problems.push('"error_description" is not a string');
    return problems;
  } catch {
    return [`not JSON: ${JSON.stringify(text(answer).slice(0, 120))}`];
  }
};

export function imdsSurface(world: World): Surface {
  const { sandbox } = world;
  const address = new URL(sandbox.endpoints.identityHosts.imds);
  const clientIds = ["keyless-step-03", "keyless-step-04"].map(
    (site) => sandbox.siteEnvironment(site, "vm")["AZURE_CLIENT_ID"] ?? "",
  );
  const apiVersion = fc.oneof(
    weighted(8, fc.constantFrom("2018-02-01", "2019-08-01", "2021-02-01")),
    weighted(1, fc.constantFrom("2017-09-01", "", "2018-02-01&api-version=2017-09-01", "x")),
  );
  const targets = fc
    .tuple(apiVersion, resource, picked(clientIds))
    .map(
      ([version, wanted, pick]) =>
        `/metadata/identity/oauth2/token?api-version=${version}&resource=${encodeURIComponent(wanted)}${pick}`,
    );
  return {
    name: "IMDS (virtual machine)",
    endpoint: { port: Number(address.port) },
    requests: httpRequest({
      methods: ["GET"],
      targets: fc.oneof(
        weighted(8, targets),
        weighted(
          1,
          fc.constantFrom("/metadata/instance?api-version=2021-02-01", "/metadata/identity/oauth2/token", "/"),
        ),
      ),
      queryNames: ["api-version", "resource", "client_id", "object_id", "msi_res_id"],
      host: address.host,
      // IMDS takes no secret: `Metadata: true` proves the caller meant to call it.
      credentials: fc.constant<Header[]>([["Metadata", "true"]]),
      badCredentials: fc.constantFrom<Header[]>(
        [],
        [["Metadata", "True"]],
        [["Metadata", "false"]],
        [
          ["Metadata", "true"],
          ["Metadata", "true"],
        ],
        [
          ["Metadata", "true"],
          ["X-Forwarded-For", "10.0.0.1"],
        ],
      ),
      bodies: fc.constant(undefined),
      contentType: "application/json",
    }),
    shape: imdsShape,
    no5xx: true,
    state: () => world.state(),
    knownGood: () =>
      expectStatus(
        fetch(
          `${address.origin}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${VAULT_RESOURCE}&client_id=${clientIds[0]}`,
          { headers: { Metadata: "true" } },
        ),
        200,
        "IMDS",
      ),
  };
}

/** Kubernetes' API server answers in plain text: "404 page not found". */
const clusterShape: Shape = (answer) =>
  /^text\/plain/.test(answer.headers["content-type"]?.[0] ?? "")
    ? []
    : [`content-type ${JSON.stringify(answer.headers["content-type"]?.[0] ?? "")}, not text/plain`];

export function clusterIssuerSurface(world: World): Surface {
  const { sandbox } = world;
  const issuer = new URL(sandbox.endpoints.identityHosts.clusterIssuer);
  const base = issuer.pathname;
  return {
    name: "AKS OIDC issuer",
    endpoint: { port: Number(issuer.port), tls: { servername: "localhost" } },
    requests: httpRequest({
      methods: ["GET", "GET", "HEAD", "POST"],
      targets: fc.oneof(
        weighted(6, fc.constantFrom(`${base}.well-known/openid-configuration`, `${base}openid/v1/jwks`)),
        weighted(
          1,
          fc.constantFrom(
            base,
            "/.well-known/openid-configuration",
            "/openid/v1/jwks",
            `${base}openid/v1/jwks/`,
            `${base}..%2f..%2fopenid/v1/jwks`,
          ),
        ),
      ),
      queryNames: ["a"],
      host: issuer.host,
      // The issuer's documents are public.
      credentials: fc.constant<Header[]>([]),
      badCredentials: fc.constantFrom<Header[]>([["Authorization", "Bearer x"]], [["Authorization", "Basic Og=="]]),
      bodies: fc.constant(undefined),
      contentType: "application/json",
    }),
    shape: clusterShape,
    no5xx: true,
    state: () => world.state(),
    knownGood: () => expectStatus(fetch(`${issuer.href}openid/v1/jwks`), 200, "the cluster's JWKS"),
  };
}

/** OTLP/HTTP's error body: a google.rpc.Status, {"code": <gRPC code>, "message"}. */
const otlpShape: Shape = (answer, request) => {
  if (String(request.method).toUpperCase() === "HEAD") return [];
  try {
    const body = JSON.parse(text(answer)) as { code?: unknown; message?: unknown };
    const problems: string[] = [];
    if (!/^application\/json/.test(answer.headers["content-type"]?.[0] ?? "")) problems.push("not application/json");
    if (!Number.isInteger(body.code)) problems.push('no integer "code"');
    if (typeof body.message !== "string") problems.push('no "message" string');
    return problems;
  } catch {
    return [`not JSON: ${JSON.stringify(text(answer).slice(0, 120))}`];
  }
};

/** The OpenTelemetry collector the apps export their traces to (OTLP/HTTP, JSON). */
export function telemetrySurface(world: World): Surface {
  const { sandbox } = world;
  const traces = new URL(sandbox.endpoints.telemetry);
  const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
  // JSON whose objects name the methods String() and Number() call: `{"toString": false}` once made the collector a 500.
  const anyJson = fc.oneof(
    weighted(4, fc.jsonValue({ maxDepth: 3 })),
    weighted(1, fc.constantFrom({ toString: false }, { valueOf: null, toString: null }, [{ toString: 1 }])),
  );
  const value = fc.oneof(
    fc.string({ maxLength: 20 }).map((stringValue) => ({ stringValue })),
    fc.integer().map((intValue) => ({ intValue: String(intValue) })),
    fc.boolean().map((boolValue) => ({ boolValue })),
    fc
      .array(
        fc.string({ maxLength: 5 }).map((stringValue) => ({ stringValue })),
        { maxLength: 3 },
      )
      .map((values) => ({ arrayValue: { values } })),
    anyJson,
  );
  const attributes = fc.array(
    fc.record({
      key: fc.oneof(
        fc.constantFrom("http.request.method", "url.full", "server.address", "__proto__", ""),
        fc.string({ maxLength: 10 }),
      ),
      value,
    }),
    { maxLength: 4 },
  );
  const time = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
    fc.constantFrom("", "-1", "x", "1e30"),
    anyJson,
  );
  const span = fc.record(
    {
      traceId: fc.oneof(weighted(6, hex(32)), weighted(1, fc.oneof(hex(16), fc.string({ maxLength: 40 }), anyJson))),
      spanId: fc.oneof(weighted(6, hex(16)), weighted(1, fc.oneof(hex(32), fc.string({ maxLength: 20 }), anyJson))),
      parentSpanId: fc.oneof(hex(16), fc.constant("")),
      name: fc.oneof(
        fc.constantFrom("GET /api/v1/getcode", "GET", "send code-requests"),
        fc.string({ maxLength: 30 }),
        anyJson,
      ),
      kind: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer(), anyJson),
      startTimeUnixNano: time,
      endTimeUnixNano: time,
      attributes: fc.oneof(weighted(6, attributes), weighted(1, anyJson)),
      status: fc.oneof(
        fc.record(
          { code: fc.integer({ min: 0, max: 2 }), message: fc.string({ maxLength: 10 }) },
          { requiredKeys: [] },
        ),
        anyJson,
      ),
    },
    { requiredKeys: [] },
  );
  const batch = fc.oneof(
    weighted(
      6,
      fc
        .array(
          fc.record({
            resource: fc.record({ attributes }),
            scopeSpans: fc.array(
              fc.record({
                scope: fc.record({ name: fc.string({ maxLength: 10 }) }),
                spans: fc.array(span, { maxLength: 4 }),
              }),
              { maxLength: 2 },
            ),
          }),
          { maxLength: 2 },
        )
        .map((resourceSpans) => ({ resourceSpans })),
    ),
    weighted(1, anyJson),
  );
  return {
    name: "OpenTelemetry collector",
    endpoint: { port: Number(traces.port) },
    requests: httpRequest({
      methods: ["POST"],
      targets: fc.oneof(
        weighted(8, fc.constant(traces.pathname)),
        weighted(1, fc.constantFrom("/v1/metrics", "/v1/logs", "/", "/v1/traces/")),
      ),
      queryNames: ["a"],
      host: traces.host,
      credentials: fc.constant<Header[]>([]),
      badCredentials: fc.constantFrom<Header[]>([["Authorization", "Bearer x"]], [["x-api-key", "x"]]),
      bodies: batch.map((value) => Buffer.from(JSON.stringify(value))),
      contentType: "application/json",
    }),
    shape: otlpShape,
    no5xx: true,
    state: async () => ({ ...(await world.state()), spans: structuredClone(sandbox.telemetry.list()) }),
    knownGood: () =>
      expectStatus(
        fetch(traces.href, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"resourceSpans":[]}',
        }),
        200,
        "the collector",
      ),
  };
}
