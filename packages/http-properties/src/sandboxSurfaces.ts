/**
 * The sandbox's surfaces, each with the requests it understands: Microsoft
 * Entra ID, the managed identity endpoint, Key Vault, Queue Storage, the
 * Resource Manager / admin API, the third party, and the launcher's control
 * server. Most generated requests carry valid credentials for the surface
 * (a token for the right audience from a principal with a role, the admin
 * key, the identity header, a function key) so that they get past
 * authentication into the operations.
 */
import fc from "fast-check";
import {
  MANAGEMENT_RESOURCE,
  STORAGE_RESOURCE,
  THIRD_PARTY_APP,
  THIRD_PARTY_FUNCTION,
  VAULT_RESOURCE,
} from "@keyless/sandbox";
import { RANDOM_NUMBER_PATH } from "@keyless/third-party-api";
import { badAuthorization, form, httpRequest, utf8, weighted, type Header } from "./arbitraries.ts";
import {
  azureErrorShape,
  emptyBodyShape,
  entraShape,
  managedIdentityShape,
  storageShape,
  type Shape,
} from "./checks.ts";
import { expectStatus, type Surface } from "./harness.ts";
import { text, type RawRequest } from "./raw.ts";
import { resetByNodesDefault } from "./stepSurfaces.ts";
import { forgedTokens, type World } from "./world.ts";

const portOf = (url: string) => Number(new URL(url).port);
/** The path a server reads from a request target, as a URL parser normalizes it (query and dot segments left out). */
export const pathOf = (request: RawRequest) => {
  try {
    return new URL(String(request.target), "http://surface").pathname;
  } catch {
    return String(request.target).split("?")[0] ?? "";
  }
};

/** Credentials in one header: valid ones, and wrong ones (missing, the header twice, a wrong value). */
export function credentials(
  name: string,
  valid: fc.Arbitrary<string>,
  wrong: fc.Arbitrary<string | Buffer>,
): { credentials: fc.Arbitrary<Header[]>; badCredentials: fc.Arbitrary<Header[]> } {
  return {
    credentials: valid.map((value): Header[] => [[name, value]]),
    badCredentials: fc.oneof(
      weighted(1, fc.constant<Header[]>([])),
      weighted(
        1,
        fc.tuple(valid, fc.oneof(valid, wrong)).map(([a, b]): Header[] => [
          [name, a],
          [name, b],
        ]),
      ),
      weighted(
        3,
        wrong.map((value): Header[] => [[name, value]]),
      ),
    ),
  };
}

const uuid = fc.uuid();
const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

// ---------------------------------------------------------------- Microsoft Entra ID

/** The Azure CLI's application id: a public client, the one a user signs in through. */
const AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

