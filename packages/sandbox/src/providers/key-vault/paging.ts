/**
 * Listings a page at a time, as Key Vault pages them: `maxresults` (1 to 25,
 * Azure's bounds) items a page, and a `nextLink` whose `$skiptoken` only this
 * vault issues. A token is signed and names its listing and how far it got,
 * so a forged or borrowed token is refused and every listing ends: each token
 * goes strictly further than the page that issued it.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/** Azure's default and maximum page size (GetSecrets: `@minValue(1) @maxValue(25) maxresults`). */
export const MAX_PAGE_SIZE = 25;

const pageSize = z
  .string()
  .regex(/^[0-9]{1,9}$/)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_PAGE_SIZE));
const skipToken = z.string().regex(/^[0-9]{1,9}\.[A-Za-z0-9_-]{43}$/);

export type PageRequest =
  | { readonly ok: true; readonly size: number; readonly skip: number }
  | { readonly ok: false; readonly problem: "maxresults"; readonly given: string }
  | { readonly ok: false; readonly problem: "skiptoken" };

export class PageTokens {
  readonly #key = randomBytes(32);

  #sign(listing: string, offset: number): string {
    return createHmac("sha256", this.#key).update(`${listing}\n${offset}`).digest("base64url");
  }

  issue(listing: string, offset: number): string {
    return `${offset}.${this.#sign(listing, offset)}`;
  }

  /**
   * Reads a listing request's query: the page size, and where the page starts
   * (0 without a token). `listing` names what is listed: a token issued for
   * another listing is refused.
   */
  read(listing: string, query: Record<string, unknown>): PageRequest {
    const maxresults = query["maxresults"];
    let size = MAX_PAGE_SIZE;
    if (maxresults !== undefined) {
      const parsed = pageSize.safeParse(maxresults);
      if (!parsed.success) return { ok: false, problem: "maxresults", given: String(maxresults) };
      size = parsed.data;
    }
    const token = query["$skiptoken"];
    if (token === undefined) return { ok: true, size, skip: 0 };
    const parsed = skipToken.safeParse(token);
    if (!parsed.success) return { ok: false, problem: "skiptoken" };
    const [offset = "", signature = ""] = parsed.data.split(".");
    const expected = Buffer.from(this.#sign(listing, Number(offset)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, problem: "skiptoken" };
    return { ok: true, size, skip: Number(offset) };
  }
}

/** One page of `items`, and the offset of the next page when there is one. */
export function pageOf<T>(
  items: readonly T[],
  request: { readonly size: number; readonly skip: number },
): { readonly value: T[]; readonly next?: number } {
  const end = request.skip + request.size;
  return { value: items.slice(request.skip, end), ...(end < items.length ? { next: end } : {}) };
}
