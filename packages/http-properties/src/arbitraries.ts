/**
 * The inputs: fast-check arbitraries for every part of an HTTP request, and
 * `httpRequest`, which composes them for one surface from what that surface
 * understands (its paths, methods, credentials and bodies). Most requests are
 * mostly right (the right credentials, a real path, a body of the right kind)
 * with one or two parts mutated, so that they reach deep into each service;
 * the rest are garbage from the request line on.
 */
import fc from "fast-check";
import type { Bytes, RawRequest } from "./raw.ts";

const bytes = (value: Bytes): Buffer => (typeof value === "string" ? Buffer.from(value, "utf8") : value);
const join = (...parts: Bytes[]): Buffer => Buffer.concat(parts.map(bytes));
const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

// ---------------------------------------------------------------- methods

/** Methods no surface expects: WebDAV, lowercase, unknown, very long, not a token at all. */
export const oddMethod: fc.Arbitrary<Bytes> = fc.oneof(
  fc.constantFrom(
    "HEAD",
    "OPTIONS",
    "PATCH",
    "PROPFIND",
    "TRACE",
    "CONNECT",
    "MKCOL",
    "SEARCH",
    "QUERY",
    "MERGE",
    "LOCK",
    "PURGE",
    "M-SEARCH",
    "SOURCE",
    "PRI",
  ),
  fc.constantFrom("get", "post", "Put", "dElEtE", "head", "options"),
  fc.stringMatching(/^[A-Z]{1,12}$/),
  fc.integer({ min: 64, max: 20_000 }).map((length) => "G".repeat(length)),
  fc.constantFrom<Bytes>("", "GET\0", "G\tT", "GE T", "\u00e9GET", Buffer.from([0xff, 0x47])),
);

export const method = (usual: readonly string[]): fc.Arbitrary<Bytes> =>
  fc.oneof(weighted(6, fc.constantFrom(...usual)), weighted(1, oddMethod));

// ---------------------------------------------------------------- request targets

/** What can be spliced into a target: bad percent-encodings, invalid UTF-8, NUL and control characters, separators. */
const targetPiece: fc.Arbitrary<Bytes> = fc.oneof(
  fc.constantFrom<Bytes>(
    "%",
    "%z",
    "%zz",
    "%c3%28",
    "%ff%fe",
    "%e2%82",
    "%00",
    "%2F",
    "%2e%2e",
    "%25",
    "..",
    "/..",
    "//",
    "/",
    "?",
    "??",
    "#",
    ";",
    "&",
    "=",
    "[",
    "]",
    "@",
    ":",
    "\\",
    "~",
    "é",
    "💥",
    "%F0%9F%92%A5",
  ),
  fc.constantFrom<Bytes>(
    "\0",
    "\x01",
    "\x07",
    "\t",
    " ",
    "\r",
    "\n",
    "\x7f",
    "\x1b[2J",
    Buffer.from([0xc3, 0x28]),
    Buffer.from([0xff]),
    Buffer.from([0xe2, 0x82]),
  ),
  fc.string({ maxLength: 6 }),
);