export async function entraSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const port = portOf(sandbox.endpoints.authorityHost);
  const principal = sandbox.directory.servicePrincipals[0];
  const user = sandbox.tenant.users[0];
  const tokenUrl = `${sandbox.endpoints.authorityHost}/${sandbox.tenant.tenant.alias}/oauth2/v2.0/token`;
  const signIn = await fetch(tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form([
      ["grant_type", "password"],
      ["client_id", AZURE_CLI],
      ["username", user?.userPrincipalName ?? ""],
      ["password", user?.password ?? ""],
      ["scope", `${MANAGEMENT_RESOURCE}/.default offline_access`],
    ]),
  });
  const refreshToken = ((await signIn.json()) as { refresh_token?: string }).refresh_token ?? "no-refresh-token";
  const tenant = fc.oneof(
    weighted(6, fc.constantFrom(sandbox.tenant.tenant.alias, sandbox.tenant.tenant.id)),
    weighted(1, fc.constantFrom("common", "organizations", "consumers", "ADFS", "", "%2e%2e", "adfs%00")),
    weighted(1, uuid),
  );
  /** Discovery and signing keys are read (GET), a token is asked for (POST); anything else is no endpoint of Entra ID's. */
  const operations = fc.oneof(
    weighted(
      2,
      fc
        .tuple(
          tenant,
          fc.constantFrom(
            ".well-known/openid-configuration",
            "v2.0/.well-known/openid-configuration",
            "discovery/keys",
            "discovery/v2.0/keys",
          ),
        )
        .map(([t, p]): readonly [string, string] => ["GET", `/${t}/${p}`]),
    ),
    weighted(1, fc.constant<readonly [string, string]>(["GET", "/common/discovery/keys"])),
    weighted(
      4,
      fc
        .tuple(tenant, fc.constantFrom("oauth2/token", "oauth2/v2.0/token"))
        .map(([t, p]): readonly [string, string] => ["POST", `/${t}/${p}`]),
    ),
    weighted(
      1,
      fc
        .tuple(
          fc.constantFrom("GET", "POST", "PUT", "DELETE"),
          tenant,
          fc.constantFrom("oauth2/authorize", "oauth2/token", ".well-known/openid-configuration", ""),
        )
        .map(([m, t, p]): readonly [string, string] => [m, `/${t}/${p}`]),
    ),
  );
  const scope = fc.oneof(
    weighted(6, fc.constantFrom(`${VAULT_RESOURCE}/.default`, `${STORAGE_RESOURCE}/.default`)),
    weighted(
      2,
      fc.constantFrom(
        VAULT_RESOURCE,
        "https://graph.microsoft.com/.default",
        `${VAULT_RESOURCE}/.default ${STORAGE_RESOURCE}/.default`,
        "/.default",
        "",
        "openid offline_access",
        `${VAULT_RESOURCE}//.default`,
      ),
    ),
    weighted(1, fc.string({ maxLength: 40 })),
  );
  const parameter = (name: string, valid: fc.Arbitrary<string>) =>
    fc.oneof(
      weighted(
        8,
        valid.map((value): [string, string][] => [[name, value]]),
      ),
      weighted(1, fc.constant<[string, string][]>([])),
      weighted(
        1,
        fc.tuple(valid, valid).map(([a, b]): [string, string][] => [
          [name, a],
          [name, b],
        ]),
      ),
      weighted(
        1,
        fc
          .oneof(
            fc.string({ maxLength: 30 }),
            fc.integer({ min: 1000, max: 200_000 }).map((n) => "x".repeat(n)),
          )
          .map((value): [string, string][] => [[name, value]]),
      ),
    );
  const extras = fc.array(
    fc.tuple(
      fc.constantFrom("resource", "client_assertion", "client_assertion_type", "__proto__", "a[b]", "claims"),
      fc.string({ maxLength: 20 }),
    ),
    { maxLength: 2 },
  );
  /** A service principal's client credentials (step 02), and a user's password then refresh token (az login -u -p). */
  const clientCredentials = fc.tuple(
    parameter(
      "grant_type",
      fc.constantFrom("client_credentials", "client_credentials", "authorization_code", "CLIENT_CREDENTIALS"),
    ),
    parameter("client_id", fc.oneof(weighted(6, fc.constant(principal?.appId ?? "")), weighted(1, uuid))),
    parameter(
      "client_secret",
      fc.oneof(weighted(6, fc.constant(principal?.secret ?? "")), weighted(1, fc.string({ maxLength: 40 }))),
    ),
    parameter("scope", scope),
  );
  const userScope = fc.oneof(
    weighted(
      4,
      fc.constantFrom(
        `${MANAGEMENT_RESOURCE}/.default offline_access`,
        `${VAULT_RESOURCE}/.default offline_access openid profile`,
      ),
    ),
    weighted(1, scope),
  );
  const password = fc.tuple(
    parameter("grant_type", fc.constant("password")),
    parameter(
      "client_id",
      fc.oneof(weighted(6, fc.constant(AZURE_CLI)), weighted(1, fc.constant(principal?.appId ?? ""))),
    ),
    parameter(
      "username",
      fc.oneof(
        weighted(6, fc.constant(user?.userPrincipalName ?? "")),
        weighted(1, fc.constantFrom("LEARNER@keyless.local", "nobody@keyless.local", "")),
      ),
    ),
    parameter(
      "password",
      fc.oneof(weighted(6, fc.constant(user?.password ?? "")), weighted(1, fc.string({ maxLength: 20 }))),
    ),
    parameter("scope", userScope),
  );
  const refresh = fc.tuple(
    parameter("grant_type", fc.constant("refresh_token")),
    parameter("client_id", fc.oneof(weighted(6, fc.constant(AZURE_CLI)), weighted(1, uuid))),
    parameter(
      "refresh_token",
      fc.oneof(
        weighted(6, fc.constant(refreshToken)),
        weighted(1, fc.constant(`${refreshToken}x`)),
        weighted(1, fc.string({ maxLength: 40 })),
      ),
    ),
    parameter("scope", userScope),
  );
  const body = fc
    .tuple(fc.oneof(weighted(3, clientCredentials), weighted(2, password), weighted(2, refresh)), extras, fc.boolean())
    .map(([parts, others, shuffled]) => {
      const pairs = [...parts.flat(), ...others];
      return utf8(form(shuffled ? pairs.reverse() : pairs));
    });
  const basic = principal ? Buffer.from(`${principal.appId}:${principal.secret}`).toString("base64") : "";
  return {
    name: "Microsoft Entra ID",
    endpoint: { port, tls: { servername: "localhost" } },
    requests: httpRequest({
      methods: ["GET"],
      targets: fc.constant(`/${sandbox.tenant.tenant.alias}/discovery/keys`),
      operations,
      queryNames: ["api-version", "client_id", "appid", "p"],
      host: `localhost:${port}`,
      // The token endpoint takes the client's credentials in its body (client_secret_post); in a header, they are refused or ignored.
      credentials: fc.constant<Header[]>([]),
      badCredentials: fc.constantFrom<Header[]>(
        [["Authorization", `Basic ${basic}`]],
        [["Authorization", "Basic !!!"]],
        [["Authorization", "Bearer x"]],
      ),
      bodies: fc.oneof(weighted(6, body), weighted(1, fc.constant(undefined))),
      contentType: "application/x-www-form-urlencoded",
    }),
    shape: entraShape,
    no5xx: true,
    state: () => world.state(),
    knownGood: () =>
      expectStatus(
        fetch(`${sandbox.endpoints.authorityHost}/${sandbox.tenant.tenant.alias}/.well-known/openid-configuration`),
        200,
        "Entra ID's OpenID configuration",
      ),
  };
}

// ---------------------------------------------------------------- managed identity

export function managedIdentitySurface(world: World): Surface {
  const { sandbox } = world;
  const endpoint = new URL(sandbox.endpoints.identityEndpoint);
  const apps = [...sandbox.directory.apps.values()];
  const headers = apps.map((app) => app.identityHeader);
  const resource = fc.oneof(
    weighted(
      6,
      fc.constantFrom(VAULT_RESOURCE, STORAGE_RESOURCE, `${VAULT_RESOURCE}/`, `${STORAGE_RESOURCE}/.default`),
    ),
    weighted(
      1,
      fc.constantFrom(
        "",
        "https://graph.microsoft.com",
        "https://management.azure.com/",
        `${VAULT_RESOURCE}/.default/.default`,
      ),
    ),
    weighted(1, fc.string({ maxLength: 30 })),
  );
  const ids = apps.flatMap((app) => [app.appId ?? "", app.objectId]);
  const picked = fc.oneof(
    weighted(4, fc.constant("")),
    weighted(
      1,
      fc
        .tuple(
          fc.constantFrom("client_id", "principal_id", "object_id", "mi_res_id"),
          fc.oneof(fc.constantFrom(...ids), uuid, fc.string({ maxLength: 10 })),
        )
        .map(([name, value]) => `&${name}=${encodeURIComponent(value)}`),
    ),
  );
  const apiVersion = fc.oneof(
    weighted(8, fc.constant("2019-08-01")),
    weighted(1, fc.constantFrom("2017-09-01", "2018-02-01", "", "2019-08-01&api-version=2019-08-01")),
  );
  const targets = fc
    .tuple(apiVersion, resource, picked)
    .map(
      ([version, wanted, pick]) =>
        `${endpoint.pathname}?api-version=${version}&resource=${encodeURIComponent(wanted)}${pick}`,
    );
  return {
    name: "managed identity endpoint",
    endpoint: { port: Number(endpoint.port) },
    requests: httpRequest({
      methods: ["GET", "GET", "POST"],
      targets: fc.oneof(
        weighted(8, targets),
        weighted(
          1,
          fc.constantFrom(
            "/msi/token",
            "/",
            "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.localhost",
          ),
        ),
      ),
      queryNames: ["api-version", "resource", "client_id", "principal_id", "object_id", "mi_res_id"],
      host: endpoint.host,
      ...credentials(
        "X-IDENTITY-HEADER",
        fc.constantFrom(...headers),
        fc.oneof(
          fc.string({ maxLength: 48 }),
          fc.constantFrom(`${headers[0]} `, headers[0]?.toUpperCase() ?? "", `${headers[0]}${headers[1]}`),
          fc.integer({ min: 1000, max: 70_000 }).map((n) => "h".repeat(n)),
        ),
      ),
      bodies: fc.constant(undefined),
      contentType: "application/json",
      extraHeaders: fc.oneof(
        weighted(4, fc.constant<Header[]>([])),
        weighted(1, fc.constantFrom<Header[]>([["Metadata", "true"]], [["secret", headers[0] ?? ""]])),
      ),
    }),
    shape: managedIdentityShape,
    no5xx: true,
    state: () => world.state(),
    knownGood: () =>
      expectStatus(
        fetch(`${sandbox.endpoints.identityEndpoint}?api-version=2019-08-01&resource=${VAULT_RESOURCE}`, {
          headers: { "X-IDENTITY-HEADER": headers[0] ?? "" },
        }),
        200,
        "the managed identity endpoint",
      ),
  };
}

