/**
 * Traces any Node app the launcher runs, without a line of its code changing:
 * loaded with `node --import` through NODE_OPTIONS (environment only, as the
 * DNS preload and the lifeline are). It starts the OpenTelemetry SDK with
 *
 * - the Azure SDK's own instrumentation (@azure/opentelemetry-instrumentation-azure-sdk):
 *   a span for each client call (`SecretClient.getSecret`, `QueueClient.sendMessage`),
 *   each credential of the chain (`ManagedIdentityCredential.getToken`), and each
 *   HTTP request the SDK sends, with its W3C `traceparent`: the sandbox's audit
 *   log records that header, so its events join these spans;
 * - incoming HTTP requests (a span per `GET /api/v1/getcode`, the root of its trace);
 * - `fetch` (undici): the call to the third party.
 *
 * and exports the spans over OTLP/HTTP (JSON) to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 * which is the sandbox's collector. On Azure, Application Insights' agent does
 * the same job from the app's settings.
 *
 * It must never break the app it loads into: every part loads inside a try,
 * nothing is printed (OpenTelemetry's diagnostics stay silent), and spans that
 * cannot be sent (the collector is down) are dropped. It never sends a secret:
 * the app's own secret settings are masked in every span, URLs keep only
 * harmless query parameters, and no header is recorded.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import type { ReadableSpan, Sampler, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** The app's settings whose values are secrets: they never leave in a span. */
const SECRET_SETTINGS = ["AZURE_CLIENT_SECRET", "IDENTITY_HEADER", "AZURE_CLIENT_CERTIFICATE_PASSWORD"];
/** Query parameters kept as they are; any other's value is masked (a function key in `code=`, a SAS `sig=`). */
const SAFE_QUERY = new Set([
  "api-version",
  "resource",
  "client_id",
  "comp",
  "restype",
  "timeout",
  "messagettl",
  "visibilitytimeout",
  "numofmessages",
  "peekonly",
  "maxresults",
]);
/** A query parameter's name, decoded (the Azure SDK sends `api%2Dversion`). */
function queryName(name: string): string {
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}
/** Spans waiting to be sent, at most; more are dropped (the collector is down, or the app is very busy). */
const MAX_PENDING = 2048;
/**
 * A learner's pace, not a load test's: at most this many new traces a second. Beyond that (`npm run
 * bench`, a load test) requests run untraced, which costs next to nothing; what Azure's services
 * record of them still carries their trace id.
 */
const TRACES_PER_SECOND = 20;

const endpoint = process.env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"];
if (endpoint && process.env["OTEL_SDK_DISABLED"] !== "true") {
  try {
    await startTracing(endpoint);
  } catch (error) {
    // No tracing, then: the app itself runs on as if the preload were not there.
    if (process.env["OTEL_LOG_LEVEL"] === "debug") console.error("telemetry preload:", error);
  }
}

