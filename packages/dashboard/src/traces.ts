/**
 * A request's path, from real events: the app's OpenTelemetry spans (its
 * request, the Azure SDK's calls and credentials, its fetches) joined with
 * the sandbox's audit log, which recorded each request's W3C traceparent:
 * an audit event belongs to the span whose id it carries (the client span
 * that sent the request). Pure: spans and events in, a tree out.
 */
import type { AuditEvent, TelemetrySpan } from "@keyless/sandbox";

/** Where each sandbox service answers (its URL's origin), to name a request by where it went. */
export type KnownOrigins = Readonly<Record<string, string>>;

export interface TraceNode {
  readonly id: string;
  readonly span?: TelemetrySpan;
  /** What the service recorded about this very request: the challenge, a sign-in, RBAC's decision. */
  readonly audit: readonly AuditEvent[];
  readonly children: readonly TraceNode[];
  readonly label: string;
  readonly kind: "request" | "operation" | "credential" | "http" | "fetch" | "audit" | "other";
  /** Milliseconds from the trace's start, and how long. */
  readonly offsetMs: number;
  readonly durationMs: number;
  readonly failed: boolean;
  /** The HTTP status, when there was one. */
  readonly status?: number;
  /** A credential's part in the chain: it answered, or it was not available here. */
  readonly credential?: "answered" | "unavailable" | "failed";
  /** The service's error message, when the span carries one. */
  readonly message?: string;
}

/** How one token was had: which credential of the chain answered, and whether it was fetched (a sign-in) or cached. */
export interface TokenAcquisition {
  readonly forService: string;
  readonly credential?: string;
  readonly unavailable: readonly string[];
  readonly source: "fetched" | "cached" | "client cache" | "failed";
  readonly signIn?: AuditEvent;
}

export interface Trace {
  readonly traceId: string;
  readonly app: string;
  readonly title: string;
  /** Not within a request: what the app did on its own (its start-up read of the vault). */
  readonly background: boolean;
  readonly start: number;
  readonly durationMs: number;
  readonly status?: number;
  readonly failed: boolean;
  readonly roots: readonly TraceNode[];
  readonly tokens: readonly TokenAcquisition[];
  /** The audit events of the trace, in order. */
  readonly audit: readonly AuditEvent[];
  /** Successful Key Vault secret reads. */
  readonly vaultReads: number;
  /** When the last span or event of it arrived (ms): to show the newest first. */
  readonly updated: number;
}

const text = (value: unknown) =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
const numberOf = (value: unknown) =>
  typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : undefined;

/** Azure SDK namespaces, in the learner's words. */
const NAMESPACES: Readonly<Record<string, string>> = {
  "Microsoft.KeyVault": "Key Vault",
  "Microsoft.Storage": "Queue Storage",
};