// ---------------------------------------------------------------- Key Vault

export async function keyVaultSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const port = portOf(sandbox.endpoints.keyVaultUrl);
  const learner = sandbox.directory.users[0]?.objectId ?? "";
  const reader = sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "";
  const admin = await sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId: learner });
  const readOnly = await sandbox.tokens.issue({ audience: VAULT_RESOURCE, objectId: reader });
  const forged = await forgedTokens(sandbox, VAULT_RESOURCE, STORAGE_RESOURCE, learner);
  const vaultUrl = sandbox.endpoints.keyVaultUrl;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${vaultUrl}${path}?api-version=7.6`, {
      method,
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  // A real backup, to restore as it is or tampered with.
  await call("PUT", "/secrets/backed-up", { value: "one", tags: { a: "b" } });
  const backup = ((await (await call("POST", "/secrets/backed-up/backup")).json()) as { value: string }).value;
  const decoded = JSON.parse(Buffer.from(backup, "base64url").toString("utf8")) as Record<string, unknown>;

  const name = fc.oneof(
    weighted(6, fc.constantFrom("third-party-api-key", "fuzz-a", "fuzz-b", "backed-up")),
    weighted(2, fc.stringMatching(/^[0-9a-zA-Z-]{1,127}$/)),
    weighted(
      1,
      fc.constantFrom(
        "bad_name",
        "a".repeat(128),
        "%2e%2e",
        "%00",
        "%F0%9F%92%A5",
        "..",
        "versions",
        "restore",
        "backup",
        "__proto__",
        "constructor",
      ),
    ),
  );
  const version = fc.oneof(hex32, fc.constantFrom("", "latest", "%zz", "x".repeat(300)));
  const apiVersion = fc.oneof(
    weighted(10, fc.constantFrom("api-version=7.6", "api-version=7.4", "api-version=2025-07-01")),
    weighted(
      1,
      fc.constantFrom(
        "",
        "api-version=",
        "api-version=7.6&api-version=7.5",
        "api-version=1.0",
        "api-version[]=7.6",
        "API-VERSION=7.6",
      ),
    ),
  );
  const listing = fc.oneof(
    weighted(4, fc.constant("")),
    weighted(
      1,
      fc
        .oneof(fc.integer({ min: -5, max: 30 }).map(String), fc.constantFrom("", "1e1", "abc", "99999999999"))
        .map((n) => `&maxresults=${n}`),
    ),
    weighted(
      1,
      fc
        .oneof(fc.stringMatching(/^[0-9]{1,3}\.[A-Za-z0-9_-]{43}$/), fc.constantFrom("", "5", "%zz"))
        .map((token) => `&$skiptoken=${token}`),
    ),
  );
  /** Key Vault's secret operations, as its REST API names them: each a method with its path. */
  const operation = fc.oneof(
    fc.constant<[string, string, boolean]>(["GET", "/secrets", true]),
    fc.constant<[string, string, boolean]>(["POST", "/secrets/restore", false]),
    name.map((n): [string, string, boolean] => ["GET", `/secrets/${n}/versions`, true]),
    name.map((n): [string, string, boolean] => ["POST", `/secrets/${n}/backup`, false]),
    fc
      .tuple(name, fc.option(version))
      .map(([n, v]): [string, string, boolean] => ["GET", `/secrets/${n}${v === null ? "" : `/${v}`}`, false]),
    name.map((n): [string, string, boolean] => ["PUT", `/secrets/${n}`, false]),
    fc
      .tuple(name, fc.option(version))
      .map(([n, v]): [string, string, boolean] => ["PATCH", `/secrets/${n}${v === null ? "" : `/${v}`}`, false]),
    name.map((n): [string, string, boolean] => ["DELETE", `/secrets/${n}`, false]),
    fc.constant<[string, string, boolean]>(["GET", "/deletedsecrets", true]),
    name.map((n): [string, string, boolean] => ["GET", `/deletedsecrets/${n}`, false]),
    name.map((n): [string, string, boolean] => ["POST", `/deletedsecrets/${n}/recover`, false]),
    name.map((n): [string, string, boolean] => ["DELETE", `/deletedsecrets/${n}`, false]),
    // What the table has not: other methods on its paths, other collections.
    fc
      .tuple(
        fc.constantFrom("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD"),
        fc.constantFrom("/keys", "/certificates", "/", "/secrets/a/b/c/d", "/secrets", "/deletedsecrets/x/y"),
      )
      .map(([m, p]): [string, string, boolean] => [m, p, false]),
  );
  const operations = fc
    .tuple(operation, apiVersion, listing)
    .map(([[m, p, lists], v, l]): readonly [string, string] => [m, `${p}?${v}${lists ? l : ""}`]);

  const short = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ minLength: 250, maxLength: 260 }));
  const anything = fc.jsonValue({ maxDepth: 3 });
  const seconds = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.double(), fc.constant(null), anything);
  const properties = fc.record(
    {
      value: fc.oneof(
        weighted(6, fc.string({ maxLength: 20 })),
        weighted(1, fc.string({ minLength: 25_598, maxLength: 25_602 })),
        weighted(1, anything),
      ),
      contentType: fc.oneof(short, fc.constant(null), anything),
      tags: fc.oneof(
        fc.dictionary(short, fc.oneof(weighted(6, short), weighted(1, anything)), { maxKeys: 17 }),
        fc.constant(null),
        anything,
      ),
      attributes: fc.oneof(
        fc.record({ enabled: fc.oneof(fc.boolean(), anything), nbf: seconds, exp: seconds }, { requiredKeys: [] }),
        fc.constant(null),
        anything,
      ),
    },
    { requiredKeys: [] },
  );
  const restore = fc.oneof(
    fc.constant({ value: backup }),
    fc.tuple(fc.constantFrom("name", "versions", "format", "vault", "secret"), anything).map(([key, value]) => ({
      value: Buffer.from(
        JSON.stringify({ ...decoded, secret: { ...(decoded["secret"] as object), [key]: value } }),
      ).toString("base64url"),
    })),
    fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 80 })).map((value) => ({ value })),
  );
  const body = fc
    .oneof(weighted(6, properties), weighted(2, restore), weighted(1, anything))
    .map((value) => utf8(JSON.stringify(value)));

  return {
    name: "Key Vault",
    endpoint: { port, tls: { servername: "keyless-kv.vault.localhost" } },
    requests: httpRequest({
      methods: ["GET"],
      targets: fc.constant("/secrets"),
      operations,
      queryNames: ["api-version", "maxresults", "$skiptoken"],
      host: `keyless-kv.vault.localhost:${port}`,
      ...credentials(
        "Authorization",
        fc.oneof(weighted(4, fc.constant(`Bearer ${admin}`)), weighted(1, fc.constant(`Bearer ${readOnly}`))),
        badAuthorization(admin, forged),
      ),
      bodies: fc.oneof(weighted(6, body), weighted(1, fc.constant(undefined))),
      contentType: "application/json",
    }),
    shape: azureErrorShape,
    no5xx: true,
    // Reading a secret is what the vault is for (the third party's key is stored here): only as the value of the secret read or set.
    mayDisclose: (answer) => {
      let body: unknown;
      try {
        body = JSON.parse(text(answer));
      } catch {
        return false;
      }
      if (typeof body !== "object" || body === null || typeof (body as { value?: unknown }).value !== "string")
        return false;
      const rest = `${answer.head}${JSON.stringify({ ...body, value: undefined })}`;
      return !world.secrets().some((secret) => rest.includes(secret));
    },
    state: () => world.state(),
    knownGood: () =>
      expectStatus(
        fetch(`${vaultUrl}/secrets?api-version=7.6`, { headers: { authorization: `Bearer ${admin}` } }),
        200,
        "Key Vault's Get Secrets",
      ),
  };
}

// ---------------------------------------------------------------- Queue Storage

export async function queueSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const port = portOf(sandbox.endpoints.queueUrl ?? "");
  const account = sandbox.world.storageAccount;
  const learner = sandbox.directory.users[0]?.objectId ?? "";
  const sender = sandbox.directory.apps.get("keyless-step-04")?.objectId ?? "";
  const contributor = await sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId: learner });
  const senderOnly = await sandbox.tokens.issue({ audience: STORAGE_RESOURCE, objectId: sender });
  const otherAudience = await sandbox.tokens.issue({
    audience: `https://${account}.queue.core.windows.net`,
    objectId: learner,
  });
  const forged = await forgedTokens(sandbox, STORAGE_RESOURCE, VAULT_RESOURCE, learner);

  const queue = fc.oneof(
    weighted(6, fc.constantFrom("code-requests", "fuzz-queue")),
    weighted(1, fc.constantFrom("Bad_Name", "a", "x".repeat(64), "ab--cd", "%zz", "$logs", "..")),
  );
  const messageId = fc.oneof(weighted(6, uuid), weighted(1, fc.constantFrom("", "x", "%00")));
  const accountName = fc.oneof(
    weighted(12, fc.constant(account)),
    weighted(1, fc.constantFrom("otheraccount", "", "DEVSTOREACCOUNT1")),
  );
  const number = (min: number, max: number) =>
    fc.oneof(
      weighted(6, fc.integer({ min, max }).map(String)),
      weighted(
        1,
        fc.oneof(fc.integer({ min: -10, max: 10 * max + 10 }).map(String), fc.constantFrom("", "abc", "1.5", "1e3")),
      ),
    );
  /** Optional parameters, each sent or not. */
  const optional = (...parameters: fc.Arbitrary<string>[]) =>
    fc
      .tuple(...parameters.map((parameter) => fc.option(parameter, { nil: undefined })))
      .map((chosen) => chosen.filter((value) => value !== undefined));
  const popreceipt = fc
    .oneof(fc.base64String({ minLength: 4, maxLength: 24 }), fc.constant("AgAAAAMAAAAAAAAA"))
    .map((value) => `popreceipt=${encodeURIComponent(value)}`);
  /** Queue Storage's operations, as its REST API names them: each a method, a path and its parameters. */
  const operation: fc.Arbitrary<[string, string, string[]]> = fc.oneof(
    optional(
      fc.constant("include=metadata"),
      fc.constantFrom("prefix=code", "prefix=fuzz", "prefix="),
      number(1, 5000).map((n) => `maxresults=${n}`),
      fc.constant("marker=abc"),
    ).map((more): [string, string, string[]] => ["GET", "", ["comp=list", ...more]]),
    fc.constantFrom<[string, string, string[]]>(
      ["GET", "", ["restype=service", "comp=properties"]],
      ["PUT", "", ["restype=service", "comp=properties"]],
      ["GET", "", ["restype=service", "comp=stats"]],
    ),
    queue.map((q): [string, string, string[]] => ["PUT", `/${q}`, []]),
    queue.map((q): [string, string, string[]] => ["DELETE", `/${q}`, []]),
    fc
      .tuple(fc.constantFrom("GET", "HEAD", "PUT"), queue, fc.constantFrom("metadata", "acl"))
      .map(([m, q, comp]): [string, string, string[]] => [m, `/${q}`, [`comp=${comp}`]]),
    fc
      .tuple(
        queue,
        optional(
          number(0, 604_800).map((n) => `visibilitytimeout=${n}`),
          number(-1, 604_800).map((n) => `messagettl=${n}`),
        ),
      )
      .map(([q, more]): [string, string, string[]] => ["POST", `/${q}/messages`, more]),
    fc
      .tuple(
        queue,
        optional(
          number(1, 32).map((n) => `numofmessages=${n}`),
          number(0, 604_800).map((n) => `visibilitytimeout=${n}`),
        ),
      )
      .map(([q, more]): [string, string, string[]] => ["GET", `/${q}/messages`, more]),
    fc
      .tuple(queue, optional(number(1, 32).map((n) => `numofmessages=${n}`)))
      .map(([q, more]): [string, string, string[]] => ["GET", `/${q}/messages`, ["peekonly=true", ...more]]),
    queue.map((q): [string, string, string[]] => ["DELETE", `/${q}/messages`, []]),
    fc
      .tuple(queue, messageId, popreceipt, number(0, 604_800))
      .map(([q, id, receipt, seconds]): [string, string, string[]] => [
        "PUT",
        `/${q}/messages/${id}`,
        [receipt, `visibilitytimeout=${seconds}`],
      ]),
    fc
      .tuple(queue, messageId, popreceipt)
      .map(([q, id, receipt]): [string, string, string[]] => ["DELETE", `/${q}/messages/${id}`, [receipt]]),
    queue.map((q): [string, string, string[]] => ["OPTIONS", `/${q}`, []]),
  );
  const operations = fc
    .tuple(
      accountName,
      operation,
      fc.option(
        number(1, 30).map((n) => `timeout=${n}`),
        { nil: undefined },
      ),
    )
    .map(([a, [m, p, parameters], timeout]): readonly [string, string] => {
      const query = [...parameters, ...(timeout ? [timeout] : [])];
      return [m, `/${a}${p}${query.length ? `?${query.join("&")}` : ""}`];
    });

  const xmlText = fc.oneof(
    fc.string({ maxLength: 40 }).map((t) => t.replace(/[<&]/g, "")),
    fc.string({ maxLength: 40 }),
    fc.integer({ min: 60_000, max: 70_000 }).map((n) => "m".repeat(n)),
  );
  const body = fc
    .oneof(
      weighted(
        6,
        xmlText.map(
          (t) => `<?xml version="1.0" encoding="utf-8"?><QueueMessage><MessageText>${t}</MessageText></QueueMessage>`,
        ),
      ),
      weighted(
        1,
        fc.constantFrom(
          '<?xml version="1.0" encoding="utf-8"?><SignedIdentifiers><SignedIdentifier><Id>a</Id><AccessPolicy><Permission>raup</Permission></AccessPolicy></SignedIdentifier></SignedIdentifiers>',
          "<SignedIdentifiers/>",
          "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods><AllowedHeaders>*</AllowedHeaders><ExposedHeaders>*</ExposedHeaders><MaxAgeInSeconds>5</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>",
          "<QueueMessage>",
          "<a>&unknown;</a>",
          "<!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><QueueMessage><MessageText>&x;</MessageText></QueueMessage>",
        ),
      ),
      weighted(
        1,
        fc
          .integer({ min: 2, max: 5000 })
          .map((depth) => `<QueueMessage>${"<a>".repeat(depth)}${"</a>".repeat(depth)}</QueueMessage>`),
      ),
    )
    .map(utf8);
  const version = fc.oneof(
    weighted(8, fc.constantFrom<Header[]>([["x-ms-version", "2025-11-05"]], [["x-ms-version", "2026-02-06"]])),
    weighted(1, fc.constantFrom<Header[]>([], [["x-ms-version", "2099-01-01"]], [["x-ms-version", "garbage"]])),
  );
  const meta = fc.oneof(
    weighted(4, fc.constant<Header[]>([])),
    weighted(
      1,
      fc
        .tuple(fc.constantFrom("a", "A", "_", "1bad", "émoji", "a".repeat(300)), fc.string({ maxLength: 20 }))
        .map(([key, value]): Header[] => [[`x-ms-meta-${key}`, value]]),
    ),
    weighted(
      1,
      fc.constantFrom<Header[]>(
        [
          ["Origin", "https://example.com"],
          ["Access-Control-Request-Method", "GET"],
        ],
        [["x-ms-date", "yesterday"]],
        [["x-ms-client-request-id", "💥"]],
        [["x-ms-client-request-id", "i".repeat(30_000)]],
      ),
    ),
  );

  return {
    name: "Queue Storage",
    endpoint: { port, tls: { servername: "localhost" } },
    requests: httpRequest({
      methods: ["GET"],
      targets: fc.constant(`/${account}?comp=list`),
      operations,
      queryNames: ["comp", "restype", "numofmessages", "peekonly", "visibilitytimeout", "popreceipt", "sig", "sv"],
      host: `127.0.0.1:${port}`,
      ...credentials(
        "Authorization",
        fc.oneof(
          weighted(4, fc.constant(`Bearer ${contributor}`)),
          weighted(1, fc.constantFrom(`Bearer ${senderOnly}`, `Bearer ${otherAudience}`)),
        ),
        badAuthorization(contributor, forged),
      ),
      bodies: fc.oneof(weighted(6, body), weighted(1, fc.constant(undefined))),
      contentType: "application/xml",
      extraHeaders: fc.tuple(version, meta).map(([a, b]) => [...a, ...b]),
    }),
    shape: storageShape,
    no5xx: true,
    state: () => world.fullState(),
    knownGood: () =>
      expectStatus(
        fetch(`${sandbox.queue.accountUrl}?comp=list`, {
          headers: { authorization: `Bearer ${contributor}`, "x-ms-version": "2025-11-05" },
        }),
        200,
        "Queue Storage's List Queues",
      ),
  };
}

