/**
 * An OpenTelemetry collector inside the sandbox: it receives the apps' spans
 * over OTLP/HTTP (`POST /v1/traces`, JSON encoding: OTEL_EXPORTER_OTLP_PROTOCOL
 * http/json) and keeps the latest in memory, so that a span can be put beside
 * the audit log's record of the same request: the audit event's traceId and
 * spanId are those of the client span that sent it (its `traceparent`).
 *
 * On Azure, Application Insights (Azure Monitor) plays this part. Like the
 * audit log, the store never keeps a secret: any string that holds one of the
 * sandbox's secrets (function keys, client secrets, identity headers, vault
 * values) is masked, and URLs keep only their harmless query parameters.
 */
import express, { type Express } from "express";
import { wholeRequestsOnly, type ErrorAnswer, type ServiceErrors } from "../../http/host.ts";

/** OTLP's span kinds, by their number in the protocol. */
const KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"] as const;
export type SpanKind = (typeof KINDS)[number];

export type AttributeValue = string | number | boolean | readonly (string | number | boolean)[];

/** A span as the store keeps it: times in milliseconds since the epoch, attributes flattened. */
export interface TelemetrySpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKind;
  /** The app that sent it: the resource's `service.name` (OTEL_SERVICE_NAME). */
  readonly service: string;
  /** The instrumentation that made it: `@azure/core-tracing`'s namespace, `@opentelemetry/instrumentation-http`... */
  readonly scope: string;
  readonly startTime: number;
  readonly endTime: number;
  /** OTLP's status: unset, ok or error, with the error's message. */
  readonly status: { readonly code: "unset" | "ok" | "error"; readonly message?: string };
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly events: readonly {
    readonly name: string;
    readonly time: number;
    readonly attributes: Readonly<Record<string, AttributeValue>>;
  }[];
}

/** Kept at most: the oldest go first. */
const MAX_SPANS = 5000;
/** A batch larger than this is refused (413): the SDK's batches are far smaller. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Query parameters a URL keeps in the store; any other's value is masked (a `code=` function key, a SAS `sig=`). */
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
const MASK = "[redacted]";

