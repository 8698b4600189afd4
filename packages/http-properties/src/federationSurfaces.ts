/**
 * The surfaces of workload identity federation with GitHub Actions: GitHub's
 * OIDC provider (the issuer's documents, a job's token request, the runner's
 * job registrations) and Microsoft Graph (app registrations and their
 * federated credentials). Most generated requests carry the right credentials
 * (the job's request token and the runner's key; a Graph token of the
 * developer) so that they reach the operations.
 */
import fc from "fast-check";
import { badAuthorization, httpRequest, utf8, weighted, type Header } from "./arbitraries.ts";
import { azureErrorShape, type Shape } from "./checks.ts";
import { expectStatus, type Surface } from "./harness.ts";
import { text } from "./raw.ts";
import { forgedTokens, type World } from "./world.ts";

const portOf = (url: string) => Number(new URL(url).port);

/** Both of GitHub's shapes carry a `message` (the Actions service's and the REST API's): what clients print. */
const gitHubShape: Shape = (answer, request) => {
  if (String(request.method).toUpperCase() === "HEAD") return [];
  try {
    const body = JSON.parse(text(answer)) as { message?: unknown };
    const problems: string[] = [];
    if (!/^application\/json/.test(answer.headers["content-type"]?.[0] ?? "")) problems.push("not application/json");
    if (typeof body.message !== "string" || body.message === "") problems.push('no "message" string');
    return problems;
  } catch {
    return [`not JSON: ${JSON.stringify(text(answer).slice(0, 120))}`];
  }
};

/** A workflow run's facts, as the runner registers a job, and ways to get them wrong. */
const runBody = fc.oneof(
  weighted(
    4,
    fc
      .record({
        repository: fc.constantFrom("octo-learner/keyless", "Octo/Repo", "a/b"),
        ref: fc.constantFrom("refs/heads/main", "refs/pull/1/merge", "refs/tags/v1", "main", "refs/heads/"),
        sha: fc.constantFrom("0123456789abcdef0123456789abcdef01234567", "abc"),
        eventName: fc.constantFrom("push", "pull_request", "PUSH", ""),
        workflow: fc.constantFrom("Deploy", ""),
        workflowPath: fc.constantFrom(".github/workflows/deploy.yml", "deploy.yml", "../x.yml"),
        actor: fc.constantFrom("octo", "a b"),
        runId: fc.constantFrom("1", "x", "-1"),
        environment: fc.option(fc.constantFrom("production", "", "a/b", "x".repeat(300)), { nil: undefined }),
      })
      .map((run) => utf8(JSON.stringify(run))),
  ),
  weighted(
    1,
    fc.jsonValue({ maxDepth: 3 }).map((value) => utf8(JSON.stringify(value))),
  ),
  weighted(1, fc.constant(undefined)),
);

