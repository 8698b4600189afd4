/**
 * Resource Manager's surface for resources by id, and its template
 * deployments: every resource type the sandbox registered, read from it
 * (src/armResources.ts), tried with GET, HEAD, PUT, PATCH, DELETE and its
 * POST actions, on ids that exist and ids that nearly do, and listed at every
 * parent with `$filter` and `$top`; deployments of the workshop's own
 * template, and of templates mutated in their strings and their structure.
 *
 * Authorized writes go to the scratch group's copies (or to ids that do not
 * exist): a run never deletes the workshop's own resources, which it writes
 * only as a caller without the role to.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { MANAGEMENT_RESOURCE, type Sandbox, VAULT_RESOURCE } from "@keyless/sandbox";
import { badAuthorization, httpRequest, utf8, weighted, type Header } from "./arbitraries.ts";
import {
  actionsOf,
  envelopeOf,
  type KnownResource,
  knownResources,
  scratchCopies,
  someOfEachType,
} from "./armResources.ts";
import { azureErrorShape } from "./checks.ts";
import { expectStatus, type Surface } from "./harness.ts";
import type { Outcome, RawRequest } from "./raw.ts";
import { credentials, pathOf } from "./sandboxSurfaces.ts";
import { forgedTokens, REPO_ROOT, type World } from "./world.ts";

const portOf = (url: string) => Number(new URL(url).port);

/** Who calls: the learner (Owner of the subscription), or step 03's identity (no role on the control plane). */
interface Callers {
  readonly owner: { credentials: fc.Arbitrary<Header[]>; badCredentials: fc.Arbitrary<Header[]> };
  readonly reader: { credentials: fc.Arbitrary<Header[]>; badCredentials: fc.Arbitrary<Header[]> };
}

async function callersOf(world: World): Promise<Callers & { ownerToken: string }> {
  const { sandbox } = world;
  const learner = sandbox.directory.users[0]?.objectId ?? "";
  const app = sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "";
  const ownerToken = await sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: learner });
  const readerToken = await sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: app });
  const slashed = await sandbox.tokens.issue({ audience: `${MANAGEMENT_RESOURCE}/`, objectId: learner });
  // A write to the workshop's own resources goes with tokens that can only be refused: none of them is the Owner's.
  const forgedReader = await forgedTokens(sandbox, MANAGEMENT_RESOURCE, VAULT_RESOURCE, app);
  const forgedOwner = await forgedTokens(sandbox, MANAGEMENT_RESOURCE, VAULT_RESOURCE, learner);
  return {
    ownerToken,
    owner: credentials(
      "Authorization",
      fc.oneof(weighted(4, fc.constant(`Bearer ${ownerToken}`)), weighted(1, fc.constant(`Bearer ${slashed}`))),
      badAuthorization(ownerToken, forgedOwner),
    ),
    reader: credentials(
      "Authorization",
      fc.constant(`Bearer ${readerToken}`),
      badAuthorization(readerToken, forgedReader),
    ),
  };
}

/** An operation: a method on a path, who sends it, and the body it carries (if any). */
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly caller: keyof Callers;
  readonly body?: fc.Arbitrary<Buffer | undefined>;
}

const apiVersion = fc.oneof(
  weighted(8, fc.constantFrom("2023-01-01", "2022-09-01", "2021-04-01", "2024-04-01")),
  weighted(
    1,
    fc.constantFrom("", "2015-01-01", "latest", "2023-01-01&api-version=2021-04-01", "2023-13-45x", "%zz", "1.0"),
  ),
);
const filter = fc.oneof(
  weighted(3, fc.constant("")),
  weighted(
    2,
    fc
      .constantFrom(
        "resourceType eq 'Microsoft.Web/sites'",
        "name eq 'keyless-kv'",
        "resourceGroup eq 'keyless-rg'",
        "atScope()",
        "assignedTo('00000000-0000-0000-0000-000000000000')",
        "name eq 'a' and resourceType eq 'Microsoft.KeyVault/vaults'",
        "tagName eq 'a'",
        "name eq 'unterminated",
        "__proto__ eq 'x'",
        "substringof('a', name)",
        "",
      )
      .map((text) => `&$filter=${encodeURIComponent(text)}`),
  ),
  weighted(
    1,
    fc.string({ maxLength: 30 }).map((text) => `&$filter=${encodeURIComponent(text)}`),
  ),
);
const top = fc.oneof(
  weighted(4, fc.constant("")),
  weighted(
    1,
    fc
      .oneof(fc.integer({ min: -2, max: 1001 }).map(String), fc.constantFrom("", "1e3", "abc", "99999999999999999999"))
      .map((n) => `&$top=${n}`),
  ),
);