/** One mutation of a valid target. */
const targetMutation: fc.Arbitrary<(target: string) => Bytes> = fc.oneof(
  fc.tuple(fc.nat(), targetPiece).map(([at, piece]) => (target: string) => {
    const cut = at % (target.length + 1);
    return join(target.slice(0, cut), piece, target.slice(cut));
  }),
  fc.nat().map((at) => (target: string) => target.slice(0, at % (target.length + 1))),
  fc.constant((target: string) => target.toUpperCase()),
  fc.constant((target: string) => target.replaceAll("/", "//")),
  fc.constant((target: string) => `${target.split("?")[0]}/`),
  fc.constant((target: string) => target.replace(/^\//, "")),
  fc
    .constantFrom("http://localhost", "https://127.0.0.1:1", "http://[::1]", "//evil.example")
    .map((prefix) => (target: string) => `${prefix}${target}`),
  // Overlong: past Node's and Azure's limits (a request line over 64 KB) and just under them.
  fc
    .integer({ min: 1000, max: 90_000 })
    .map((length) => (target: string) => `${target.split("?")[0]}/${"a".repeat(length)}`),
);

/** Targets no path template describes. */
export const weirdTarget: fc.Arbitrary<Bytes> = fc.oneof(
  fc.constantFrom<Bytes>(
    "*",
    "//[",
    "/[",
    "[",
    "//",
    "/",
    "",
    " ",
    "?",
    "#",
    "/%",
    "/%zz",
    "/%c3%28",
    "/%00",
    "/\0",
    "/\x7f",
    "/\x1b",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/",
    "http://example.com/",
    "https://[::1]:1/x",
    "localhost:443",
    "\\\\?\\C:",
    "/?a=%",
  ),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.string({ unit: "binary", maxLength: 40 }).map((text) => `/${text}`),
  fc.uint8Array({ maxLength: 40 }).map((array) => join("/", Buffer.from(array))),
);

// ---------------------------------------------------------------- query strings

/** Query parameters around the ones a surface reads: repeated, huge, PHP-style arrays, prototype names, broken encodings. */
export const junkQuery = (names: readonly string[], values: fc.Arbitrary<string>): fc.Arbitrary<string> => {
  const name = fc.oneof(
    fc.constantFrom(...names),
    fc.constantFrom("a", "__proto__", "constructor", "toString", "hasOwnProperty"),
  );
  const parameter = fc.oneof(
    fc.tuple(name, values).map(([key, value]) => `${key}=${encodeURIComponent(value)}`),
    fc
      .tuple(name, values, values)
      .map(([key, a, b]) => `${key}=${encodeURIComponent(a)}&${key}=${encodeURIComponent(b)}`),
    fc.tuple(name, fc.integer({ min: 1000, max: 60_000 })).map(([key, length]) => `${key}=${"x".repeat(length)}`),
    fc.tuple(name, values).map(([key, value]) => `${key}[]=${encodeURIComponent(value)}`),
    fc.tuple(name, fc.integer({ min: 1, max: 200 })).map(([key, depth]) => `${key}${"[a]".repeat(depth)}=1`),
    fc.constantFrom(
      "__proto__[polluted]=1",
      "constructor[prototype][polluted]=1",
      "a[__proto__][b]=1",
      "=",
      "&",
      "&&&",
      "a",
      "%",
      "%zz=1",
      "a=%c3",
      "a=%",
      "a==b",
      "a=b=c",
      "+=+",
    ),
    fc
      .integer({ min: 100, max: 3000 })
      .map((count) => Array.from({ length: count }, (_, index) => `p${index}=1`).join("&")),
  );
  return fc.array(parameter, { maxLength: 3 }).map((parameters) => parameters.join("&"));
};

// ---------------------------------------------------------------- headers

export type Header = readonly [Bytes, Bytes];

/** Headers nobody asked for: huge, many, badly encoded, framing and protocol switches. */
export const junkHeaders: fc.Arbitrary<Header[]> = fc.oneof(
  fc.integer({ min: 1000, max: 80_000 }).map((length): Header[] => [["X-Big", "a".repeat(length)]]),
  fc
    .integer({ min: 50, max: 2500 })
    .map((count): Header[] => Array.from({ length: count }, (_, index): Header => [`X-Many-${index}`, "1"])),
  fc
    .integer({ min: 2, max: 50 })
    .map((count): Header[] => Array.from({ length: count }, (): Header => ["X-Repeated", "1"])),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((array): Header[] => [["X-Binary", Buffer.from(array)]]),
  fc.constantFrom<Header[]>(
    [["X-Bad-Utf8", Buffer.from([0xc3, 0x28, 0xa0, 0xa1])]],
    [["X-Latin1", Buffer.from([0xe9, 0xe8])]],
    [["X-Control", "a\x01b"]],
    [["X-Nul", "a\0b"]],
    [["X-Del", "a\x7fb"]],
    [["X Space", "1"]],
    [["X:Colon", "1"]],
    [["", "empty name"]],
    [["X-Fold", "a\r\n folded"]],
    [["Expect", "100-continue"]],
    [["Expect", "the-unexpected"]],
    [
      ["Upgrade", "websocket"],
      ["Connection", "Upgrade"],
      ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ["Sec-WebSocket-Version", "13"],
    ],
    [
      ["Upgrade", "h2c"],
      ["HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"],
    ],
    [["Transfer-Encoding", "gzip"]],
    [["Transfer-Encoding", "identity"]],
    [["Content-Encoding", "gzip"]],
    [["Content-Encoding", "deflate"]],
    [["Content-Encoding", "br"]],
    [["Content-Encoding", "x-bogus"]],
    [["Content-Length", "-1"]],
    [["Content-Length", "abc"]],
    [["Content-Length", "99999999999999999999"]],
    [["Host", "second.example"]],
    [
      ["X-Forwarded-For", "127.0.0.1"],
      ["X-Forwarded-Host", "evil.example"],
      ["X-Forwarded-Proto", "http"],
    ],
    [["X-HTTP-Method-Override", "DELETE"]],
    [
      ["Origin", "https://evil.example"],
      ["Access-Control-Request-Method", "DELETE"],
    ],
    [["Range", "bytes=0-1,5-"]],
    [["Accept", "application/xml;q=0.9, */*;q=0.1"]],
    [["Accept-Encoding", "gzip, deflate, br, zstd"]],
    [["x-ms-version", "1999-01-01"]],
    [["x-ms-version", "'; DROP TABLE"]],
    [["x-ms-client-request-id", "a".repeat(2000)]],
    [["Cookie", "a=b; __proto__=x"]],
  ),
);

/** An Authorization header that is wrong in some way, around a valid token of the right audience. */
export const badAuthorization = (validToken: string, forged: readonly string[]): fc.Arbitrary<Bytes> =>
  fc.oneof(
    fc.constantFrom(...forged.map((token) => `Bearer ${token}`)),
    fc.constantFrom<Bytes>(
      "",
      "Bearer",
      "Bearer ",
      "Bearer  ",
      "bearer",
      "Basic dXNlcjpwYXNz",
      "Digest x",
      "PoP abc",
      "SharedKey devstoreaccount1:abc=",
      "SharedKeyLite a:b",
      "Negotiate x",
      "Bearer a.b.c",
      "Bearer ...",
      "Bearer null",
      "Bearer undefined",
      Buffer.from([0x42, 0x65, 0x61, 0x72, 0x65, 0x72, 0x20, 0xff, 0xfe]),
    ),
    fc.string({ maxLength: 60 }).map((text) => `Bearer ${text}`),
    fc.base64String({ maxLength: 200 }).map((text) => `Bearer ${text}.${text}.${text}`),
    fc.constant(`bearer ${validToken}`),
    fc.constant(`Bearer ${validToken} extra`),
    fc.constant(`Bearer ${validToken}x`),
    fc.constant(`Bearer ${validToken.slice(0, -5)}`),
    fc.nat().map((at) => {
      // One character of the token changed: signature, payload or header.
      const index = at % validToken.length;
      const swapped = validToken[index] === "A" ? "B" : "A";
      return `Bearer ${validToken.slice(0, index)}${swapped}${validToken.slice(index + 1)}`;
    }),
    // Enormous: near and past the 64 KB of headers Azure takes.
    fc.integer({ min: 4000, max: 80_000 }).map((length) => `Bearer ${validToken}${"A".repeat(length)}`),
    fc
      .integer({ min: 4000, max: 80_000 })
      .map((length) => `Bearer ${"e".repeat(length)}.${"e".repeat(10)}.${"e".repeat(10)}`),
  );

// ---------------------------------------------------------------- bodies

/** Nesting deep enough to overflow a recursive parser or serializer. */
export const deepJson: fc.Arbitrary<Buffer> = fc.oneof(
  fc.integer({ min: 100, max: 60_000 }).map((depth) => Buffer.from(`${"[".repeat(depth)}${"]".repeat(depth)}`)),
  fc.integer({ min: 100, max: 30_000 }).map((depth) => Buffer.from(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`)),
  fc
    .integer({ min: 100, max: 30_000 })
    .map((depth) => Buffer.from(`{"value":"v","tags":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`)),
);

/** Bodies of no particular kind: huge, binary, invalid UTF-8, any JSON, XML, forms. */
export const junkBody: fc.Arbitrary<Buffer> = fc.oneof(
  weighted(2, deepJson),
  weighted(
    1,
    fc.integer({ min: 10_000, max: 2_500_000 }).map((length) => Buffer.alloc(length, "a")),
  ),
  weighted(
    2,
    fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)),
  ),
  weighted(
    1,
    fc.constantFrom(
      Buffer.from([0xc3, 0x28]),
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('{"value":"\udc00"}'),
      Buffer.from([0x7b, 0x22, 0x76, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
    ),
  ),
  weighted(
    3,
    fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? "null")),
  ),
  weighted(
    1,
    fc.string({ maxLength: 200 }).map((text) => Buffer.from(text)),
  ),
  weighted(
    1,
    fc
      .constantFrom(
        "<?xml version='1.0'?><!DOCTYPE a [<!ENTITY b 'c'>]><a>&b;</a>",
        "<a><b>",
        "a=1&a=2&b",
        "null",
        "[]",
        "{}",
        '{"__proto__":{"polluted":1}}',
        '{"constructor":{"prototype":{"polluted":1}}}',
      )
      .map((text) => Buffer.from(text)),
  ),
);

/** Content types that are right, wrong or malformed. */
export const contentType = (right: string): fc.Arbitrary<Bytes | undefined> =>
  fc.oneof(
    weighted(6, fc.constant(right)),
    weighted(
      2,
      fc.constantFrom<Bytes | undefined>(
        undefined,
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "application/json; charset=utf-16",
        `${right}; charset=bogus`,
        `${right}; charset=latin1`,
        "",
        ";;;",
        "*/*",
        "application/json, text/plain",
        Buffer.from([0x61, 0xff]),
      ),
    ),
  );

// ---------------------------------------------------------------- framing

export type Framing = "length" | "chunked" | "truncated" | "shortLength" | "noLength" | "unterminatedHead";

/** How the body is sent: mostly with its true length; sometimes chunked, or declared longer (then the client stops: a truncated request) or shorter than it is. */
export const framing: fc.Arbitrary<Framing> = fc.oneof(
  weighted(14, fc.constant<Framing>("length")),
  weighted(2, fc.constant<Framing>("chunked")),
  weighted(1, fc.constant<Framing>("truncated")),
  weighted(1, fc.constant<Framing>("shortLength")),
  weighted(1, fc.constant<Framing>("noLength")),
  weighted(1, fc.constant<Framing>("unterminatedHead")),
);

// ---------------------------------------------------------------- one request

export interface SurfaceRequests {
  /** The methods the surface serves. */
  readonly methods: readonly string[];
  /** Valid request targets, path and query (the query may be empty). */
  readonly targets: fc.Arbitrary<string>;
  /** Method and target together, where only some pairs are operations (Key Vault, Queue Storage); else any method with any target. */
  readonly operations?: fc.Arbitrary<readonly [string, string]>;
  /** Query parameter names the surface reads, for the junk around them, and values for them. */
  readonly queryNames: readonly string[];
  readonly queryValues?: fc.Arbitrary<string>;
  /** The Host header a client would send. */
  readonly host: string;
  /** Valid credentials as headers, of the right kind for this surface (none for a surface that takes none). */
  readonly credentials: fc.Arbitrary<Header[]>;
  /** Credentials that are wrong: missing, repeated, forged, garbage. */
  readonly badCredentials: fc.Arbitrary<Header[]>;
  /** Bodies the surface understands (already serialized), and their content type. */
  readonly bodies: fc.Arbitrary<Buffer | undefined>;
  readonly contentType: string;
  /** Other headers the surface reads (x-ms-version, ...), each sent when generated. */
  readonly extraHeaders?: fc.Arbitrary<Header[]>;
}

/** A request that prints compactly when fast-check reports it, and says how its body was framed. */
export type GeneratedRequest = RawRequest & { readonly framing: Framing; readonly [fc.toStringMethod]: () => string };

/**
 * Whether bytes follow the request that are not part of it (a body sent without its length, or longer than it): a
 * server reads them as a second request, pipelined, and must answer the first one first.
 */
export const pipelinesGarbage = (request: GeneratedRequest): boolean =>
  (request.framing === "noLength" || request.framing === "shortLength") && (request.body?.length ?? 0) > 0;

const shown = (value: Bytes, max = 160): string => {
  const text = typeof value === "string" ? value : value.toString("latin1");
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);
};

export function describeRequest(request: RawRequest): string {
  const headers = request.headers.map(([name, value]) => `${shown(name, 40)}: ${shown(value, 120)}`);
  const shownHeaders = headers.length > 12 ? [...headers.slice(0, 12), `…(${headers.length} headers)`] : headers;
  const body = request.body ? ` body(${request.body.length} bytes)=${shown(request.body, 200)}` : "";
  const flags = [request.halfClose ? "half-closed" : "", request.unterminatedHead ? "unterminated head" : ""]
    .filter(Boolean)
    .join(", ");
  return `${shown(request.method, 40)} ${shown(request.target)} {${shownHeaders.join(", ")}}${body}${flags ? ` [${flags}]` : ""}`;
}

function chunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += 8192) {
    const chunk = body.subarray(at, at + 8192);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

/** Puts the parts together: the framing decides Content-Length, Transfer-Encoding and how the client ends. */
export function assemble(parts: {
  method: Bytes;
  target: Bytes;
  headers: Header[];
  body: Buffer | undefined;
  framing: Framing;
}): GeneratedRequest {
  const { method: verb, target, body, framing: how } = parts;
  const headers: Header[] = [...parts.headers];
  let sent = body;
  let halfClose = false;
  let unterminatedHead = false;
  if (how === "unterminatedHead") {
    unterminatedHead = true;
    halfClose = true;
    sent = undefined;
  } else if (body === undefined) {
    // No body.
  } else if (how === "chunked") {
    headers.push(["Transfer-Encoding", "chunked"]);
    sent = chunked(body);
  } else if (how === "truncated") {
    headers.push(["Content-Length", String(body.length + 1 + (body.length >> 1))]);
    halfClose = true;
  } else if (how === "shortLength") {
    headers.push(["Content-Length", String(body.length >> 1)]);
  } else if (how === "length") {
    headers.push(["Content-Length", String(body.length)]);
  }
  const request: RawRequest = {
    method: verb,
    target,
    headers,
    ...(sent ? { body: sent } : {}),
    ...(halfClose ? { halfClose } : {}),
    ...(unterminatedHead ? { unterminatedHead } : {}),
  };
  return Object.assign(request, { framing: how, [fc.toStringMethod]: () => describeRequest(request) });
}

/** The parts of a request a generated one may get wrong. */
const DIMENSIONS = [
  "method",
  "target",
  "query",
  "host",
  "credentials",
  "headers",
  "contentType",
  "body",
  "framing",
] as const;
type Dimension = (typeof DIMENSIONS)[number];

/**
 * Requests for one surface. About a fifth are valid in every part (they reach the operations: a 2xx, or the
 * operation's own refusal); two thirds are valid but for one part, mutated (a valid token with a body that lies, a
 * real path with a broken query...), so they reach as deep as that part lets them; the rest are wrong in several.
 */
export function httpRequest(surface: SurfaceRequests): fc.Arbitrary<GeneratedRequest> {
  const values =
    surface.queryValues ??
    fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("", "7.6", "2019-08-01", "true", "0", "-1", "1e9", "NaN"));
  const host: Header[] = [["Host", surface.host]];
  const operations = surface.operations ?? fc.tuple(fc.constantFrom(...surface.methods), surface.targets);
  const valid = ([verb, target]: readonly [string, string]): Record<Dimension, fc.Arbitrary<unknown>> => ({
    method: fc.constant(verb),
    target: fc.constant(target),
    query: fc.constant(""),
    host: fc.constant(host),
    credentials: surface.credentials,
    headers: fc.constant<Header[]>([]),
    contentType: fc.constant(surface.contentType),
    body: surface.bodies,
    framing: fc.constant<Framing>("length"),
  });
  const mutated = ([, target]: readonly [string, string]): Record<Dimension, fc.Arbitrary<unknown>> => ({
    method: oddMethod,
    target: fc.oneof(
      weighted(
        3,
        targetMutation.map((mutate) => mutate(target)),
      ),
      weighted(1, weirdTarget),
    ),
    query: junkQuery(surface.queryNames, values),
    host: fc.constantFrom<Header[]>(
      [],
      [["Host", ""]],
      [["Host", "["]],
      [["Host", "evil.example"]],
      [...host, ["Host", "evil.example"]],
      [["Host", `${surface.host}\0`]],
      [["Host", "a".repeat(300)]],
    ),
    credentials: surface.badCredentials,
    headers: junkHeaders,
    contentType: contentType(surface.contentType).filter((type) => type !== surface.contentType),
    body: fc.oneof(weighted(4, junkBody), weighted(1, fc.constant(undefined))),
    framing: framing.filter((how) => how !== "length"),
  });
  const mode: fc.Arbitrary<readonly Dimension[]> = fc.oneof(
    weighted(2, fc.constant([])),
    weighted(
      6,
      fc.constantFrom(...DIMENSIONS).map((dimension) => [dimension]),
    ),
    weighted(1, fc.subarray([...DIMENSIONS], { minLength: 2 })),
  );
  const parts = ([operation, wrong]: readonly [readonly [string, string], readonly Dimension[]]) => {
    const right = valid(operation);
    const mistaken = mutated(operation);
    return fc.record(
      Object.fromEntries(
        DIMENSIONS.map((dimension) => [dimension, (wrong.includes(dimension) ? mistaken : right)[dimension]]),
      ) as Record<Dimension, fc.Arbitrary<unknown>>,
    );
  };
  return fc
    .tuple(fc.tuple(operations, mode).chain(parts), surface.extraHeaders ?? fc.constant<Header[]>([]), fc.boolean())
    .map(([chosen, extra, shuffle]) => {
      const target = chosen["target"] as Bytes;
      const query = chosen["query"] as string;
      const path =
        query === ""
          ? target
          : Buffer.concat([bytes(target), bytes(bytes(target).includes("?") ? "&" : "?"), bytes(query)]);
      const payload = chosen["body"] as Buffer | undefined;
      const type = chosen["contentType"] as Bytes | undefined;
      const junk = chosen["headers"] as Header[];
      const headers: Header[] = [
        ...(chosen["host"] as Header[]),
        ...(chosen["credentials"] as Header[]),
        ...extra,
        ...(type !== undefined && payload !== undefined ? [["Content-Type", type] as Header] : []),
        ...junk,
      ];
      // Connection: close, so that the end of the answer is the end of the connection (see raw.ts); last, unless the junk upgrades.
      const ordered = shuffle ? headers.reverse() : headers;
      const connection: Header[] = junk.some(([name]) => String(name).toLowerCase() === "connection")
        ? []
        : [["Connection", "close"]];
      return assemble({
        method: chosen["method"] as Bytes,
        target: path,
        headers: [...ordered, ...connection],
        body: payload,
        framing: chosen["framing"] as Framing,
      });
    });
}

/** `application/x-www-form-urlencoded` from name-value pairs (names may repeat). */
export const form = (pairs: readonly (readonly [string, string])[]): string =>
  pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&");

export const utf8 = (text: string): Buffer => Buffer.from(text, "utf8");
export { weighted };
