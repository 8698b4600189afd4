/**
 * The jobs that may ask for a token. On GitHub, the Actions service gives a
 * job whose workflow grants `id-token: write` two variables: the URL to ask
 * (ACTIONS_ID_TOKEN_REQUEST_URL, naming the job's plan and job ids) and a
 * bearer token for it (ACTIONS_ID_TOKEN_REQUEST_TOKEN), valid for that job
 * only. Here the runner registers each job it starts and gets the same pair.
 *
 * Jobs live in memory: a token request is worth nothing once its job ends or
 * the sandbox restarts, as on GitHub. At most MAX_JOBS are kept, none longer
 * than GitHub lets a job run.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { secretsEqual } from "../../http/host.ts";
import type { WorkflowRun } from "./claims.ts";

/** GitHub ends a job after six hours: its request token goes with it. */
const JOB_LIFETIME_MS = 6 * 60 * 60 * 1000;
/** Jobs kept at once; the oldest goes first beyond it (a runner that never said it was done). */
const MAX_JOBS = 50;

export interface RegisteredJob {
  readonly planId: string;
  readonly jobId: string;
  readonly run: WorkflowRun;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN */
  readonly requestToken: string;
  readonly until: number;
}

export class WorkflowJobs {
  readonly #jobs = new Map<string, RegisteredJob>();

  /** Registers a job: its plan and job ids (the request URL names them) and its request token. */
  start(run: WorkflowRun): RegisteredJob {
    this.#prune();
    const job: RegisteredJob = {
      planId: randomUUID(),
      jobId: randomUUID(),
      run,
      requestToken: randomBytes(32).toString("base64url"),
      until: Date.now() + JOB_LIFETIME_MS,
    };
    this.#jobs.set(job.planId, job);
    return job;
  }

  /** The job a token request names, if its request token is the job's own and the job still runs. */
  authorize(planId: string, jobId: string, requestToken: string | undefined): RegisteredJob | undefined {
    const job = this.#jobs.get(planId);
    if (!job || job.jobId !== jobId || job.until < Date.now()) return undefined;
    return secretsEqual(requestToken, job.requestToken) ? job : undefined;
  }

  /** The job is over: its request token stops working. False when there was no such job. */
  end(planId: string): boolean {
    return this.#jobs.delete(planId);
  }

  get size(): number {
    return this.#jobs.size;
  }

  #prune(): void {
    const now = Date.now();
    for (const [planId, job] of this.#jobs) if (job.until < now) this.#jobs.delete(planId);
    // Maps keep insertion order: the first is the oldest.
    while (this.#jobs.size >= MAX_JOBS) {
      const oldest = this.#jobs.keys().next().value;
      if (oldest === undefined) break;
      this.#jobs.delete(oldest);
    }
  }
}