export async function gitHubSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const { issuer, runner } = sandbox.endpoints.github;
  const port = portOf(issuer);
  // A job of the runner's, whose token request the generated requests make.
  const registered = await fetch(`${runner.url}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-keyless-runner-key": runner.key },
    body: JSON.stringify({
      repository: "octo-learner/keyless",
      ref: "refs/heads/main",
      sha: "0123456789abcdef0123456789abcdef01234567",
      eventName: "push",
      workflow: "Deploy",
      workflowPath: ".github/workflows/deploy.yml",
      actor: "octo-learner",
      runId: "1",
    }),
  });
  const job = (await registered.json()) as { planId: string; jobId: string; requestToken: string };
  world.addSecret(job.requestToken);
  const idTokenPath = (plan: string, jobId: string) =>
    `/_apis/distributedtask/hubs/Actions/plans/${plan}/jobs/${jobId}/idtoken`;
  const planOrOther = fc.oneof(
    weighted(6, fc.constant(job.planId)),
    weighted(1, fc.uuid()),
    weighted(1, fc.constantFrom("", "%00", "..")),
  );
  const audience = fc.oneof(
    weighted(4, fc.constantFrom("api%3A%2F%2FAzureADTokenExchange", "api://AzureADTokenExchange")),
    weighted(1, fc.constantFrom("", "a%20b", "x".repeat(700), "api://a&audience=b")),
  );
  const operations = fc.oneof(
    weighted(
      2,
      fc.constantFrom<readonly [string, string]>(
        ["GET", "/.well-known/openid-configuration"],
        ["GET", "/.well-known/jwks"],
      ),
    ),
    weighted(
      6,
      fc
        .tuple(planOrOther, fc.option(audience, { nil: undefined }), fc.constantFrom("2.0", "2.0", "1.0", ""))
        .map(([plan, aud, version]): readonly [string, string] => [
          "GET",
          `${idTokenPath(plan, job.jobId)}?api-version=${version}${aud === undefined ? "" : `&audience=${aud}`}`,
        ]),
    ),
    weighted(2, fc.constant<readonly [string, string]>(["POST", "/_runner/jobs"])),
    weighted(
      1,
      fc
        .oneof(fc.uuid(), fc.constantFrom("", "x"))
        .map((plan): readonly [string, string] => ["DELETE", `/_runner/jobs/${plan}`]),
    ),
    weighted(
      1,
      fc.constantFrom<readonly [string, string]>(["GET", "/"], ["PUT", "/_runner/jobs"], ["POST", "/.well-known/jwks"]),
    ),
  );
  const valid: Header[] = [
    ["Authorization", `bearer ${job.requestToken}`],
    ["x-keyless-runner-key", runner.key],
  ];
  return {
    name: "GitHub Actions' OIDC provider",
    endpoint: { port, tls: { servername: "localhost" } },
    requests: httpRequest({
      methods: ["GET"],
      targets: fc.constant("/.well-known/jwks"),
      operations,
      queryNames: ["api-version", "audience"],
      host: `localhost:${port}`,
      credentials: fc.constant(valid),
      badCredentials: fc.oneof(
        fc.constant<Header[]>([]),
        fc.constant<Header[]>([["Authorization", `Bearer ${job.requestToken}x`]]),
        fc.constant<Header[]>([["x-keyless-runner-key", `${runner.key}x`]]),
        fc.string({ maxLength: 40 }).map((value): Header[] => [["Authorization", `bearer ${value}`]]),
        fc.constant<Header[]>([...valid, ["Authorization", "bearer other"]]),
      ),
      bodies: runBody,
      contentType: "application/json",
    }),
    shape: gitHubShape,
    no5xx: true,
    state: () => world.state(),
    knownGood: () => expectStatus(fetch(`${issuer}/.well-known/jwks`), 200, "GitHub's JWKS"),
  };
}

export async function graphSurface(world: World): Promise<Surface> {
  const { sandbox } = world;
  const graph = sandbox.endpoints.graph;
  const port = portOf(graph);
  const learner = sandbox.directory.users[0]?.objectId ?? "";
  const token = await sandbox.tokens.issue({ audience: graph, objectId: learner });
  const principal = sandbox.directory.servicePrincipals[0]?.objectId ?? "";
  const forged = [
    ...(await forgedTokens(sandbox, graph, "https://vault.localhost", learner)),
    // A service principal's token: Graph gives it no permission.
    await sandbox.tokens.issue({ audience: graph, objectId: principal }),
  ];
  // One application of the learner's, with a credential, for the operations to find.
  const { registrations } = sandbox.directory;
  const made = registrations.create("fuzz-deployer");
  registrations.createServicePrincipal(made.appId);
  registrations.addFederatedCredential(made.id, {
    name: "fuzz-main",
    issuer: sandbox.endpoints.github.issuer,
    subject: "repo:o/r:ref:refs/heads/main",
    audiences: ["api://AzureADTokenExchange"],
  });
  world.addState("applications", () =>
    registrations.list().map((application) => ({
      ...application,
      servicePrincipal: registrations.servicePrincipalOf(application.appId) ?? null,
      credentials: registrations.federatedCredentials(application.id),
    })),
  );
  const seeded = registrations.list()[0]?.id ?? "";
  const appId = fc.oneof(
    weighted(6, fc.constantFrom(made.id, seeded)),
    weighted(1, fc.uuid()),
    weighted(1, fc.constantFrom("", "%00", made.appId)),
  );
  const credential = fc.oneof(
    weighted(4, fc.constantFrom("fuzz-main", "FUZZ-MAIN")),
    weighted(1, fc.uuid()),
    weighted(1, fc.constantFrom("", "%2e%2e")),
  );
  const filter = fc.oneof(
    fc.constantFrom(
      `appId eq '${made.appId}'`,
      "displayName eq 'fuzz-deployer'",
      "startswith(displayName,'fuzz')",
      "identifierUris/any(s:s eq 'api://x')",
      "servicePrincipalNames/any(c:c eq 'x')",
      "appId eq 'it''s'",
    ),
    fc.string({ maxLength: 30 }),
  );
  const query = fc.option(
    filter.map((value) => `?$filter=${encodeURIComponent(value)}`),
    { nil: "" },
  );
  const operations = fc.oneof(
    weighted(
      2,
      fc
        .tuple(fc.constantFrom("GET", "POST"), query)
        .map(([m, q]): readonly [string, string] => [m, `/v1.0/applications${q}`]),
    ),
    weighted(
      2,
      fc
        .tuple(fc.constantFrom("GET", "DELETE"), appId)
        .map(([m, id]): readonly [string, string] => [m, `/v1.0/applications/${id}`]),
    ),
    weighted(
      4,
      fc
        .tuple(fc.constantFrom("GET", "POST"), appId)
        .map(([m, id]): readonly [string, string] => [m, `/v1.0/applications/${id}/federatedIdentityCredentials`]),
    ),
    weighted(
      2,
      fc
        .tuple(fc.constantFrom("GET", "DELETE"), appId, credential)
        .map(([m, id, c]): readonly [string, string] => [
          m,
          `/v1.0/applications/${id}/federatedIdentityCredentials/${c}`,
        ]),
    ),
    weighted(
      2,
      fc
        .tuple(fc.constantFrom("GET", "POST"), query)
        .map(([m, q]): readonly [string, string] => [m, `/v1.0/servicePrincipals${q}`]),
    ),
    weighted(
      1,
      fc.constantFrom<readonly [string, string]>(
        ["GET", "/v1.0/me"],
        ["PATCH", "/v1.0/applications"],
        ["GET", "/beta/applications"],
      ),
    ),
  );
  const credentialBody = fc.record(
    {
      name: fc.oneof(fc.constantFrom("fuzz-main", "fuzz-pr", "x", "a b", ""), fc.string({ maxLength: 130 })),
      issuer: fc.constantFrom(sandbox.endpoints.github.issuer, "http://x", " https://x", "not a url", ""),
      subject: fc.constantFrom("repo:o/r:ref:refs/heads/main", "repo:o/r:pull_request", "", " s", "*"),
      audiences: fc.constantFrom(["api://AzureADTokenExchange"], [], ["a", "b"], "api://AzureADTokenExchange", [""]),
      description: fc.constantFrom(null, "d", "x".repeat(700), 1),
      extra: fc.constantFrom("x"),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    weighted(
      3,
      credentialBody.map((value) => utf8(JSON.stringify(value))),
    ),
    weighted(
      2,
      fc
        .oneof(
          fc.record({
            displayName: fc.oneof(fc.constantFrom("fuzz-new", "", "x".repeat(300)), fc.string({ maxLength: 20 })),
          }),
          fc.record({ appId: fc.oneof(fc.constantFrom(made.appId), fc.uuid(), fc.constant(1)) }),
        )
        .map((value) => utf8(JSON.stringify(value))),
    ),
    weighted(
      1,
      fc.jsonValue({ maxDepth: 3 }).map((value) => utf8(JSON.stringify(value))),
    ),
    weighted(1, fc.constant(undefined)),
  );
  return {
    name: "Microsoft Graph",
    endpoint: { port, tls: { servername: "localhost" } },
    requests: httpRequest({
      methods: ["GET"],
      targets: fc.constant("/v1.0/applications"),
      operations,
      queryNames: ["$filter", "$top", "$select"],
      host: `localhost:${port}`,
      credentials: fc.constant<Header[]>([["Authorization", `Bearer ${token}`]]),
      badCredentials: fc.oneof(
        fc.constant<Header[]>([]),
        badAuthorization(token, forged).map((value): Header[] => [["Authorization", value]]),
      ),
      bodies,
      contentType: "application/json",
    }),
    shape: azureErrorShape,
    no5xx: true,
    state: () => world.state(),
    knownGood: () =>
      expectStatus(
        fetch(`${graph}/v1.0/applications`, { headers: { authorization: `Bearer ${token}` } }),
        200,
        "Graph's applications",
      ),
  };
}