// ---------------------------------------------------------------- Resource Manager (the admin API)

/** The admin API answers in ARM's shape, except `az login`'s token, refused as Microsoft Entra ID refuses one. */
const armShape: Shape = (answer, request) => {
  // The target as given, or in absolute form (`https://host/_sandbox/developer-token`), which Express routes alike.
  const target = String(request.target);
  const tokenRequest = [target, pathOf(request)].some((path) => /^\/_sandbox\/developer-token/i.test(path));
  if (tokenRequest && answer.status === 400 && /"error":"/.test(text(answer))) return entraShape(answer, request);
  return azureErrorShape(answer, request);
};

export function resourceManagerSurface(world: World): Surface {
  const { sandbox } = world;
  const { url, key } = sandbox.endpoints.admin;
  const port = portOf(url);
  const principals = [
    ...sandbox.directory.all().flatMap((entry) => [entry.objectId, entry.displayName, entry.appId ?? ""]),
  ].filter(Boolean);
  const filter = fc.oneof(
    weighted(4, fc.constant("")),
    weighted(
      1,
      fc.constantFrom("?assignee=learner@keyless.local", "?role=Reader", "?id=x", "?resource=https://vault.localhost"),
    ),
  );
  const apps = fc.constantFrom("keyless-step-03", "keyless-workspace-02", "nope", "__proto__", "%00", "a%2Fb");
  /** The admin API's routes (what the sandbox's az and the live view call), and a few it does not have (any more). */
  const operations = fc
    .tuple(
      fc.oneof(
        weighted(
          4,
          fc.constantFrom<[string, string]>(
            ["GET", "/account"],
            ["GET", "/principals"],
            ["GET", "/role-assignments"],
            ["GET", "/audit"],
          ),
        ),
        weighted(
          2,
          apps.map((app): [string, string] => ["GET", `/webapps/${app}/environment`]),
        ),
        weighted(3, fc.constant<[string, string]>(["POST", "/developer-token"])),
        weighted(1, fc.constant<[string, string]>(["POST", "/reset"])),
        weighted(
          1,
          fc
            .tuple(
              fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
              fc.constantFrom(
                "/unknown",
                "",
                "/account/x",
                "/role-assignments",
                "/function-keys/default",
                "/webapps/keyless-step-03/appsettings",
              ),
            )
            .map(([m, p]): [string, string] => [m, p]),
        ),
      ),
      filter,
    )
    .map(([[m, p], q]): readonly [string, string] => [m, `/_sandbox${p}${q}`]);
  const scopes = [
    sandbox.scopes.vault,
    sandbox.scopes.resourceGroup,
    sandbox.scopes.subscription,
    sandbox.scopes.queue("code-requests"),
    `${sandbox.scopes.vault}/secrets/x`,
  ];
  const field = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof(weighted(6, valid), weighted(1, fc.jsonValue({ maxDepth: 2 })), weighted(1, fc.string({ maxLength: 20 })));
  const body = fc
    .record(
      {
        assignee: field(fc.constantFrom(...principals)),
        role: field(
          fc.constantFrom(
            "Key Vault Secrets User",
            "Key Vault Administrator",
            "Storage Queue Data Message Sender",
            "Reader",
            "Owner",
            "4633458b-17de-408a-b874-0445c86b69e6",
          ),
        ),
        scope: field(fc.constantFrom(...scopes, "/", "/subscriptions/other")),
        id: field(fc.string({ maxLength: 10 })),
        resource: field(
          fc.constantFrom(
            VAULT_RESOURCE,
            STORAGE_RESOURCE,
            `${VAULT_RESOURCE}/.default`,
            "https://graph.microsoft.com",
          ),
        ),
        tenant: field(fc.constantFrom(sandbox.tenant.tenant.id, sandbox.tenant.tenant.alias, "other")),
        value: field(fc.oneof(fc.string({ minLength: 16, maxLength: 40 }), fc.string({ maxLength: 15 }))),
      },
      { requiredKeys: [] },
    )
    .map((value) => utf8(JSON.stringify(value)));
  return {
    name: "Resource Manager (admin API)",
    endpoint: { port, tls: { servername: "localhost" } },
    requests: httpRequest({
      methods: ["GET"],
      targets: fc.constant("/_sandbox/account"),
      operations,
      queryNames: ["assignee", "role", "scope", "id", "resource", "tenant"],
      host: `localhost:${port}`,
      ...credentials(
        "x-keyless-admin-key",
        fc.constant(key),
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom(`${key} `, key.toUpperCase(), key.slice(1), `${key}${key}`),
          fc.integer({ min: 1000, max: 70_000 }).map((n) => "k".repeat(n)),
        ),
      ),
      bodies: fc.oneof(weighted(6, body), weighted(1, fc.constant(undefined))),
      contentType: "application/json",
    }),
    shape: armShape,
    no5xx: true,
    // An app's environment holds its identity's header or its client secret: the admin API shows it to the key's
    // holder. Express routes without strict slashes, so `/environment/` is the same resource as `/environment`.
    mayDisclose: (answer, request) =>
      answer.status < 300 && /^\/_sandbox\/webapps\/[^/]+\/environment\/?$/i.test(pathOf(request)),
    state: () => world.fullState({ functionKeys: true }),
    knownGood: () =>
      expectStatus(
        fetch(`${url}/account`, { headers: { "x-keyless-admin-key": key } }),
        200,
        "the admin API's account",
      ),
  };
}

