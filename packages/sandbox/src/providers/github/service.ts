/**
 * The GitHub provider's HTTP surface:
 *
 * - `GET /.well-known/openid-configuration` and `GET /.well-known/jwks`: the
 *   issuer's public documents, which Entra ID reads to verify a token;
 * - `GET /_apis/distributedtask/hubs/Actions/plans/{plan}/jobs/{job}/idtoken
 *   ?api-version=2.0[&audience=…]` with `Authorization: bearer <request token>`:
 *   a job's token request, answered `{"value": "<JWT>"}` (ACTIONS_ID_TOKEN_REQUEST_URL
 *   is this URL up to its api-version: `@actions/core` appends `&audience=`);
 * - `POST /_runner/jobs` and `DELETE /_runner/jobs/{plan}`: the runner
 *   registers a job it starts and says when it ended, with the key only
 *   `.sandbox/endpoints.json` holds (on GitHub, the Actions service does this).
 */
import express, { type Express, type Request, type Response } from "express";
import { secretsEqual, sendError, wholeRequestsOnly, type ErrorAnswer } from "../../http/host.ts";
import { WorkflowRunSchema, defaultAudienceOf } from "./claims.ts";
import { apiVersionOutOfRange, gitHubErrors, invalidAudience, restError, unauthorizedTokenRequest } from "./errors.ts";
import type { GitHubOidcIssuer } from "./issuer.ts";
import type { WorkflowJobs } from "./runs.ts";

/** The path of a job's token request, without its query. */
export const ID_TOKEN_PATH = (planId: string, jobId: string) =>
  `/_apis/distributedtask/hubs/Actions/plans/${planId}/jobs/${jobId}/idtoken`;

export interface GitHubServiceOptions {
  readonly issuer: GitHubOidcIssuer;
  readonly jobs: WorkflowJobs;
  /** The runner's key: it alone registers jobs. */
  readonly runnerKey: string;
}

const send = (res: Response, answer: ErrorAnswer) => sendError(res, answer);

/** A query parameter given once, as text; undefined when absent, null when repeated. */
function single(req: Request, name: string): string | undefined | null {
  const value = req.query[name];
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : null;
}

export function createGitHubService({ issuer, jobs, runnerKey }: GitHubServiceOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");

  app.get("/.well-known/openid-configuration", (_req, res) => {
    res.json(issuer.discovery());
  });
  app.get("/.well-known/jwks", (_req, res) => {
    res.json(issuer.jwks());
  });

  app.get("/_apis/distributedtask/hubs/Actions/plans/:planId/jobs/:jobId/idtoken", async (req, res) => {
    // The request token first: nothing about the job is told to a caller without it.
    const bearer = /^bearer (\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const job = jobs.authorize(String(req.params["planId"]), String(req.params["jobId"]), bearer);
    if (!job) return send(res, unauthorizedTokenRequest());
    const version = single(req, "api-version");
    if (version !== "2.0") return send(res, apiVersionOutOfRange(typeof version === "string" ? version : ""));
    const audience = single(req, "audience");
    if (audience === null) return send(res, invalidAudience("give one audience."));
    if (audience !== undefined && (audience.length === 0 || audience.length > 600 || /\s/.test(audience)))
      return send(res, invalidAudience("it must be 1 to 600 characters, without spaces."));
    const value = await issuer.tokenFor(job.run, audience ?? defaultAudienceOf(job.run.repository));
    res.set("Cache-Control", "no-store").json({ value });
  });

  const runner = express.Router();
  runner.use((req, res, next) => {
    if (!secretsEqual(req.get("x-keyless-runner-key") ?? "", runnerKey))
      return send(res, restError(401, "Bad credentials"));
    next();
  });
  runner.use(express.json({ limit: "16kb" }));
  runner.use(wholeRequestsOnly(gitHubErrors));
  runner.post("/jobs", (req, res) => {
    const parsed = WorkflowRunSchema.safeParse(req.body);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({
        resource: "WorkflowRun",
        field: issue.path.join(".") || "(body)",
        code: "invalid",
        message: issue.message,
      }));
      return send(res, restError(422, "Validation Failed", { errors }));
    }
    const job = jobs.start(parsed.data);
    res.status(201).json({
      planId: job.planId,
      jobId: job.jobId,
      requestUrl: `${issuer.url}${ID_TOKEN_PATH(job.planId, job.jobId)}?api-version=2.0`,
      requestToken: job.requestToken,
    });
  });
  runner.delete("/jobs/:planId", (req, res) => {
    if (!jobs.end(String(req.params["planId"]))) return send(res, restError(404, "Not Found"));
    res.status(204).end();
  });
  app.use("/_runner", runner);
  return app;
}