/** A query parameter's name, decoded (the Azure SDK sends `api%2Dversion`). */
function queryName(name: string): string {
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** Masks secrets in text, and query values that are not on the safe list in anything that looks like a URL. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) if (secret.length >= 8) clean = clean.split(secret).join(MASK);
  return clean.replace(/([?&])([^=&#\s"']+)=([^&#\s"']*)/g, (whole, separator: string, name: string) =>
    SAFE_QUERY.has(queryName(name)) ? whole : `${separator}${name}=${MASK}`,
  );
}

/** The spans the apps sent, newest last, with a listener for each batch. */
export class SpanStore {
  readonly #spans = new Map<string, TelemetrySpan>();
  readonly #listeners = new Set<(spans: readonly TelemetrySpan[]) => void>();
  readonly #secrets: () => readonly string[];

  /** `secrets`: the values no span may show (read at each batch: keys rotate). */
  constructor(options: { readonly secrets?: () => readonly string[] } = {}) {
    this.#secrets = options.secrets ?? (() => []);
  }

  /** Adds a batch (a span sent twice is kept once, the later copy winning) and tells the listeners. */
  add(spans: readonly TelemetrySpan[]): void {
    if (spans.length === 0) return;
    const secrets = this.#secrets();
    const clean = spans.map((span) => masked(span, secrets));
    for (const span of clean) {
      const key = `${span.traceId}/${span.spanId}`;
      this.#spans.delete(key);
      this.#spans.set(key, span);
    }
    for (const key of [...this.#spans.keys()].slice(0, Math.max(0, this.#spans.size - MAX_SPANS)))
      this.#spans.delete(key);
    for (const listener of this.#listeners) listener(clean);
  }

  /** Every span kept, oldest first; or one trace's. */
  list(filter: { readonly traceId?: string } = {}): TelemetrySpan[] {
    const all = [...this.#spans.values()];
    return filter.traceId ? all.filter((span) => span.traceId === filter.traceId) : all;
  }

  /** Calls `listener` with each batch received; returns how to stop. */
  subscribe(listener: (spans: readonly TelemetrySpan[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  clear(): void {
    this.#spans.clear();
  }
}

function masked(span: TelemetrySpan, secrets: readonly string[]): TelemetrySpan {
  const value = (item: AttributeValue): AttributeValue =>
    typeof item === "string"
      ? redact(item, secrets)
      : Array.isArray(item)
        ? item.map((entry) => (typeof entry === "string" ? redact(entry, secrets) : entry))
        : item;
  const attributes = (from: Readonly<Record<string, AttributeValue>>) =>
    Object.fromEntries(Object.entries(from).map(([key, item]) => [key, value(item)]));
  return {
    ...span,
    name: redact(span.name, secrets),
    status:
      span.status.message === undefined
        ? span.status
        : { ...span.status, message: redact(span.status.message, secrets) },
    attributes: attributes(span.attributes),
    events: span.events.map((event) => ({ ...event, attributes: attributes(event.attributes) })),
  };
}

// OTLP/JSON, as the OpenTelemetry SDKs send it (opentelemetry-proto's JSON mapping).
interface OtlpValue {
  stringValue?: unknown;
  boolValue?: unknown;
  intValue?: unknown;
  doubleValue?: unknown;
  arrayValue?: { values?: unknown };
}
interface OtlpKeyValue {
  key?: unknown;
  value?: OtlpValue;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const arrayOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
/** Strings longer than this are cut: a span attribute is a label, not a document. */
const MAX_TEXT = 2000;

/**
 * A text a client sent, or "": `String()` of an object calls its `toString`, which a JSON body may have made anything
 * (`{"toString": false}` threw, and the collector answered 500).
 */
const textOf = (value: unknown): string =>
  typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : "";
/** A number a client sent, as a number or a string of one; NaN for anything else (`Number()` of an object may throw too). */
const numberOf = (value: unknown): number =>
  typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;

function scalar(value: OtlpValue | undefined): string | number | boolean | undefined {
  if (!value) return undefined;
  if (typeof value.stringValue === "string") return value.stringValue.slice(0, MAX_TEXT);
  if (typeof value.boolValue === "boolean") return value.boolValue;
  if (Number.isFinite(numberOf(value.intValue))) return numberOf(value.intValue);
  if (Number.isFinite(numberOf(value.doubleValue))) return numberOf(value.doubleValue);
  return undefined;
}

function attributesOf(list: unknown): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const item of arrayOf(list).slice(0, 128)) {
    const entry = item as OtlpKeyValue;
    if (!isObject(item) || typeof entry.key !== "string") continue;
    const array = entry.value?.arrayValue;
    const value = array
      ? arrayOf(array.values)
          .slice(0, 32)
          .map((item) => scalar(item as OtlpValue))
          .filter((item) => item !== undefined)
      : scalar(entry.value);
    if (value !== undefined) attributes[entry.key.slice(0, 256)] = value;
  }
  return attributes;
}

/** A trace or span id: hex as OTLP/JSON has it, or base64 as some encoders send it; undefined when neither. */
export function idOf(value: unknown, bytes: 8 | 16): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const hex = value.toLowerCase();
  if (new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(hex)) return /^0+$/.test(hex) ? undefined : hex;
  const decoded = Buffer.from(value, "base64");
  return decoded.length === bytes ? idOf(decoded.toString("hex"), bytes) : undefined;
}

const millis = (nanos: unknown): number =>
  typeof nanos === "string" && /^\d{1,20}$/.test(nanos)
    ? Number(BigInt.asUintN(64, BigInt(nanos)) / 1000n) / 1000
    : typeof nanos === "number" && Number.isFinite(nanos) && nanos >= 0
      ? nanos / 1e6
      : 0;

/** The spans of an ExportTraceServiceRequest; anything that is not a span with valid ids is left out. */
export function spansOf(body: unknown): TelemetrySpan[] {
  const spans: TelemetrySpan[] = [];
  for (const resourceSpans of arrayOf(isObject(body) ? body["resourceSpans"] : undefined)) {
    if (!isObject(resourceSpans)) continue;
    const resource = attributesOf(
      isObject(resourceSpans["resource"]) ? resourceSpans["resource"]["attributes"] : undefined,
    );
    const service = textOf(resource["service.name"]) || "unknown_service";
    for (const scopeSpans of arrayOf(resourceSpans["scopeSpans"])) {
      if (!isObject(scopeSpans)) continue;
      const scope =
        isObject(scopeSpans["scope"]) && typeof scopeSpans["scope"]["name"] === "string"
          ? scopeSpans["scope"]["name"]
          : "";
      for (const span of arrayOf(scopeSpans["spans"])) {
        if (!isObject(span)) continue;
        const traceId = idOf(span["traceId"], 16);
        const spanId = idOf(span["spanId"], 8);
        if (!traceId || !spanId) continue;
        const parentSpanId = idOf(span["parentSpanId"], 8);
        const status = isObject(span["status"]) ? span["status"] : {};
        const code = numberOf(status["code"] ?? 0);
        spans.push({
          traceId,
          spanId,
          ...(parentSpanId ? { parentSpanId } : {}),
          name: textOf(span["name"]).slice(0, 256),
          kind: KINDS[numberOf(span["kind"] ?? 0)] ?? "unspecified",
          service,
          scope,
          startTime: millis(span["startTimeUnixNano"]),
          endTime: millis(span["endTimeUnixNano"]),
          status: {
            code: code === 1 ? "ok" : code === 2 ? "error" : "unset",
            ...(typeof status["message"] === "string" && status["message"] !== ""
              ? { message: status["message"].slice(0, MAX_TEXT) }
              : {}),
          },
          attributes: attributesOf(span["attributes"]),
          events: arrayOf(span["events"])
            .slice(0, 32)
            .filter(isObject)
            .map((event) => ({
              name: textOf(event["name"]),
              time: millis(event["timeUnixNano"]),
              attributes: attributesOf(event["attributes"]),
            })),
        });
      }
    }
  }
  return spans;
}

/** OTLP's error answer: a google.rpc.Status, in JSON. */
const status = (code: number, message: string): ErrorAnswer => ({
  status: code,
  body: { code: code === 415 ? 3 : code === 404 ? 5 : code >= 500 ? 13 : 3, message },
});

/** What the host answers for the collector when a request never reaches its route. */
export const collectorErrors: ServiceErrors = {
  notFound: (req) =>
    status(
      404,
      `The collector receives spans at POST /v1/traces, not ${req.method} ${(req.url ?? "").split("?")[0]?.slice(0, 128)}.`,
    ),
  badRequest: (reason) =>
    reason === "bodyTooLarge"
      ? status(413, "The batch is too large.")
      : status(400, "The request could not be read as an OTLP/JSON ExportTraceServiceRequest."),
  internal: () => status(500, "The collector failed to take the batch."),
  // Only this machine's apps send spans: a web page may not inject any into the live view.
  notLocal: (_req, what) =>
    what === "host"
      ? status(421, "The collector answers to localhost only.")
      : status(403, "The collector takes no spans from a web page."),
};

/** The collector's HTTP API: OTLP/HTTP with JSON encoding. */
export function createCollector(store: SpanStore): Express {
  const app = express();
  app.disable("x-powered-by");
  app.post("/v1/traces", (req, res, next) => {
    if (!req.is("application/json")) {
      const answer = status(
        415,
        "This collector takes OTLP/HTTP with JSON encoding: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json (protobuf is not supported).",
      );
      res.status(answer.status).json(answer.body);
      return;
    }
    next();
  });
  app.post("/v1/traces", express.json({ limit: MAX_BATCH_BYTES }), wholeRequestsOnly(collectorErrors), (req, res) => {
    store.add(spansOf(req.body));
    // OTLP's answer: an ExportTraceServiceResponse, empty when every span was taken.
    res.json({});
  });
  return app;
}
