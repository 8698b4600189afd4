/**
 * Reading a request's query parameters and metadata as Queue Storage reads
 * them: a number that is no whole number is 400 InvalidQueryParameterValue, one
 * outside its range 400 OutOfRangeQueryParameterValue, a missing one that is
 * required 400 MissingRequiredQueryParameter. Each problem is thrown as a
 * `Refusal` carrying Azure's answer, which the gateway sends; nothing was
 * changed by then.
 */
import type { IncomingMessage } from "node:http";
import type { ErrorAnswer } from "../http/host.ts";
import * as errors from "./errors.ts";
import { LIMITS, type Metadata } from "./model.ts";

/** A request Queue Storage refuses, with the answer that says why. */
export class Refusal extends Error {
  readonly answer: ErrorAnswer;
  constructor(answer: ErrorAnswer) {
    super(`refused: ${answer.status}`);
    this.answer = answer;
  }
}

/** Azure reads a parameter that is there but empty (`?numofmessages=`) as absent. */
const present = (query: URLSearchParams, name: string): string | undefined => query.get(name) || undefined;

/** A whole number parameter within [min, max], or undefined when the request has none (or `required` refuses that). */
export function integerParameter(
  req: IncomingMessage,
  query: URLSearchParams,
  name: string,
  range: { readonly min: number; readonly max: number; readonly required?: boolean },
): number | undefined {
  const value = present(query, name);
  if (value === undefined) {
    if (range.required) throw new Refusal(errors.missingRequiredQueryParameter(req, name));
    return undefined;
  }
  // Azure's parameters are 32-bit integers.
  const number = Number(value);
  if (!/^-?\d{1,10}$/.test(value) || number < -(2 ** 31) || number >= 2 ** 31)
    throw new Refusal(
      errors.invalidQueryParameterValue(req, { name, value, reason: "The value is not a 32-bit integer." }),
    );
  if (number < range.min || number > range.max)
    throw new Refusal(errors.outOfRangeQueryParameterValue(req, { name, value, min: range.min, max: range.max }));
  return number;
}

/** A text parameter the operation cannot go without. */
export function requiredParameter(req: IncomingMessage, query: URLSearchParams, name: string): string {
  const value = present(query, name);
  if (value === undefined) throw new Refusal(errors.missingRequiredQueryParameter(req, name));
  return value;
}

export const optionalParameter = present;

/**
 * The request's metadata (`x-ms-meta-<name>`), each name with the case it was sent in, as Azure keeps it. The gateway
 * has already refused names that are no C# identifier; here, metadata larger than Azure's 8 KB is refused.
 */
export function metadataOf(req: IncomingMessage): Metadata {
  const metadata: [string, string][] = [];
  const seen = new Set<string>();
  for (let index = 0; index < req.rawHeaders.length; index += 2) {
    const header = req.rawHeaders[index] ?? "";
    const lower = header.toLowerCase();
    if (!lower.startsWith("x-ms-meta-") || seen.has(lower)) continue;
    seen.add(lower);
    // Node joins a header sent twice into one value: the metadata is that value.
    const value = req.headers[lower];
    metadata.push([header.slice("x-ms-meta-".length), Array.isArray(value) ? value.join(", ") : (value ?? "")]);
  }
  const bytes = metadata.reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
  if (bytes > LIMITS.metadataBytes) throw new Refusal(errors.metadataTooLarge(req));
  return metadata;
}