/** Resource Manager's own API, what the real Azure CLI calls: the cloud's metadata, tenants, subscriptions, resource groups. */
export async function resourceManagerApiSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const url = new URL(sandbox.endpoints.admin.url).origin;
  const port = portOf(url);
  const learner = sandbox.directory.users[0]?.objectId ?? "";
  const token = await sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: learner });
  const slashed = await sandbox.tokens.issue({ audience: `${MANAGEMENT_RESOURCE}/`, objectId: learner });
  const forged = await forgedTokens(sandbox, MANAGEMENT_RESOURCE, VAULT_RESOURCE, learner);
  const { id: subscription } = sandbox.tenant.subscription;
  const group = sandbox.tenant.deployment.resourceGroup;
  const apiVersion = fc.oneof(
    weighted(8, fc.constantFrom("2022-12-01", "2021-04-01", "2020-01-01", "2024-03-01-preview")),
    weighted(1, fc.constantFrom("", "2015-01-01", "1.0", "latest", "2022-12-01&api-version=2021-04-01", "2022-13-45x")),
  );
  const subscriptionId = fc.oneof(
    weighted(6, fc.constant(subscription)),
    weighted(1, fc.oneof(uuid, fc.constantFrom(subscription.toUpperCase(), "", "%00"))),
  );
  const groupName = fc.oneof(
    weighted(6, fc.constantFrom(group, group.toUpperCase())),
    weighted(1, fc.string({ maxLength: 12 }).map(encodeURIComponent)),
  );
  /** The paths a request may name; writes never name the workshop's own group (deleting it is a 2xx that ends the run's world). */
  const pathIn = (groups: fc.Arbitrary<string>) =>
    fc.oneof(
      fc.constantFrom("/tenants", "/subscriptions"),
      subscriptionId.map((id) => `/subscriptions/${id}`),
      subscriptionId.map((id) => `/subscriptions/${id}/resourcegroups`),
      fc.tuple(subscriptionId, groups).map(([id, name]) => `/subscriptions/${id}/resourceGroups/${name}`),
      fc
        .tuple(subscriptionId, groups)
        .map(
          ([id, name]) =>
            `/subscriptions/${id}/resourceGroups/${name}/providers/Microsoft.KeyVault/vaults/${sandbox.world.keyVault}`,
        ),
      fc.constantFrom("/providers", "/subscriptions/x/y/z", "//subscriptions"),
    );
  const path = pathIn(groupName);
  const otherGroup = fc
    .oneof(fc.constantFrom("lesson-rg", "other-rg"), fc.string({ maxLength: 12 }).map(encodeURIComponent))
    .filter((name) => name.toLowerCase() !== group.toLowerCase());
  // The third party's function keys, through Resource Manager (`az functionapp function keys …`).
  const functionPath = `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Web/sites/${THIRD_PARTY_APP}/functions/${THIRD_PARTY_FUNCTION}`;
  const keyName = fc.oneof(
    fc.constantFrom("default", "key2", "rotated", "__proto__", "constructor", "toString", "%00", "%zz", "a%2Fb"),
    fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent),
  );
  const functionKeys = fc.oneof(
    fc
      .tuple(fc.constantFrom("PUT", "DELETE", "GET"), keyName)
      .map(([method, name]): [string, string] => [method, `${functionPath}/keys/${name}`]),
    fc.constant<[string, string]>(["POST", `${functionPath}/listkeys`]),
    fc.constant<[string, string]>(["POST", `${functionPath.replace(THIRD_PARTY_FUNCTION, "Nope")}/listkeys`]),
  );
  const operations = fc.oneof(
    weighted(
      1,
      fc
        .constantFrom("", "2015-01-01", "2022-09-01", "1.0", "x")
        .map((version): readonly [string, string] => [
          "GET",
          `/metadata/endpoints${version ? `?api-version=${version}` : ""}`,
        ]),
    ),
    weighted(
      6,
      fc
        .tuple(path, apiVersion)
        .map(([p, version]): readonly [string, string] => ["GET", `${p}?api-version=${version}`]),
    ),
    weighted(
      1,
      fc
        .tuple(fc.constantFrom("PUT", "POST", "DELETE", "PATCH"), pathIn(otherGroup), apiVersion)
        .map(([m, p, version]): readonly [string, string] => [m, `${p}?api-version=${version}`]),
    ),
    weighted(
      2,
      fc
        .tuple(functionKeys, apiVersion)
        .map(([[m, p], version]): readonly [string, string] => [m, `${p}?api-version=${version}`]),
    ),
  );
  return {
    name: "Resource Manager (ARM API)",
    endpoint: { port, tls: { servername: "localhost" } },
    requests: httpRequest({
      methods: ["GET"],
      targets: fc.constant("/subscriptions?api-version=2022-12-01"),
      operations,
      queryNames: ["api-version", "$filter", "$top"],
      host: `localhost:${port}`,
      ...credentials(
        "Authorization",
        fc.oneof(weighted(4, fc.constant(`Bearer ${token}`)), weighted(1, fc.constant(`Bearer ${slashed}`))),
        badAuthorization(token, forged),
      ),
      bodies: fc.oneof(
        weighted(
          1,
          fc.jsonValue({ maxDepth: 3 }).map((value) => utf8(JSON.stringify(value))),
        ),
        weighted(
          1,
          fc
            .oneof(fc.string({ minLength: 16, maxLength: 40 }), fc.string({ maxLength: 15 }), fc.constant(undefined))
            .map((value) => utf8(JSON.stringify({ properties: { value } }))),
        ),
        weighted(3, fc.constant(undefined)),
      ),
      contentType: "application/json",
    }),
    shape: azureErrorShape,
    no5xx: true,
    // A function's keys are what `listkeys` returns, and a key set answers with its value: to the Owner who asked.
    mayDisclose: (answer, request) =>
      answer.status < 300 && /\/functions\/[^/]+\/(listkeys|keys\/[^/]+)\/?$/i.test(pathOf(request)),
    state: () => world.fullState({ functionKeys: true }),
    knownGood: () =>
      expectStatus(
        fetch(`${url}/subscriptions?api-version=2022-12-01`, { headers: { authorization: `Bearer ${token}` } }),
        200,
        "Resource Manager's subscriptions",
      ),
  };
}