/** Masks the app's secrets, and the query values that are not on the safe list. */
function masker(): (text: string) => string {
  const secrets = SECRET_SETTINGS.map((name) => process.env[name] ?? "").filter((value) => value.length >= 8);
  return (text) => {
    let clean = text;
    for (const secret of secrets) clean = clean.split(secret).join("[redacted]");
    return clean.replace(/([?&])([^=&#\s"']+)=([^&#\s"']*)/g, (whole, separator: string, name: string) =>
      SAFE_QUERY.has(queryName(name)) ? whole : `${separator}${name}=[redacted]`,
    );
  };
}

/** A span with every string masked; the SDK's own object is left as it is. */
function maskedSpan(span: ReadableSpan, mask: (text: string) => string): ReadableSpan {
  const value = (item: unknown) =>
    typeof item === "string"
      ? mask(item)
      : Array.isArray(item)
        ? item.map((entry: unknown) => (typeof entry === "string" ? mask(entry) : entry))
        : item;
  const attributes = (from: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(from).map(([key, item]) => [key, value(item)]));
  return Object.create(span, {
    name: { value: mask(span.name) },
    status: {
      value: span.status.message === undefined ? span.status : { ...span.status, message: mask(span.status.message) },
    },
    attributes: { value: attributes(span.attributes) },
    events: {
      value: span.events.map((event) => ({
        ...event,
        ...(event.attributes ? { attributes: attributes(event.attributes) } : {}),
      })),
    },
  }) as ReadableSpan;
}

async function startTracing(url: string): Promise<void> {
  const [api, sdk, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { resourceFromAttributes }] =
    await Promise.all([
      import("@opentelemetry/api"),
      import("@opentelemetry/sdk-trace-base"),
      import("@opentelemetry/context-async-hooks"),
      import("@opentelemetry/core"),
      import("@opentelemetry/resources"),
    ]);
  // The exporter and its serializer are a third of what this preload loads: they load when the first
  // spans leave (or at exit), not while the app starts. Required, so that the exit hook can use them too.
  const load = createRequire(import.meta.url);
  const exporterModule = () =>
    load("@opentelemetry/exporter-trace-otlp-http") as typeof import("@opentelemetry/exporter-trace-otlp-http");
  const serializerModule = () =>
    load("@opentelemetry/otlp-transformer") as typeof import("@opentelemetry/otlp-transformer");
  const [
    { registerInstrumentations },
    { HttpInstrumentation },
    { UndiciInstrumentation },
    { createAzureSdkInstrumentation },
  ] = await Promise.all([
    import("@opentelemetry/instrumentation"),
    import("@opentelemetry/instrumentation-http"),
    import("@opentelemetry/instrumentation-undici"),
    import("@azure/opentelemetry-instrumentation-azure-sdk"),
  ]);
  const mask = masker();
  const collector = new URL(url);

  // Ended spans not yet delivered: what a process that exits now would lose (see the exit hook below).
  const pending = new Set<ReadableSpan>();
  let otlp: InstanceType<ReturnType<typeof exporterModule>["OTLPTraceExporter"]> | undefined;
  const exporter: SpanExporter = {
    export(spans, done) {
      otlp ??= new (exporterModule().OTLPTraceExporter)({ url, timeoutMillis: 2000 });
      otlp.export(
        spans.map((span) => maskedSpan(span, mask)),
        (result) => {
          for (const span of spans) pending.delete(span);
          done(result);
        },
      );
    },
    shutdown: () => otlp?.shutdown() ?? Promise.resolve(),
    forceFlush: () => otlp?.forceFlush() ?? Promise.resolve(),
  };
  const tracking: SpanProcessor = {
    onStart() {},
    onEnd(span) {
      // Bounded: the oldest go first (a batch the SDK dropped is never reported done).
      if (pending.size >= MAX_PENDING) pending.delete(pending.values().next().value as ReadableSpan);
      pending.add(span);
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  let allowance = TRACES_PER_SECOND;
  let refilled = Date.now();
  const learnersPace: Sampler = {
    shouldSample() {
      const now = Date.now();
      allowance = Math.min(TRACES_PER_SECOND, allowance + ((now - refilled) / 1000) * TRACES_PER_SECOND);
      refilled = now;
      if (allowance < 1) return { decision: sdk.SamplingDecision.NOT_RECORD };
      allowance -= 1;
      return { decision: sdk.SamplingDecision.RECORD_AND_SAMPLED };
    },
    toString: () => `LearnersPace{${TRACES_PER_SECOND}/s}`,
  };
  const provider = new sdk.BasicTracerProvider({
    // A request is traced whole or not at all: its spans follow the decision taken for its first.
    sampler: new sdk.ParentBasedSampler({ root: learnersPace }),
    resource: resourceFromAttributes({ "service.name": process.env["OTEL_SERVICE_NAME"] ?? basename(process.cwd()) }),
    // Sent in small batches soon after they end: the live view shows a request a moment after it is answered.
    spanProcessors: [
      tracking,
      new sdk.BatchSpanProcessor(exporter, {
        scheduledDelayMillis: 200,
        maxQueueSize: MAX_PENDING,
        maxExportBatchSize: 512,
        exportTimeoutMillis: 3000,
      }),
    ],
  });
  if (process.env["OTEL_LOG_LEVEL"] === "debug")
    api.diag.setLogger(new api.DiagConsoleLogger(), api.DiagLogLevel.DEBUG);
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Incoming requests only: the Azure SDK traces its own requests (with the traceparent the audit log records).
      new HttpInstrumentation({ disableOutgoingRequestInstrumentation: true }),
      // fetch: the third party. Never the collector (the exporter uses node:http, but a learner's app might not).
      new UndiciInstrumentation({ ignoreRequestHook: (request) => request.origin === collector.origin }),
      createAzureSdkInstrumentation(),
    ],
  });
  // The instrumentations patch a module when it is required. An ESM app imports instead, so require
  // here what it will use: node:http (its server), and the app's own @azure/core-tracing (one state
  // for its CJS and ESM builds), resolved from the app's folder.
  const require = createRequire(import.meta.url);
  require("node:http");
  try {
    createRequire(join(process.cwd(), "package.json"))("@azure/core-tracing");
  } catch {
    // An app without the Azure SDK: nothing to instrument there.
  }

  // `process.exit` ends the app at once: a step that fails at start-up (a 403 from the vault) exits
  // before its spans' batch is sent. Send what is left, synchronously, from a short-lived helper.
  process.once("exit", () => {
    if (pending.size === 0) return;
    try {
      const body = serializerModule().JsonTraceSerializer.serializeRequest(
        [...pending].map((span) => maskedSpan(span, mask)),
      );
      if (!body) return;
      const send = `const body = require("node:fs").readFileSync(0); fetch(process.argv[1], { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(1000) }).catch(() => {});`;
      spawnSync(process.execPath, ["-e", send, url], {
        input: body,
        env: { PATH: process.env["PATH"] ?? "" },
        stdio: ["pipe", "ignore", "ignore"],
        timeout: 1500,
      });
    } catch {
      // Lost, then: never a reason for the app to fail.
    }
  });
}
