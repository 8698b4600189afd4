/**
 * Cross-origin requests, as Azure Storage answers them from the account's CORS
 * rules (Set Queue Service Properties): a browser's preflight (OPTIONS, no
 * credentials) gets the methods and headers a rule allows, or 403
 * CorsPreflightFailure; an actual request from an allowed origin gets the
 * headers that let the browser read its answer. The first rule that matches
 * decides.
 */
import type { IncomingMessage } from "node:http";
import type { ErrorAnswer } from "../http/host.ts";
import * as errors from "./errors.ts";
import type { CorsRule } from "./model.ts";

const listed = (list: string, value: string) =>
  list.split(",").some((item) => item.trim().toLowerCase() === value.trim().toLowerCase());

const originAllowed = (rule: CorsRule, origin: string) =>
  rule.allowedOrigins.trim() === "*" || listed(rule.allowedOrigins, origin);

/** Each requested header must be allowed by name, or by a prefix rule such as `x-ms-meta-*`. */
const headersAllowed = (rule: CorsRule, requested: string) =>
  requested
    .split(",")
    .map((header) => header.trim().toLowerCase())
    .filter((header) => header !== "")
    .every((header) =>
      rule.allowedHeaders.split(",").some((allowed) => {
        const pattern = allowed.trim().toLowerCase();
        return (
          pattern === "*" || pattern === header || (pattern.endsWith("*") && header.startsWith(pattern.slice(0, -1)))
        );
      }),
    );

const text = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(",") : value);

/** A preflight request's answer: the allowing headers (200), or Azure's refusal. */
export function preflight(
  req: IncomingMessage,
  rules: readonly CorsRule[],
): { ok: true; headers: Record<string, string> } | { ok: false; answer: ErrorAnswer } {
  const origin = text(req.headers.origin);
  if (!origin) return { ok: false, answer: errors.corsHeaderMissing(req, "Origin") };
  const method = text(req.headers["access-control-request-method"]);
  if (!method) return { ok: false, answer: errors.corsHeaderMissing(req, "Access-Control-Request-Method") };
  const requestedHeaders = text(req.headers["access-control-request-headers"]);
  const rule = rules.find(
    (candidate) =>
      originAllowed(candidate, origin) &&
      listed(candidate.allowedMethods, method) &&
      (requestedHeaders === undefined || headersAllowed(candidate, requestedHeaders)),
  );
  if (!rule) return { ok: false, answer: errors.corsPreflightFailure(req) };
  return {
    ok: true,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": method,
      ...(requestedHeaders !== undefined ? { "access-control-allow-headers": requestedHeaders } : {}),
      "access-control-max-age": String(rule.maxAgeInSeconds),
      "access-control-allow-credentials": "true",
    },
  };
}

/** The headers an actual request from an allowed origin gets (none without an Origin, or without a rule for it). */
export function corsHeaders(req: IncomingMessage, rules: readonly CorsRule[]): Record<string, string> {
  const origin = text(req.headers.origin);
  if (!origin || rules.length === 0) return {};
  const rule = rules.find(
    (candidate) => originAllowed(candidate, origin) && listed(candidate.allowedMethods, req.method ?? ""),
  );
  if (!rule) return { vary: "Origin" };
  const any = rule.allowedOrigins.trim() === "*";
  return {
    "access-control-allow-origin": any ? "*" : origin,
    ...(rule.exposedHeaders ? { "access-control-expose-headers": rule.exposedHeaders } : {}),
    ...(any ? {} : { vary: "Origin", "access-control-allow-credentials": "true" }),
  };
}