// ---------------------------------------------------------------- the third party

export function thirdPartySurface(world: World): Surface {
  const { sandbox } = world;
  const port = portOf(sandbox.endpoints.thirdPartyApi);
  // Served over HTTPS at its function app's host name, as Azure Functions is.
  const hostname = new URL(sandbox.endpoints.thirdPartyApi).hostname;
  const key = () => sandbox.thirdParty.keys()[0] ?? "";
  const validKey = fc.constant(null).map(() => key());
  const path = fc.oneof(
    weighted(8, fc.constantFrom(RANDOM_NUMBER_PATH, RANDOM_NUMBER_PATH.toLowerCase(), `${RANDOM_NUMBER_PATH}/`)),
    weighted(1, fc.constantFrom("/", "/api", "/admin/functions", "/api/RandomNumber/x")),
  );
  const code = fc.oneof(
    weighted(4, fc.constant("")),
    weighted(
      1,
      fc.oneof(validKey, fc.string({ maxLength: 20 })).map((value) => `?code=${encodeURIComponent(value)}`),
    ),
    weighted(
      1,
      validKey.map((value) => `?code=${encodeURIComponent(value)}&code=x`),
    ),
  );
  return {
    name: "third-party API",
    endpoint: { port, tls: { servername: hostname } },
    requests: httpRequest({
      methods: ["GET", "GET", "POST", "PUT"],
      targets: fc.tuple(path, code).map(([p, c]) => `${p}${c}`),
      queryNames: ["code", "value"],
      host: `${hostname}:${port}`,
      ...credentials(
        "x-functions-key",
        validKey,
        fc.oneof(
          fc.string({ maxLength: 40 }),
          validKey.map((value) => `${value} `),
          validKey.map((value) => value.slice(1)),
          fc.integer({ min: 1000, max: 70_000 }).map((n) => "k".repeat(n)),
        ),
      ),
      bodies: fc.constant(undefined),
      contentType: "application/json",
    }),
    shape: emptyBodyShape,
    no5xx: true,
    state: () => world.state(),
    knownGood: () =>
      expectStatus(
        fetch(sandbox.endpoints.thirdPartyApi, { headers: { "x-functions-key": key() } }),
        200,
        "the third party",
      ),
  };
}

