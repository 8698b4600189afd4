/**
 * The learner's apps, the audit log and the queue, as the other commands
 * (`npm run check`, `npm run exercise`) reach them: through the running
 * `npm start`'s control endpoint (its routes: packages/launcher, learnerApps.ts).
 */
import type { AuditEvent } from "@keyless/sandbox";
import type { RunningWorkshop } from "./control.ts";
import type { ExerciseStep } from "../exercises/exercises.ts";

/** Who the learner's app is in the sandbox. */
export interface WorkspaceIdentity {
  /** keyless-workspace-sp (exercise 02) or the app's own name (its managed identity). */
  readonly name: string;
  readonly objectId: string;
  readonly appId: string;
  readonly kind: "service principal" | "managed identity";
}

export interface WorkspaceRole {
  readonly role: string;
  readonly scope: string;
  /** Not in effect yet (the sandbox's propagation delay): from when. */
  readonly effectiveFrom?: string;
  /** Whether a resource has the scope's id: false for an assignment to a scope that names nothing (a typo). */
  readonly scopeExists?: boolean;
}

/** One learner app, as the control endpoint tells the other commands. */
export interface WorkspaceAppState {
  readonly step: ExerciseStep;
  /** The App Service app it runs as: keyless-workspace-03. */
  readonly app: string;
  readonly dir: string;
  readonly status: "starting" | "running" | "failed" | "stopped";
  readonly url?: string;
  /** Why it did not start, in a sentence. */
  readonly error?: string;
  /** When the current run started. */
  readonly startedAt?: string;
  /** The audit log's last event before this run: the run's sign-ins and requests come after it. */
  readonly auditAfter: number;
  readonly identity: WorkspaceIdentity;
  /** The identity's role assignments now. */
  readonly roles: readonly WorkspaceRole[];
}

/** What every learner app shares: the resources the lessons grant roles on. */
export interface WorkspaceView {
  readonly apps: readonly WorkspaceAppState[];
  readonly scopes: { readonly vault: string; readonly queue: string };
  readonly queueName: string;
}

export interface WorkspaceClient {
  view(): Promise<WorkspaceView>;
  /** Starts (or restarts) exercise 0N's app and answers once it runs or has failed to. */
  start(step: ExerciseStep): Promise<WorkspaceAppState>;
  logs(step: ExerciseStep): Promise<string>;
  /** Audit events after the given id, oldest first. */
  audit(after: number): Promise<AuditEvent[]>;
  /** Holds one principal's queue requests this long (null: no longer). */
  setQueueDelay(delay: { ms: number; principalId: string } | null): Promise<void>;
  /** Refuses one identity's data requests at a scope for a moment (a deny assignment): its id, to end it. */
  deny(principalId: string, scope: string): Promise<string>;
  /** Ends a refusal `deny` began. */
  endDeny(id: string): Promise<void>;
  /** Removes the queue messages that carry these codes: how many each had. */
  removeCodes(codes: readonly string[]): Promise<Record<string, number>>;
}

export function workspaceClient(workshop: RunningWorkshop): WorkspaceClient {
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    try {
      return await workshop.request<T>(method, path, body);
    } catch (error) {
      // A launcher started before exercises existed has none of these routes.
      if (error instanceof Error && / answered 404 /.test(error.message)) {
        throw new Error(
          "The npm start that runs is older than this command: stop it (Ctrl-C) and run npm start again.",
        );
      }
      throw error;
    }
  };
  return {
    view: () => request<WorkspaceView>("GET", "/workspace"),
    start: (step) => request<WorkspaceAppState>("POST", `/workspace/${step}/start`),
    logs: async (step) => (await request<{ logs: string }>("GET", `/workspace/${step}/logs`)).logs,
    audit: async (after) => (await request<{ events: AuditEvent[] }>("GET", `/audit?after=${after}`)).events,
    setQueueDelay: async (delay) => void (await request("PUT", "/queue/delay", delay ?? {})),
    deny: async (principalId, scope) =>
      (await request<{ id: string }>("POST", "/rbac/deny", { principalId, scope, ms: 30_000 })).id,
    endDeny: async (id) => void (await request("POST", "/rbac/deny/remove", { id })),
    removeCodes: async (codes) =>
      (await request<{ counts: Record<string, number> }>("POST", "/queue/remove-codes", { codes })).counts,
  };
}
