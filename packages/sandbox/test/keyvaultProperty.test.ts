/**
 * A property of the vault, over generated bodies for Set Secret (PUT) and
 * Update Secret (PATCH): whatever the JSON (or not-JSON), the answer is a 2xx,
 * or a 4xx that left every secret as it was (all versions, attributes, tags).
 * Never a 5xx; the vault only ever holds what Azure accepts, and the secret
 * always reads back.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VAULT_RESOURCE } from "../src/index.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
let token: string;
let firstVersion: string;

beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
  token = await test.sandbox.tokens.issue({
    audience: VAULT_RESOURCE,
    objectId: test.sandbox.directory.users[0]?.objectId ?? "",
  });
  const created = await send(
    "PUT",
    "/secrets/generated",
    JSON.stringify({ value: "first", tags: { owner: "property" } }),
  );
  firstVersion = ((await created.json()) as { id: string }).id.split("/").at(-1) ?? "";
});
afterAll(() => test.stop());

function send(method: string, path: string, body: string): Promise<Response> {
  return fetch(`${test.sandbox.endpoints.keyVaultUrl}${path}?api-version=7.6`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  });
}
/** What Azure accepts, checked independently of the vault's own checks. */
function holdsOnlyWhatAzureAccepts() {
  for (const secret of [
    ...test.sandbox.secrets.list(),
    ...test.sandbox.secrets.listDeleted().map((deleted) => deleted.secret),
  ]) {
    expect(secret.versions.length).toBeGreaterThan(0);
    for (const version of secret.versions) {
      expect(typeof version.value === "string" && version.value.length <= 25_600).toBe(true);
      expect(
        version.contentType === undefined ||
          (typeof version.contentType === "string" && version.contentType.length <= 255),
      ).toBe(true);
      expect(typeof version.enabled).toBe("boolean");
      for (const date of [version.notBefore, version.expires])
        expect(date === undefined || Number.isSafeInteger(date)).toBe(true);
      if (version.tags !== undefined) {
        const entries = Object.entries(version.tags as unknown as Record<string, unknown>);
        expect(entries.length).toBeLessThanOrEqual(15);
        for (const [name, tag] of entries)
          expect(name.length <= 512 && typeof tag === "string" && tag.length <= 512).toBe(true);
      }
    }
  }
}
const snapshot = () =>
  structuredClone({ secrets: test.sandbox.secrets.list(), deleted: test.sandbox.secrets.listDeleted() });

/** Near Azure's limits and past them, right types and wrong ones. */
const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ minLength: 250, maxLength: 260 }),
  fc.string({ minLength: 510, maxLength: 514 }),
);
const anything = fc.jsonValue({ maxDepth: 3 });
/**
 * Nesting deep enough that writing it back as JSON overflows the stack (the
 * original defect). Too deep for JSON.stringify here too: generated as a
 * marker, and spliced into the body as text.
 */
const DEEP = "\u0000deep\u0000";
const deepJson = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
const withDeep = (json: string) => json.replaceAll(JSON.stringify(DEEP), deepJson);
const tagValue = fc.oneof(
  { weight: 8, arbitrary: text },
  { weight: 2, arbitrary: anything },
  { weight: 1, arbitrary: fc.constant(DEEP) },
);
const tags = fc.oneof(fc.dictionary(text, tagValue, { maxKeys: 17 }), anything);
const seconds = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.double(), fc.constant(null), anything);
const attributes = fc.oneof(
  fc.record(
    { enabled: fc.oneof(fc.boolean(), fc.constant(null), anything), nbf: seconds, exp: seconds },
    { requiredKeys: [] },
  ),
  anything,
);
const value = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 25_598, maxLength: 25_602 }) },
  { weight: 1, arbitrary: anything },
);
const properties = fc.record(
  {
    value,
    contentType: fc.oneof(text, fc.constant(null), anything),
    tags: fc.oneof(tags, fc.constant(null)),
    attributes: fc.oneof(attributes, fc.constant(null)),
  },
  { requiredKeys: [] },
);
/** Mostly objects shaped like a request, some any JSON at all, a few not JSON. */
const body = fc.oneof(
  { weight: 8, arbitrary: properties.map((object) => withDeep(JSON.stringify(object))) },
  { weight: 2, arbitrary: anything.map((json) => JSON.stringify(json)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const request = fc.record({
  method: fc.constantFrom("PUT", "PATCH"),
  version: fc.constantFrom("latest", "first", "unknown"),
  body,
});

describe("any Set or Update body", () => {
  it("answers 2xx, or a 4xx that changed nothing", async () => {
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ method, version, body }) => {
        const path =
          method === "PUT" || version === "latest"
            ? "/secrets/generated"
            : `/secrets/generated/${version === "first" ? firstVersion : "0".repeat(32)}`;
        const before = snapshot();
        const response = await send(method, path, body);
        const answer = (await response.json()) as { error?: { code: string; message: string } };
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          refused += 1;
          expect(Object.keys(answer)).toEqual(["error"]);
          expect(snapshot()).toEqual(before);
        } else {
          accepted += 1;
        }
        holdsOnlyWhatAzureAccepts();
        const read = await fetch(`${test.sandbox.endpoints.keyVaultUrl}/secrets/generated?api-version=7.6`, {
          headers: { authorization: `Bearer ${token}` },
        });
        // 200, or 403 when a generated update disabled the secret: never a 400 or a 500.
        expect([200, 403]).toContain(read.status);
        await read.arrayBuffer();
      }),
      { numRuns: 200 },
    );
    // The generators reach both sides of the property. Of the 200 bodies about 30 are accepted (26 to 36 in six
    // runs) and the rest refused: the bounds sit far enough below that no draw's luck fails them (a bound of 20
    // accepted failed about one npm test in fifty).
    expect(refused).toBeGreaterThan(20);
    expect(accepted).toBeGreaterThan(5);
  });
});