// ---------------------------------------------------------------- the launcher's control server

/** The control server answers every refusal and failure with {"error"} (an answer to HEAD has no body). */
const controlShape: Shape = (answer, request) =>
  String(request.method).toUpperCase() === "HEAD" && answer.body.length === 0 ? [] : jsonErrorShape(answer, request);
const jsonErrorShape: Shape = (answer) => {
  try {
    const body = JSON.parse(text(answer)) as unknown;
    return typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string"
      ? []
      : [`not {"error"}: ${text(answer).slice(0, 120)}`];
  } catch {
    return [`neither empty nor JSON: ${JSON.stringify(text(answer).slice(0, 120))}`];
  }
};

export interface ControlServer {
  readonly url: string;
  readonly token: string;
}

export function controlSurface(world: World, control: ControlServer): Surface {
  const port = portOf(control.url);
  const steps = fc.constantFrom("01", "02", "03", "04", "05", "1", "../01", "%30%31");
  const route = fc.oneof(
    weighted(
      8,
      fc.constantFrom(
        "GET /ping",
        "GET /third-party/keys",
        "PUT /third-party/keys",
        "PUT /third-party/fault",
        "POST /third-party/stop",
        "POST /third-party/start",
        "POST /reset",
        "GET /queue/count",
        "GET /secrets",
      ),
    ),
    weighted(
      2,
      fc
        .tuple(fc.constantFrom("GET /logs/", "POST /steps/"), steps)
        .map(([prefix, step]) => `${prefix}${step}${prefix.startsWith("POST") ? "/restart" : ""}`),
    ),
    weighted(
      1,
      fc.constantFrom("GET /", "DELETE /reset", "GET /ping?x=1", "GET /PING", "GET /ping/", "PUT /third-party/keys/"),
    ),
  );
  const fault = fc.oneof(
    fc.constant(null),
    fc.record({
      kind: fc.constant("status"),
      status: fc.oneof(
        fc.constantFrom(500, 503, 429, 401, 200),
        fc.integer({ min: -1, max: 1000 }),
        fc.constant("500"),
      ),
    }),
    fc.record({
      kind: fc.constant("delay"),
      ms: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constantFrom(-1, 2 ** 31, Number.MAX_SAFE_INTEGER, "10")),
    }),
    fc.record({ kind: fc.constant("body"), body: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('{"value":5}')) }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const keys = fc.oneof(
    fc.array(fc.string({ minLength: 16, maxLength: 40 }), { minLength: 1, maxLength: 3 }),
    fc.constant([]),
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ maxLength: 10 }),
  );
  const body = fc
    .oneof(fc.record({ keys }), fc.record({ fault }), fc.jsonValue({ maxDepth: 3 }))
    .map((value) => utf8(JSON.stringify(value)));
  const parts = fc.tuple(route).map(([r]) => r.split(" ") as [string, string]);
  const requests = parts.chain(([verb, path]) =>
    httpRequest({
      methods: [verb],
      targets: fc.constant(path),
      queryNames: ["x"],
      host: `127.0.0.1:${port}`,
      ...credentials(
        "Authorization",
        fc.constant(`Bearer ${control.token}`),
        fc.oneof(
          fc.string({ maxLength: 40 }).map((t) => `Bearer ${t}`),
          fc.constantFrom(
            `bearer ${control.token}`,
            `Bearer ${control.token} `,
            `Bearer ${control.token.slice(1)}`,
            control.token,
            "Bearer",
          ),
        ),
      ),
      bodies: fc.oneof(weighted(3, body), weighted(1, fc.constant(undefined))),
      contentType: "application/json",
    }),
  );
  return {
    name: "launcher control server",
    endpoint: { port },
    requests,
    shape: controlShape,
    // Node answers what it cannot parse and destroys the connection: for a large request, the reset loses the answer.
    shapeExempt: resetByNodesDefault,
    // The keys and the launcher's secrets, to the token's holder: what those two routes are for.
    mayDisclose: (_answer, request) =>
      ["/third-party/keys", "/secrets"].includes(pathOf(request).replace(/(.)\/$/, "$1")),
    state: () => world.fullState({ functionKeys: true }),
    knownGood: () =>
      expectStatus(
        fetch(`${control.url}/ping`, { headers: { authorization: `Bearer ${control.token}` } }),
        200,
        "the control server's ping",
      ),
  };
}

/** What the control server may read from the launcher, recorded: a refused request must not restart a step. */
export function stubLauncher(world: World) {
  const calls: string[] = [];
  world.addState("launcher", () => [...calls]);
  return {
    calls,
    view: {
      logs: (step: string) => `step ${step} logs`,
      secrets: () => world.secrets(),
      restart: async (step: string) => {
        calls.push(`restart ${step}`);
        return { url: "http://localhost:1" };
      },
    },
  };
}
