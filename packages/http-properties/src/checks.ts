/**
 * What every answer is checked for: no stack trace or path of this machine,
 * no secret, and the error shape of the service that gave it.
 */
import { serialize, type Answer, type RawRequest } from "./raw.ts";

/**
 * Signs of a stack trace or of this machine's files, in an answer. A stack frame is `at <place>:<line>:<column>`
 * ending there (or in `)`): "expired at 2026-11-23T17:51:48.000Z" is a time, not a frame.
 */
export const LEAK_PATTERNS: readonly RegExp[] = [
  /\bat (?:\S+ \()?\S+:\d+:\d+\)?(?=\s|$)/m,
  /\/home\//,
  /node_modules/,
  /\.ts:/,
  /file:\/\//,
];

/**
 * Matches of the patterns (and of the given paths, e.g. the sandbox's state
 * folder) in an answer that the request did not carry itself: an error that
 * repeats the caller's own path back is not a leak.
 */
export function leakedTraces(answer: Answer, request: RawRequest, paths: readonly string[]): string[] {
  const sent = serialize(request).toString("latin1");
  const sentText = serialize(request).toString("utf8");
  const received = `${answer.head}\r\n\r\n${answer.body.toString("utf8")}`;
  const found: string[] = [];
  for (const pattern of LEAK_PATTERNS) {
    const match = new RegExp(pattern.source, `${pattern.flags}g`);
    for (const hit of received.matchAll(match)) {
      if (!sent.includes(hit[0]) && !sentText.includes(hit[0]))
        found.push(`${pattern} matched ${JSON.stringify(hit[0].slice(0, 120))}`);
    }
  }
  for (const path of paths)
    if (path && received.includes(path) && !sentText.includes(path)) found.push(`names the path ${path}`);
  return found;
}

/** The secrets in an answer that the request did not carry itself (a key the caller sent and sees again is not a leak). */
export function leakedSecrets(answer: Answer, request: RawRequest, secrets: readonly string[]): string[] {
  const sent = serialize(request);
  const received = Buffer.concat([Buffer.from(answer.head, "latin1"), answer.body]);
  return secrets
    .filter((secret) => secret.length >= 8 && received.includes(secret) && !sent.includes(secret))
    .map((secret) => `${secret.slice(0, 4)}… (${secret.length} chars)`);
}

// ---------------------------------------------------------------- error shapes

const contentTypeOf = (answer: Answer) => answer.headers["content-type"]?.[0] ?? "";
const isHead = (request: RawRequest) => String(request.method).toUpperCase() === "HEAD";

function jsonBody(answer: Answer): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (!/^application\/json/i.test(contentTypeOf(answer)))
    return { ok: false, problem: `content-type ${JSON.stringify(contentTypeOf(answer))}, not application/json` };
  try {
    return { ok: true, value: JSON.parse(answer.body.toString("utf8")) };
  } catch {
    return {
      ok: false,
      problem: `a body that is not JSON: ${JSON.stringify(answer.body.toString("utf8").slice(0, 120))}`,
    };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A JSON error body checked by `check`: the problems found, [] when it fits. HEAD answers have no body to check. */
function jsonShape(check: (body: Record<string, unknown>, answer: Answer) => string[]) {
  return (answer: Answer, request: RawRequest): string[] => {
    if (isHead(request)) return [];
    const parsed = jsonBody(answer);
    if (!parsed.ok) return [parsed.problem];
    if (!isObject(parsed.value))
      return [`a JSON body that is not an object: ${JSON.stringify(parsed.value)?.slice(0, 120)}`];
    return check(parsed.value, answer);
  };
}

export type Shape = (answer: Answer, request: RawRequest) => string[];

/** Microsoft Entra ID: {"error", "error_description": "AADSTS<n>: ...", "error_codes": [n]}. */
export const entraShape: Shape = jsonShape((body) => {
  const problems: string[] = [];
  if (typeof body["error"] !== "string") problems.push('no "error" string');
  if (typeof body["error_description"] !== "string" || !/^AADSTS\d+: /.test(body["error_description"]))
    problems.push('no "error_description" starting with AADSTS<code>:');
  if (!Array.isArray(body["error_codes"])) problems.push('no "error_codes"');
  return problems;
});

/** App Service's managed identity endpoint: {"statusCode", "message"}, the status the answer's own. */
export const managedIdentityShape: Shape = jsonShape((body, answer) => {
  const problems: string[] = [];
  if (body["statusCode"] !== answer.status)
    problems.push(`"statusCode" ${JSON.stringify(body["statusCode"])}, not ${answer.status}`);
  if (typeof body["message"] !== "string") problems.push('no "message" string');
  return problems;
});

/** Key Vault and Azure Resource Manager: {"error": {"code", "message"}}, and nothing else. */
export const azureErrorShape: Shape = jsonShape((body) => {
  const error = body["error"];
  if (!isObject(error)) return ['no "error" object'];
  const problems: string[] = [];
  if (Object.keys(body).length !== 1) problems.push(`other top-level fields: ${Object.keys(body).join(", ")}`);
  if (typeof error["code"] !== "string" || error["code"] === "") problems.push('no "error.code" string');
  if (typeof error["message"] !== "string") problems.push('no "error.message" string');
  return problems;
});

/** Azure Storage: XML <Error><Code>…</Code><Message>…</Message></Error>, the code also in x-ms-error-code (HEAD: the header only). */
export const storageShape: Shape = (answer, request) => {
  const problems: string[] = [];
  const headerCode = answer.headers["x-ms-error-code"]?.[0];
  if (!headerCode) problems.push("no x-ms-error-code header");
  if (isHead(request)) return problems;
  if (!/xml/i.test(contentTypeOf(answer)))
    problems.push(`content-type ${JSON.stringify(contentTypeOf(answer))}, not XML`);
  const text = answer.body.toString("utf8");
  const code = /<Error>\s*<Code>([^<]+)<\/Code>\s*<Message>[\s\S]*<\/Message>/.exec(text)?.[1];
  if (!code) problems.push(`a body without <Error><Code>…</Code><Message>: ${JSON.stringify(text.slice(0, 160))}`);
  else if (headerCode && code !== headerCode) problems.push(`<Code>${code}</Code> but x-ms-error-code ${headerCode}`);
  return problems;
};

/** Azure Functions: an error has an empty body. */
export const emptyBodyShape: Shape = (answer) =>
  answer.body.length === 0
    ? []
    : [`a body of ${answer.body.length} bytes: ${JSON.stringify(answer.body.toString("utf8").slice(0, 120))}`];

/** The steps: {"error", "hint"?, "upstreamStatus"?} JSON. */
export const stepShape: Shape = jsonShape((body) => {
  const problems: string[] = [];
  if (typeof body["error"] !== "string" || body["error"] === "") problems.push('no "error" string');
  if (body["hint"] !== undefined && typeof body["hint"] !== "string") problems.push('"hint" is not a string');
  const extra = Object.keys(body).filter((key) => !["error", "hint", "upstreamStatus"].includes(key));
  if (extra.length > 0) problems.push(`other fields: ${extra.join(", ")}`);
  return problems;
});