/** A body for a PUT or PATCH: the resource's own envelope, changed in one place, or anything at all. */
function resourceBody(envelope: Record<string, unknown>): fc.Arbitrary<Buffer | undefined> {
  const anything = fc.jsonValue({ maxDepth: 3 });
  const properties = (envelope["properties"] ?? {}) as Record<string, unknown>;
  const keys = Object.keys(properties);
  const changedProperty =
    keys.length === 0
      ? fc.constant(envelope)
      : fc
          .tuple(fc.constantFrom(...keys), fc.oneof(anything, fc.constant(undefined)))
          .map(([key, value]) => ({ ...envelope, properties: { ...properties, [key]: value } }));
  return fc
    .oneof(
      weighted(3, fc.constant(envelope)),
      weighted(3, changedProperty),
      weighted(
        2,
        fc
          .tuple(fc.constantFrom("location", "tags", "identity", "sku", "kind", "properties"), anything)
          .map(([key, value]) => ({ ...envelope, [key]: value })),
      ),
      weighted(1, anything),
    )
    .map((value) => utf8(JSON.stringify(value)));
}

/** Ids that nearly name a resource: the wrong case, a missing parent, an unknown type, another subscription. */
function nearMisses(resource: KnownResource, subscription: string): { id: string; sameResource: boolean }[] {
  const { id } = resource;
  const segments = id.split("/");
  const misses = [
    { id: id.toUpperCase(), sameResource: true },
    {
      id: id.replace(/\/resourceGroups\//, "/resourcegroups/").replace(/\/providers\//, "/PROVIDERS/"),
      sameResource: true,
    },
    { id: `${id}-nope`, sameResource: false },
    { id: id.replace(subscription, "00000000-0000-0000-0000-000000000000"), sameResource: false },
  ];
  // The type's last segment unknown (`Microsoft.Web/widgets/keyless-step-01`).
  if (segments.length >= 3)
    misses.push({ id: [...segments.slice(0, -2), "widgets", segments.at(-1)].join("/"), sameResource: false });
  // Its parent missing: a child resource under a parent of another name.
  if (resource.type.split("/").length > 2 && segments.length >= 4)
    misses.push({
      id: [...segments.slice(0, -3), `${segments.at(-3)}-missing`, ...segments.slice(-2)].join("/"),
      sameResource: false,
    });
  return misses.filter((miss) => miss.id !== id);
}

/** Where Resource Manager is reached: its port and the Host a client names. */
function endpointOf(sandbox: Sandbox) {
  const origin = new URL(sandbox.endpoints.admin.url).origin;
  return { origin, port: portOf(origin) };
}

/** Requests built per operation: each operation says who sends it, so that only the scratch group is written with a role. */
function requestsOf(operations: fc.Arbitrary<Operation>, callers: Callers, host: string) {
  return operations.chain(({ method, path, caller, body }) =>
    httpRequest({
      methods: [method],
      targets: fc.constant(path),
      queryNames: ["api-version", "$filter", "$top", "$skiptoken"],
      host,
      ...callers[caller],
      bodies: body ?? fc.constant(undefined),
      contentType: "application/json",
    }),
  );
}

// ---------------------------------------------------------------- resources by id

export async function armResourcesSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const { origin, port } = endpointOf(sandbox);
  const callers = await callersOf(world);
  const all = knownResources(sandbox);
  const workshop = someOfEachType(all, 2);
  const scratch = scratchCopies(sandbox, all);
  const subscription = sandbox.tenant.subscription.id;
  const envelope = (id: string) => {
    try {
      return envelopeOf((sandbox.arm.findAsDeployed(id) ?? {}) as unknown as Record<string, unknown>);
    } catch {
      return {};
    }
  };
  const withQuery = (path: string) =>
    fc.tuple(apiVersion, filter, top).map(([version, f, t]) => `${path}?api-version=${version}${f}${t}`);
  const op = (method: string, path: fc.Arbitrary<string>, caller: keyof Callers, body?: Record<string, unknown>) =>
    path.map((target): Operation => ({ method, path: target, caller, ...(body ? { body: resourceBody(body) } : {}) }));
  const actionPaths = (resource: KnownResource) => {
    const actions = [...actionsOf(sandbox, resource.type), "nope", "listKeys", "LIST"];
    return fc.constantFrom(...actions).map((action) => `${resource.id}/${action}`);
  };

  /** On the workshop's resources: read, list their actions' answers; written only by a caller without the role. */
  const onWorkshop = fc.constantFrom(...workshop).chain((resource) => {
    const body = envelope(resource.id);
    return fc.oneof(
      weighted(4, op("GET", withQuery(resource.id), "owner")),
      weighted(1, op("GET", withQuery(resource.id), "reader")),
      weighted(1, op("HEAD", withQuery(resource.id), "owner")),
      weighted(2, op("POST", actionPaths(resource).chain(withQuery), "owner")),
      weighted(
        2,
        fc
          .constantFrom("PUT", "PATCH", "DELETE")
          .chain((method) => op(method, withQuery(resource.id), "reader", method === "DELETE" ? undefined : body)),
      ),
    );
  });
  /** On the scratch group's copies: anything, as the Owner. */
  const onScratch = fc.constantFrom(...scratch).chain((resource) => {
    const body = envelope(resource.id);
    return fc.oneof(
      weighted(2, op("GET", withQuery(resource.id), "owner")),
      weighted(3, op("PUT", withQuery(resource.id), "owner", body)),
      weighted(2, op("PATCH", withQuery(resource.id), "owner", body)),
      weighted(1, op("DELETE", withQuery(resource.id), "owner")),
      weighted(1, op("POST", actionPaths(resource).chain(withQuery), "owner")),
    );
  });
  /** Near misses: read as the Owner; written as the Owner only where they cannot name a resource that exists. */
  const onNearMisses = fc.constantFrom(...workshop).chain((resource) => {
    const misses = nearMisses(resource, subscription);
    const body = envelope(resource.id);
    return fc.constantFrom(...misses).chain((miss) =>
      fc.oneof(
        weighted(2, op("GET", withQuery(miss.id), "owner")),
        fc
          .constantFrom("PUT", "PATCH", "DELETE", "POST")
          .chain((method) =>
            op(
              method,
              withQuery(method === "POST" ? `${miss.id}/list` : miss.id),
              miss.sameResource ? "reader" : "owner",
              method === "PUT" || method === "PATCH" ? body : undefined,
            ),
          ),
      ),
    );
  });
  /** Listings: each type at each parent it has, a group's and the subscription's resources. */
  const parents = someOfEachType(all, 1);
  const listing = fc.constantFrom(...parents).chain((parent) => {
    const childTypes = sandbox.arm.types.filter((type) => type.startsWith(`${parent.type}/`));
    const paths = [
      `${parent.id}/resources`,
      `${parent.id}/resourcegroups`,
      `${parent.id}/providers/Microsoft.Authorization/roleAssignments`,
      ...childTypes.map((type) => `${parent.id}/${type.split("/").at(-1)}`),
      ...sandbox.arm.types
        .filter((type) => type.split("/").length === 2)
        .map((type) => `${parent.id}/providers/${type}`),
    ];
    return op("GET", fc.constantFrom(...paths).chain(withQuery), "owner");
  });
  return {
    name: "Resource Manager (resources by id)",
    endpoint: { port, tls: { servername: "localhost" } },
    requests: requestsOf(
      fc.oneof(weighted(4, onWorkshop), weighted(3, onScratch), weighted(3, onNearMisses), weighted(2, listing)),
      callers,
      `localhost:${port}`,
    ),
    shape: azureErrorShape,
    no5xx: true,
    // A POST action's answer is what it lists (a site's settings, a function's keys); a key set, and settings written
    // (PUT or PATCH, Update Application Settings), answer with their values: to the Owner who wrote them, as on Azure.
    mayDisclose: (answer, request) => {
      const method = String(request.method).toUpperCase();
      const path = pathOf(request);
      return (
        answer.status < 300 &&
        (method === "POST" ||
          /\/functions\/[^/]+\/keys\/[^/]+\/?$/i.test(path) ||
          ((method === "PUT" || method === "PATCH") && /\/config\/appsettings\/?$/i.test(path)))
      );
    },
    state: () => world.fullState({ functionKeys: true }),
    knownGood: () =>
      expectStatus(
        fetch(`${origin}${sandbox.scopes.vault}?api-version=2023-07-01`, {
          headers: { authorization: `Bearer ${callers.ownerToken}` },
        }),
        200,
        "Resource Manager's GET of the workshop's vault",
      ),
  };
}

