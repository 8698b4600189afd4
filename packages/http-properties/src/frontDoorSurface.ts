/**
 * App Service's front ends (packages/sandbox/src/providers/web/frontDoor.ts):
 * `https://<site>.azurewebsites.localhost:<port>` for a site's code, and its
 * SCM site for zip deployments. A site of the run's own runs a small package,
 * deployed at setup; requests name it, sites that run no code, sites that do
 * not exist and odd Host headers, and send the SCM site garbage and nearly
 * valid zips, with no token, a wrong one, one without the publish role, or
 * basic auth. A refused deployment changes nothing: the site keeps answering
 * with its code (the known-good check).
 */
import fc from "fast-check";
import { zipSync } from "fflate";
import { MANAGEMENT_RESOURCE, VAULT_RESOURCE } from "@keyless/sandbox";
import { badAuthorization, httpRequest, weighted, type Header } from "./arbitraries.ts";
import { envelopeOf } from "./armResources.ts";
import type { Shape } from "./checks.ts";
import type { Surface } from "./harness.ts";
import { text } from "./raw.ts";
import { forgedTokens, type World } from "./world.ts";

const HOST_SUFFIX = "azurewebsites.localhost";
/** The site the run deploys to (and may deploy to again): never one of the workshop's. */
export const FUZZ_SITE = "keyless-fuzz-site";
/** The workshop's sites the requests name too; a fuzzed zip deployment may put the fuzz site's code on them. */
const WORKSHOP_SITES = ["keyless-step-01", "keyless-step-03", "keyless-third-party"];
const GREETING = "hello from the fuzz site";

const encode = (value: string) => new TextEncoder().encode(value);
const manifest = (start: unknown) => encode(JSON.stringify({ name: "fuzz-site", scripts: { start } }));
/** The smallest app App Service starts: `node src/server.ts`, printing where it listens. */
const SERVER = `import { createServer } from "node:http";
const server = createServer((_req, res) => res.end(${JSON.stringify(GREETING)}));
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(\`listening on http://127.0.0.1:\${server.address().port}\`);
});
`;
const validPackage = () => zipSync({ "package.json": manifest("node src/server.ts"), "src/server.ts": encode(SERVER) });

/** Zips App Service cannot start, some nearly right, and bytes that are no zip at all. */
const packages: fc.Arbitrary<Buffer> = fc
  .oneof(
    weighted(1, fc.constant(validPackage())),
    weighted(
      6,
      fc.constantFrom<Uint8Array>(
        zipSync({}),
        zipSync({ "readme.txt": encode("not an app") }),
        zipSync({ "package.json": encode("{") }),
        zipSync({ "package.json": encode("null") }),
        zipSync({ "package.json": encode('"node src/server.ts"') }),
        zipSync({ "package.json": encode('{"scripts": null}') }),
        zipSync({ "package.json": encode('{"scripts": {"start": {"toString": false}}}') }),
        zipSync({ "package.json": manifest("node src/server.ts") }),
        zipSync({ "package.json": manifest("node server.js"), "server.js": encode("") }),
        zipSync({ "package.json": manifest("node src/server.ts"), "src/server.ts/": new Uint8Array() }),
        zipSync({ "package.json": manifest("node src/server.ts"), "../src/server.ts": encode(SERVER) }),
        zipSync({ "package.json": manifest("node src/server.ts"), "/etc/server.ts": encode(SERVER) }),
        zipSync({ "app/package.json": manifest("node src/server.ts"), "app/src/server.ts": encode(SERVER) }),
        validPackage().subarray(0, 40),
        validPackage().subarray(30),
      ),
    ),
    weighted(
      2,
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
        // A valid package with one byte changed: its header, a name, the compressed data, its central directory.
        const zip = Buffer.from(validPackage());
        zip[at % zip.length] = byte;
        return zip;
      }),
    ),
    weighted(1, fc.uint8Array({ maxLength: 200 })),
  )
  .map((bytes) => Buffer.from(bytes));

