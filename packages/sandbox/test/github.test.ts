/**
 * GitHub Actions' OIDC provider, as a job meets it: the issuer's documents,
 * the token request (ACTIONS_ID_TOKEN_REQUEST_URL + `&audience=` with
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN), the claims GitHub documents, and GitHub's
 * own refusals.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectOf } from "../src/providers/github/claims.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

let test: TestSandbox;
beforeAll(async () => {
  test = await startTestSandbox({ queue: false });
});
afterAll(() => test?.stop());

const SHA = "0123456789abcdef0123456789abcdef01234567";
const run = (overrides: Record<string, unknown> = {}) => ({
  repository: "octo-learner/keyless",
  ref: "refs/heads/main",
  sha: SHA,
  eventName: "push",
  workflow: "Deploy",
  workflowPath: ".github/workflows/deploy.yml",
  actor: "octo-learner",
  runId: "42",
  ...overrides,
});

/** What the runner does for a job: registers it, and gets the two variables the job sees. */
async function registerJob(body: object = run()) {
  const { runner } = test.sandbox.endpoints.github;
  const response = await fetch(`${runner.url}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-keyless-runner-key": runner.key },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** What `core.getIDToken(audience)` sends. */
async function requestToken(url: string, token: string | undefined, audience?: string) {
  const target = audience === undefined ? url : `${url}&audience=${encodeURIComponent(audience)}`;
  const response = await fetch(target, token === undefined ? {} : { headers: { authorization: `bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("GitHub's OIDC provider", () => {
  it("publishes its issuer: the discovery document names its own URL, and the keys verify its tokens", async () => {
    const issuer = test.sandbox.endpoints.github.issuer;
    expect(issuer).toMatch(/^https:\/\/localhost:\d+$/);
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks`,
      response_types_supported: ["id_token"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
    expect(discovery["claims_supported"]).toEqual(expect.arrayContaining(["sub", "job_workflow_ref", "environment"]));
    const { body: job } = await registerJob();
    const { body } = await requestToken(job["requestUrl"] ?? "", job["requestToken"], "api://AzureADTokenExchange");
    const token = String(body["value"]);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(String(discovery["jwks_uri"]))), {
      issuer,
      audience: "api://AzureADTokenExchange",
    });
    expect(payload.sub).toBe("repo:octo-learner/keyless:ref:refs/heads/main");
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: "JWT", alg: "RS256", kid: expect.any(String) });
  });

  it("answers a job's token request with {value}, carrying GitHub's claims, valid five minutes", async () => {
    const { status, body: job } = await registerJob(run({ environment: undefined }));
    expect(status).toBe(201);
    expect(job["requestUrl"]).toMatch(
      /^https:\/\/localhost:\d+\/_apis\/distributedtask\/hubs\/Actions\/plans\/[0-9a-f-]{36}\/jobs\/[0-9a-f-]{36}\/idtoken\?api-version=2\.0$/,
    );
    const answer = await requestToken(job["requestUrl"] ?? "", job["requestToken"], "api://AzureADTokenExchange");
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toEqual(["value"]);
    const [, payload = ""] = String(answer.body["value"]).split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: test.sandbox.endpoints.github.issuer,
      aud: "api://AzureADTokenExchange",
      sub: "repo:octo-learner/keyless:ref:refs/heads/main",
      repository: "octo-learner/keyless",
      repository_owner: "octo-learner",
      ref: "refs/heads/main",
      ref_type: "branch",
      sha: SHA,
      workflow: "Deploy",
      workflow_ref: "octo-learner/keyless/.github/workflows/deploy.yml@refs/heads/main",
      job_workflow_ref: "octo-learner/keyless/.github/workflows/deploy.yml@refs/heads/main",
      run_id: "42",
      actor: "octo-learner",
      event_name: "push",
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(claims).not.toHaveProperty("environment");
    const iat = Number(claims["iat"]);
    expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(120);
    expect(Number(claims["exp"]) - iat).toBe(300);
    expect(iat - Number(claims["nbf"])).toBe(600);
  });

  it("names the owner's URL as audience when the job asks for none, as core.getIDToken() without an audience", async () => {
    const { body: job } = await registerJob();
    const answer = await requestToken(job["requestUrl"] ?? "", job["requestToken"]);
    const [, payload = ""] = String(answer.body["value"]).split(".");
    expect(JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))).toMatchObject({
      aud: "https://github.com/octo-learner",
    });
  });

  it.each([
    [{}, "repo:octo-learner/keyless:ref:refs/heads/main"],
    [{ ref: "refs/heads/feature/x" }, "repo:octo-learner/keyless:ref:refs/heads/feature/x"],
    [{ ref: "refs/tags/v1.0" }, "repo:octo-learner/keyless:ref:refs/tags/v1.0"],
    [{ eventName: "pull_request", ref: "refs/pull/7/merge" }, "repo:octo-learner/keyless:pull_request"],
    [{ environment: "production" }, "repo:octo-learner/keyless:environment:production"],
    [{ environment: "production", eventName: "pull_request" }, "repo:octo-learner/keyless:environment:production"],
  ])("the subject of %j is %s", async (overrides, subject) => {
    const merged = run(overrides);
    expect(subjectOf(merged as Parameters<typeof subjectOf>[0])).toBe(subject);
    const { body: job } = await registerJob(merged);
    const answer = await requestToken(job["requestUrl"] ?? "", job["requestToken"], "api://AzureADTokenExchange");
    const [, payload = ""] = String(answer.body["value"]).split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    expect(claims["sub"]).toBe(subject);
    if ("environment" in overrides) expect(claims["environment"]).toBe("production");
  });

  it("refuses a request without the job's own request token, in the Actions service's shape (what @actions/core prints)", async () => {
    const { body: job } = await registerJob();
    const { body: other } = await registerJob();
    for (const token of [undefined, "wrong", other["requestToken"]]) {
      const answer = await requestToken(job["requestUrl"] ?? "", token, "api://AzureADTokenExchange");
      expect(answer).toMatchObject({
        status: 401,
        body: {
          message: "TF400813: The user '' is not authorized to access this resource.",
          typeKey: "UnauthorizedRequestException",
        },
      });
    }
  });

  it("stops answering a job's requests once the runner says the job ended", async () => {
    const { body: job } = await registerJob();
    const { runner } = test.sandbox.endpoints.github;
    const ended = await fetch(`${runner.url}/jobs/${job["planId"]}`, {
      method: "DELETE",
      headers: { "x-keyless-runner-key": runner.key },
    });
    expect(ended.status).toBe(204);
    expect((await requestToken(job["requestUrl"] ?? "", job["requestToken"])).status).toBe(401);
  });

  it("refuses another api-version, a repeated audience; only the runner registers jobs, with a run GitHub could have", async () => {
    const { body: job } = await registerJob();
    const url = job["requestUrl"] ?? "";
    const older = await requestToken(url.replace("api-version=2.0", "api-version=1.0"), job["requestToken"]);
    expect(older).toMatchObject({ status: 400, body: { typeKey: "VssVersionOutOfRangeException" } });
    const twice = await requestToken(`${url}&audience=a`, job["requestToken"], "b");
    expect(twice).toMatchObject({ status: 400, body: { typeKey: "ArgumentException" } });

    const { runner } = test.sandbox.endpoints.github;
    const stranger = await fetch(`${runner.url}/jobs`, { method: "POST", body: JSON.stringify(run()) });
    expect(stranger.status).toBe(401);
    expect(await stranger.json()).toMatchObject({ message: "Bad credentials" });
    for (const bad of [
      run({ repository: "no-slash" }),
      run({ sha: "abc" }),
      run({ ref: "main" }),
      { ...run(), extra: 1 },
    ]) {
      const refused = await registerJob(bad);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ message: "Validation Failed" });
    }
    const missing = await fetch(`${test.sandbox.endpoints.github.issuer}/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  });
});