// ---------------------------------------------------------------- deployments

/** What every generated secure parameter value looks like: found again in an answer or a log, it leaked. */
const SECURE_VALUE = /Sec-[A-Za-z0-9]{24}/g;
const secureValue = fc.stringMatching(/^[A-Za-z0-9]{24}$/).map((value) => `Sec-${value}`);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path in a JSON value, to the leaves and the nodes (up to `limit`). */
function pathsIn(value: Json, limit = 4000): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const walk = (node: Json, path: (string | number)[]) => {
    if (paths.length >= limit) return;
    paths.push(path);
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) walk(item, [...path, index]);
    } else if (node !== null && typeof node === "object")
      for (const [key, item] of Object.entries(node)) walk(item, [...path, key]);
  };
  walk(value, []);
  return paths;
}

/** A copy of `value` with what is at `path` replaced (undefined: removed). */
function replaceAt(value: Json, path: readonly (string | number)[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) {
    const copy = [...value];
    if (replacement === undefined && rest.length === 0) copy.splice(Number(head), 1);
    else copy[Number(head)] = replaceAt(copy[Number(head)] ?? null, rest, replacement);
    return copy;
  }
  const copy = { ...(value as Record<string, Json>) };
  if (replacement === undefined && rest.length === 0) delete copy[head];
  else copy[head] = replaceAt(copy[head] ?? null, rest, replacement);
  return copy;
}