function urlOf(span: TelemetrySpan): URL | undefined {
  const value = text(span.attributes["url.full"]) ?? text(span.attributes["http.url"]);
  if (!value) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function statusOf(span: TelemetrySpan): number | undefined {
  return numberOf(span.attributes["http.response.status_code"]) ?? numberOf(span.attributes["http.status_code"]);
}

const isCredential = (span: TelemetrySpan) => /Credential[.-]getToken$/.test(span.name);

/** A span's label: what it did, in the words of the lesson. */
function labelOf(span: TelemetrySpan, origins: KnownOrigins): { label: string; kind: TraceNode["kind"] } {
  const method = text(span.attributes["http.request.method"]) ?? text(span.attributes["http.method"]) ?? "";
  if (span.kind === "server") {
    const path =
      text(span.attributes["url.path"]) ??
      text(span.attributes["http.target"])?.split("?")[0] ??
      text(span.attributes["http.route"]) ??
      "";
    return { label: `${method} ${path}`.trim() || span.name, kind: "request" };
  }
  if (isCredential(span)) {
    const name = span.name.replace(/[.-]getToken$/, "");
    return {
      label: name === "ChainedTokenCredential" ? "DefaultAzureCredential: the credential chain" : name,
      kind: "credential",
    };
  }
  const url = urlOf(span);
  if (url && span.kind === "client") {
    const service = origins[url.origin] ?? url.host;
    const kind = span.scope.includes("undici") ? "fetch" : "http";
    return { label: `${service}: ${method} ${url.pathname}`, kind };
  }
  const namespace = text(span.attributes["az.namespace"]);
  if (namespace) return { label: span.name.replace(/-(\w+)$/, ".$1"), kind: "operation" };
  return { label: span.name, kind: "other" };
}

/** The time an audit event's request started (it is recorded when answered). */
const auditStart = (event: AuditEvent) => Date.parse(event.time) - (event.durationMs ?? 0);

interface Building {
  readonly span: TelemetrySpan;
  readonly children: Building[];
  readonly audit: AuditEvent[];
}

/** Builds the traces of these spans and events, newest first. */
export function buildTraces(
  spans: readonly TelemetrySpan[],
  events: readonly AuditEvent[],
  origins: KnownOrigins = {},
): Trace[] {
  const byTrace = new Map<string, { spans: TelemetrySpan[]; events: AuditEvent[] }>();
  const entry = (traceId: string) => {
    const found = byTrace.get(traceId) ?? { spans: [], events: [] };
    byTrace.set(traceId, found);
    return found;
  };
  for (const span of spans) entry(span.traceId).spans.push(span);
  for (const event of events) if (event.traceId) entry(event.traceId).events.push(event);
  return [...byTrace]
    .map(([traceId, { spans: own, events: audit }]) => buildTrace(traceId, own, audit, origins))
    .sort((a, b) => b.start - a.start);
}

function buildTrace(
  traceId: string,
  spans: readonly TelemetrySpan[],
  events: readonly AuditEvent[],
  origins: KnownOrigins,
): Trace {
  const nodes = new Map<string, Building>(spans.map((span) => [span.spanId, { span, children: [], audit: [] }]));
  const roots: Building[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId ? nodes.get(node.span.parentSpanId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const orphans: AuditEvent[] = [];
  const sortedEvents = [...events].sort((a, b) => a.id - b.id);
  for (const event of sortedEvents) {
    const node = event.spanId ? nodes.get(event.spanId) : undefined;
    if (node) node.audit.push(event);
    else orphans.push(event);
  }
  const starts = [...spans.map((span) => span.startTime), ...sortedEvents.map(auditStart)];
  const ends = [...spans.map((span) => span.endTime), ...sortedEvents.map((event) => Date.parse(event.time))];
  const start = Math.min(...starts);
  const end = Math.max(...ends);

  const toNode = (building: Building): TraceNode => {
    const { span } = building;
    const { label, kind } = labelOf(span, origins);
    const status = statusOf(span) ?? building.audit.at(-1)?.statusCode;
    const children = building.children.sort((a, b) => a.span.startTime - b.span.startTime).map(toNode);
    // Key Vault's challenge (a 401 to the request without a token) is the SDK's expected first step, not a failure.
    const challenge =
      status === 401 &&
      building.audit.length > 0 &&
      building.audit.every((event) => event.statusCode === 401 && !event.tokenProblem);
    const credential =
      kind === "credential" && span.name !== "ChainedTokenCredential.getToken"
        ? span.status.code !== "error"
          ? "answered"
          : /unavailable/i.test(span.status.message ?? "")
            ? "unavailable"
            : "failed"
        : undefined;
    // A credential the chain skips (nothing for it here) is how DefaultAzureCredential works, not a failure.
    const failed =
      !challenge &&
      credential !== "unavailable" &&
      (span.status.code === "error" || (status !== undefined && status >= 400));
    return {
      id: span.spanId,
      span,
      audit: building.audit,
      children,
      label,
      kind,
      offsetMs: span.startTime - start,
      durationMs: Math.max(0, span.endTime - span.startTime),
      failed,
      ...(status !== undefined ? { status } : {}),
      ...(credential ? { credential } : {}),
      ...(span.status.message ? { message: span.status.message.split("\n")[0] ?? "" } : {}),
    };
  };
  const treeRoots = roots.sort((a, b) => a.span.startTime - b.span.startTime).map(toNode);
  const auditNodes: TraceNode[] = orphans.map((event) => ({
    id: `audit-${event.id}`,
    audit: [event],
    children: [],
    label: `${event.category}: ${event.operationName}`,
    kind: "audit",
    offsetMs: auditStart(event) - start,
    durationMs: event.durationMs ?? 0,
    failed: event.resultType === "Failure" && !(event.statusCode === 401 && !event.tokenProblem),
    status: event.statusCode,
  }));
  const root = treeRoots.find((node) => node.kind === "request") ?? treeRoots[0];
  const app =
    root?.span?.service ??
    sortedEvents.find((event) => event.caller?.displayName)?.caller?.displayName ??
    "unknown app";
  const all = [...treeRoots, ...auditNodes];
  const status = root?.kind === "request" ? root.status : undefined;
  const failed = root
    ? root.kind === "request"
      ? (status ?? 0) >= 400
      : root.failed
    : auditNodes.some((node) => node.failed);
  return {
    traceId,
    app,
    title: root?.label ?? sortedEvents[0]?.operationName ?? "trace",
    background: root?.kind !== "request",
    start,
    durationMs: Math.max(0, end - start),
    ...(status !== undefined ? { status } : {}),
    failed,
    roots: all,
    tokens: tokenAcquisitions(treeRoots),
    audit: sortedEvents,
    vaultReads: sortedEvents.filter(
      (event) => event.category === "AuditEvent" && event.operationName === "SecretGet" && event.statusCode === 200,
    ).length,
    updated: end,
  };
}

const descendants = (node: TraceNode): TraceNode[] => node.children.flatMap((child) => [child, ...descendants(child)]);

/** Each token the trace needed: from a credential chain (fetched or from its cache), or the client's own cached token. */
function tokenAcquisitions(roots: readonly TraceNode[]): TokenAcquisition[] {
  const found: TokenAcquisition[] = [];
  const visit = (node: TraceNode, parent: TraceNode | undefined) => {
    if (node.kind === "credential" && parent?.kind !== "credential") {
      const inside = [node, ...descendants(node)];
      const credentials = inside.filter((child) => child.credential);
      const answered =
        credentials.find((child) => child.credential === "answered") ??
        (node.credential === "answered" ? node : undefined);
      const signIn = inside.flatMap((child) => child.audit).find((event) => event.category.endsWith("SignInLogs"));
      const requested = inside.some((child) => child.kind === "http");
      const forService = NAMESPACES[text(node.span?.attributes["az.namespace"]) ?? ""] ?? "Azure";
      found.push({
        forService,
        ...(answered ? { credential: answered.label } : {}),
        unavailable: credentials.filter((child) => child.credential === "unavailable").map((child) => child.label),
        source: node.failed && !answered ? "failed" : signIn || requested ? "fetched" : "cached",
        ...(signIn ? { signIn } : {}),
      });
      return;
    }
    // An SDK call that sent a token without asking a credential: its pipeline's cached token.
    if (node.kind === "operation" && !descendants(node).some((child) => child.kind === "credential")) {
      const bearer = descendants(node)
        .flatMap((child) => child.audit)
        .find((event) => event.tokenClaims || event.caller);
      if (bearer)
        found.push({
          forService: NAMESPACES[text(node.span?.attributes["az.namespace"]) ?? ""] ?? "Azure",
          unavailable: [],
          source: "client cache",
        });
    }
    for (const child of node.children) visit(child, node);
  };
  for (const root of roots) visit(root, undefined);
  return found;
}