/**
 * App Service's front ends answer in plain text, `<status> <reason>: <why>`; a deployment the SCM site refuses is
 * Kudu's status, JSON, with status 3 (Failed).
 */
const appServiceShape: Shape = (answer, request) => {
  if (String(request.method).toUpperCase() === "HEAD") return [];
  const body = text(answer);
  const type = answer.headers["content-type"]?.[0] ?? "";
  if (/^text\/plain/i.test(type) && body.startsWith(`${answer.status} `)) return [];
  if (/^application\/json/i.test(type)) {
    try {
      const status = JSON.parse(body) as { status?: unknown; message?: unknown };
      if (status.status === 3 && typeof status.message === "string") return [];
    } catch {
      // not JSON after all: below
    }
  }
  return [
    `neither App Service's "${answer.status} …" text nor Kudu's failed status: ${JSON.stringify(body.slice(0, 160))}`,
  ];
};

export async function frontDoorSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const siteUrl = sandbox.siteUrl(FUZZ_SITE);
  const port = Number(new URL(siteUrl).port);
  const learner = sandbox.directory.users[0]?.objectId ?? "";
  // Step 03's identity: a token for Resource Manager, but no role that may publish.
  const app = sandbox.directory.apps.get("keyless-step-03")?.objectId ?? "";
  const ownerToken = await sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: learner });
  const noPublishRole = await sandbox.tokens.issue({ audience: MANAGEMENT_RESOURCE, objectId: app });
  const forged = await forgedTokens(sandbox, MANAGEMENT_RESOURCE, VAULT_RESOURCE, learner);

  // The run's own site, beside the workshop's and like them, running the smallest app.
  const template = sandbox.arm.find(`${sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/keyless-step-01`);
  const { identity: _identity, ...envelope } = envelopeOf((template ?? {}) as unknown as Record<string, unknown>);
  sandbox.arm.put(`${sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/${FUZZ_SITE}`, envelope, undefined);
  const scmUrl = siteUrl.replace(`${FUZZ_SITE}.`, `${FUZZ_SITE}.scm.`);
  const deployed = await fetch(`${scmUrl}/api/publish?type=zip`, {
    method: "POST",
    headers: { authorization: `Bearer ${ownerToken}`, "content-type": "application/zip" },
    body: validPackage(),
  });
  if (deployed.status !== 200) throw new Error(`the fuzz site's package did not deploy: ${await deployed.text()}`);

  const sites = fc.oneof(
    weighted(4, fc.constant(FUZZ_SITE)),
    weighted(2, fc.constantFrom(...WORKSHOP_SITES)),
    weighted(1, fc.constantFrom("nope", FUZZ_SITE.toUpperCase(), "keyless-step-01.scm", "", "-", "a".repeat(70))),
  );
  const oddHost = fc.constantFrom(
    HOST_SUFFIX,
    `.${HOST_SUFFIX}`,
    `${FUZZ_SITE}.scm.scm.${HOST_SUFFIX}`,
    `${FUZZ_SITE}.${HOST_SUFFIX}.evil.example`,
    `${FUZZ_SITE}.azurewebsites.net`,
    "localhost",
    "127.0.0.1",
    `${FUZZ_SITE}.${HOST_SUFFIX}:`,
    `${FUZZ_SITE}.${HOST_SUFFIX}:99999`,
    `[::1]:${port}`,
    `${FUZZ_SITE}.${HOST_SUFFIX}\u00e9`,
  );
  /** Who deploys: the Owner, a token without the publish role, basic auth, or none of them right. */
  const who = fc.oneof(
    weighted(4, fc.constant<Header[]>([["Authorization", `Bearer ${ownerToken}`]])),
    weighted(2, fc.constant<Header[]>([["Authorization", `Bearer ${noPublishRole}`]])),
    weighted(
      1,
      fc.constantFrom<Header[]>(
        [["Authorization", `Basic ${Buffer.from(`$${FUZZ_SITE}:password`).toString("base64")}`]],
        [["Authorization", "Basic"]],
        [["Authorization", "Basic !!!"]],
      ),
    ),
  );
  const scmRoute = fc.oneof(
    weighted(6, fc.constantFrom("POST /api/publish?type=zip", "POST /api/zipdeploy")),
    weighted(2, fc.constantFrom("GET /api/deployments", "GET /api/deployments/latest")),
    weighted(
      1,
      fc.constantFrom(
        "POST /api/publish?type=war",
        "POST /api/publish",
        "POST /api/publish?type=zip&type=war",
        "PUT /api/zipdeploy",
        "GET /api/nope",
        "POST /API/ZIPDEPLOY/",
        "GET /api/vfs/site/wwwroot/",
      ),
    ),
  );
  /** An operation: the Host it names, the method and target, whether it goes to the SCM site. */
  const operation = fc.oneof(
    weighted(
      3,
      fc
        .tuple(sites, fc.constantFrom("GET /", "GET /api/v1/getcode", "POST /x?y=1", "PUT /", "DELETE /a/b"))
        .map(([site, route]) => ({ host: `${site}.${HOST_SUFFIX}:${port}`, route, scm: false })),
    ),
    weighted(
      5,
      fc
        .tuple(sites, scmRoute)
        .map(([site, route]) => ({ host: `${site}.scm.${HOST_SUFFIX}:${port}`, route, scm: true })),
    ),
    weighted(
      1,
      fc
        .tuple(oddHost, fc.constantFrom("GET /", "POST /api/zipdeploy"))
        .map(([host, route]) => ({ host, route, scm: true })),
    ),
  );
  const requests = operation.chain(({ host, route, scm }) => {
    const [method = "GET", target = "/"] = route.split(" ");
    return httpRequest({
      methods: [method],
      targets: fc.constant(target),
      queryNames: ["type", "isAsync", "restart"],
      host,
      credentials: scm ? who : fc.constant<Header[]>([]),
      badCredentials: badAuthorization(ownerToken, forged).map((value): Header[] => [["Authorization", value]]),
      bodies: method === "POST" || method === "PUT" ? packages : fc.constant(undefined),
      contentType: "application/zip",
    });
  });
  return {
    name: "App Service front ends",
    endpoint: { port, tls: { servername: `${FUZZ_SITE}.${HOST_SUFFIX}` } },
    requests,
    shape: appServiceShape,
    no5xx: false,
    // The site's own code answers what it answers (its Node's bare 431 too); the front ends' own answers are checked.
    // A fuzzed deployment can put that code on a workshop's site as well: there, only Node's bare 431 (a request line
    // or headers over its 16 KB) is exempt, as the front ends never answer without a body. The front ends pick the
    // site by the Host header's name alone, whatever port it names, as the request reaches this port anyway: so
    // does this.
    shapeExempt: (outcome, request) => {
      const hosts = request.headers.filter(([name]) => String(name).toLowerCase() === "host");
      const hostName = String(hosts[0]?.[1] ?? "")
        .split(":")[0]
        ?.toLowerCase();
      if (hosts.length !== 1) return false;
      if (hostName === `${FUZZ_SITE}.${HOST_SUFFIX}`) return true;
      const bare431 = outcome.kind === "answered" && outcome.status === 431 && outcome.body.length === 0;
      return bare431 && WORKSHOP_SITES.some((site) => hostName === `${site}.${HOST_SUFFIX}`);
    },
    // Its 502 and 503 say a site's code did not answer or runs nowhere: App Service's own. A 500 is its failure.
    promises: (outcome) =>
      outcome.kind === "answered" && outcome.status === 500 ? ["a 500: the front end failed on this request"] : [],
    state: () => world.fullState(),
    // A refused deployment changes nothing: the site still runs its code.
    async knownGood() {
      const answer = await fetch(`${siteUrl}/`);
      const body = await answer.text();
      if (answer.status !== 200 || body !== GREETING)
        throw new Error(
          `${FUZZ_SITE} answered ${answer.status} ${JSON.stringify(body.slice(0, 200))}, not its code's greeting`,
        );
    },
  };
}