/** Template expressions a template engine must refuse (or evaluate) without failing itself. */
const expression = fc.oneof(
  fc.constantFrom(
    "[nope()]",
    "[concat(",
    "[parameters('missing')]",
    "[parameters(1)]",
    "[variables('nope')]",
    "[reference('nope').x]",
    "[resourceId()]",
    "[listKeys('x', '2020-01-01').keys[0]]",
    "[length(parameters('location'))]",
    "[json('{')]",
    "[int('x')]",
    "[div(1, 0)]",
    "[range(0, 100000)]",
    "[string(parameters('step02ClientSecret'))]",
    "[format('{0}{1}', 'a')]",
    "[[escaped]",
    "[",
    "[]",
    "[parameters('location').toString]",
    "[createObject('__proto__', 1)]",
    "[union(createObject('a', 1), 'x')]",
    "[skip('abc', -1)]",
    "[guid()]",
    "[environment().constructor]",
    `[${"concat(".repeat(200)}'a'${")".repeat(200)}]`,
  ),
  fc.string({ maxLength: 30 }).map((text) => `[${text}]`),
  fc.string({ maxLength: 30 }),
);

export async function deploymentsSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const { origin, port } = endpointOf(sandbox);
  const callers = await callersOf(world);
  const template = JSON.parse(readFileSync(join(REPO_ROOT, "infra/main.json"), "utf8")) as Json;
  const parameterFile = JSON.parse(readFileSync(join(REPO_ROOT, "infra/sandbox.parameters.json"), "utf8")) as {
    parameters: Record<string, Json>;
  };
  const issuerUrl = sandbox.endpoints.identityHosts.clusterIssuer;
  const paths = pathsIn(template);
  const group = sandbox.scopes.resourceGroup;
  const deployments = `${group}/providers/Microsoft.Resources/deployments`;

  /** The template, mutated in one place or a few: strings, expressions, structure. */
  const mutation: fc.Arbitrary<(value: Json) => Json> = fc
    .tuple(
      fc.nat({ max: paths.length - 1 }),
      fc.oneof(
        weighted(3, expression),
        weighted(1, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>),
        weighted(1, fc.constant(undefined)),
        weighted(1, fc.constantFrom<Json>("securestring", "int", "array", "object", "bool", "SecureObject", "nope")),
      ),
    )
    .map(
      ([index, replacement]) =>
        (value: Json) =>
          replaceAt(value, paths[index] ?? [], replacement as Json | undefined),
    );
  /** A secure parameter of the run's own, used where a deployment could show it: a tag of the vault. */
  const withSecureParameter = (value: Json): Json => {
    const copy = structuredClone(value) as { parameters?: Record<string, Json>; resources?: Json[] };
    copy.parameters = { ...(copy.parameters ?? {}), fuzzSecret: { type: "securestring" } };
    const resources = Array.isArray(copy.resources) ? copy.resources : [];
    const vault = resources.find(
      (resource) => (resource as { type?: string } | null)?.type === "Microsoft.KeyVault/vaults",
    ) as { tags?: Json } | undefined;
    if (vault) vault.tags = { fuzz: "[parameters('fuzzSecret')]" };
    return copy as Json;
  };
  const templates = fc.oneof(
    weighted(3, fc.constant(template)),
    weighted(2, fc.constant(withSecureParameter(template))),
    weighted(
      5,
      fc
        .array(mutation, { minLength: 1, maxLength: 3 })
        .map((changes) => changes.reduce((t, change) => change(t), template)),
    ),
    weighted(1, fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>),
  );
  const parameters = fc
    .tuple(
      secureValue,
      secureValue,
      fc.oneof(
        weighted(6, fc.constant<string | undefined>(undefined)),
        weighted(1, fc.constantFrom("step02ClientId", "keyVaultName", "location", "step02ClientSecret")),
      ),
      fc.oneof(
        weighted(6, fc.constant<Json | undefined>(undefined)),
        weighted(1, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>),
      ),
    )
    .map(([secret, fuzzSecret, missing, wrong]) => {
      const given: Record<string, Json> = {
        ...parameterFile.parameters,
        step02ClientSecret: { value: wrong === undefined ? secret : { nested: secret, wrong } },
        fuzzSecret: { value: fuzzSecret },
        aksOidcIssuerUrl: { value: issuerUrl },
      };
      if (missing) delete given[missing];
      return given;
    });
  const body = fc
    .tuple(
      templates,
      parameters,
      fc.oneof(weighted(8, fc.constant("Incremental")), weighted(1, fc.constantFrom("Complete", "incremental", "", 5))),
    )
    .map(([t, p, mode]) => utf8(JSON.stringify({ properties: { mode, template: t, parameters: p } })));
  const name = fc.oneof(
    weighted(6, fc.constantFrom("fuzz-a", "fuzz-b", "keyless-sandbox")),
    weighted(1, fc.constantFrom("a".repeat(65), "bad name", "%2e%2e", "x/y", "__proto__")),
  );
  const version = fc.oneof(
    weighted(8, fc.constantFrom("2021-04-01", "2025-04-01", "2024-03-01")),
    weighted(1, fc.constantFrom("", "2015-01-01", "x")),
  );
  const deploymentOperation: fc.Arbitrary<Operation> = fc
    .tuple(
      name,
      version,
      // What reaches the template engine (a deployment, its validation, its what-if) most, then what reads it back.
      fc.oneof(
        weighted(4, fc.constant("PUT")),
        weighted(2, fc.constantFrom("validate", "whatIf")),
        weighted(1, fc.constantFrom("GET", "GET operations", "GET operationStatuses", "DELETE", "GET list")),
      ),
    )
    .map(([n, v, what]): Operation => {
      const at = `${deployments}/${n}`;
      switch (what) {
        case "PUT":
          return { method: "PUT", path: `${at}?api-version=${v}`, caller: "owner", body };
        case "validate":
        case "whatIf":
          return { method: "POST", path: `${at}/${what}?api-version=${v}`, caller: "owner", body };
        case "GET operations":
          return { method: "GET", path: `${at}/operations?api-version=${v}`, caller: "owner" };
        case "GET operationStatuses":
          return { method: "GET", path: `${at}/operationStatuses/08584?api-version=${v}`, caller: "owner" };
        case "DELETE":
          // The workshop's own deployment record stays: a write to it goes as a caller without the role.
          return {
            method: "DELETE",
            path: `${at}?api-version=${v}`,
            caller: n === "keyless-sandbox" ? "reader" : "owner",
          };
        case "GET list":
          return { method: "GET", path: `${deployments}?api-version=${v}`, caller: "owner" };
        default:
          return { method: "GET", path: `${at}?api-version=${v}`, caller: "owner" };
      }
    });
  // A deployment as a caller without a role (refused: nothing deployed), and the old road `{group}/deployments/…`.
  const refused: fc.Arbitrary<Operation> = fc
    .tuple(name, fc.constantFrom("PUT", "POST validate", "POST whatIf"))
    .map(([n, what]): Operation => {
      const [method = "PUT", action] = what.split(" ");
      return {
        method,
        path: `${deployments}/${n}${action ? `/${action}` : ""}?api-version=2021-04-01`,
        caller: "reader",
        body,
      };
    });
  const oldRoad = name.map(
    (n): Operation => ({
      method: "GET",
      path: `${group}/deployments/${n}/operations?api-version=2021-04-01`,
      caller: "owner",
    }),
  );

  /** Audit events recorded while a request was served: a secure value must be in none of them. */
  let recorded: string[] | undefined;
  sandbox.audit.subscribe((event) => recorded?.push(JSON.stringify(event)));
  return {
    name: "Resource Manager (deployments)",
    endpoint: { port, tls: { servername: "localhost" } },
    requests: requestsOf(
      fc.oneof(weighted(8, deploymentOperation), weighted(1, refused), weighted(1, oldRoad)),
      callers,
      `localhost:${port}`,
    ),
    shape: azureErrorShape,
    no5xx: true,
    beforeEach: () => {
      recorded = [];
    },
    /** A parameter marked secure never appears in an answer, the audit log or the Activity log. */
    promises: (outcome: Outcome, request: RawRequest) => {
      const sent = [...new Set((request.body?.toString("utf8") ?? "").match(SECURE_VALUE) ?? [])];
      // Every later answer, of every surface, is checked for them too (property 3).
      for (const value of sent) world.addSecret(value);
      const answer = outcome.kind === "answered" ? `${outcome.head}\r\n\r\n${outcome.body.toString("utf8")}` : "";
      const logged = (recorded ?? []).join("\n");
      recorded = undefined;
      return sent.flatMap((value) => [
        ...(answer.includes(value) ? [`the answer shows a secure parameter's value ${value.slice(0, 8)}…`] : []),
        ...(logged.includes(value)
          ? [`the audit or Activity log holds a secure parameter's value ${value.slice(0, 8)}…`]
          : []),
      ]);
    },
    state: () => world.fullState({ functionKeys: true }),
    knownGood: () =>
      expectStatus(
        fetch(`${origin}${deployments}/keyless-sandbox?api-version=2021-04-01`, {
          headers: { authorization: `Bearer ${callers.ownerToken}` },
        }),
        200,
        "the workshop's deployment",
      ),
  };
}
