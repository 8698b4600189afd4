/**
 * The learner's own apps (`npm run exercise`), run by `npm start` beside the
 * reference steps: exercise 0N's app on port 310N, as its own App Service app
 * (`keyless-workspace-0N`), with that app's settings and so its own identity.
 * Each restarts when one of its files is saved, and what it prints is shown
 * with a `[workspace 0N]` prefix. An app that does not start says why in a
 * sentence, and starts again at the next save.
 */
import { existsSync, readFileSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { SECRET_VARIABLES, portInUse, startStep, whoHolds, type RunningStep } from "@keyless/app-process";
import type { AuditEvent, Sandbox } from "@keyless/sandbox";
import { BadControlRequest } from "./controlServer.ts";
import {
  appExerciseSteps,
  bold,
  existingWorkspaceApps,
  explainStartFailure,
  green,
  loadAppExercise,
  readableLogLine,
  red,
  shownPath,
  workspaceAppDir,
  workspaceAppName,
  yellow,
  type ExerciseStep,
  type WorkspaceAppState,
  type WorkspaceIdentity,
  type WorkspaceView,
} from "@keyless/workshop";

export interface WorkspaceAppsOptions {
  readonly sandbox: Sandbox;
  /** The port for exercise 0N's app: 310N, or 0 (any free one) for tests. */
  port(step: ExerciseStep): number;
  /** What every step gets besides its app settings (THIRD_PARTY_API_TIMEOUT_MS, NODE_COMPILE_CACHE). */
  readonly env: Readonly<Record<string, string>>;
  /** Prints a line on the launcher's terminal. */
  say(text: string): void;
  /** Told when an app's URL changes (the launcher rewrites its endpoints file). */
  onChange?(): void;
  /** The launcher's last word on an app's environment, given the app's name: the live view traces it (see start.ts). */
  traced?(app: string, env: Record<string, string>): Record<string, string>;
}

/** How long after the last save the app restarts: an editor's "save all" is one restart. */
const SAVE_SETTLE_MS = 300;
/** Editors' temporary files, and folders that are not the app's. */
const NOT_A_SAVE = /(^|[\\/])(node_modules|\.git)([\\/]|$)|~$|\.sw[px]$|^\d+$|\.tmp$/;

export class WorkspaceApps {
  readonly #options: WorkspaceAppsOptions;
  readonly #apps = new Map<ExerciseStep, WorkspaceApp>();

  constructor(options: WorkspaceAppsOptions) {
    this.#options = options;
  }

  /** Starts every learner app that exists, at once. */
  async startExisting(): Promise<void> {
    await Promise.all(existingWorkspaceApps().map((step) => this.start(step)));
  }

  /** Starts (or restarts) one app, and watches its files from then on. */
  start(step: ExerciseStep): Promise<WorkspaceAppState> {
    let app = this.#apps.get(step);
    if (!app) {
      app = new WorkspaceApp(step, this.#options);
      this.#apps.set(step, app);
    }
    return app.restart("start");
  }

  list(): WorkspaceAppState[] {
    return [...this.#apps.values()].map((app) => app.state());
  }

  state(step: ExerciseStep): WorkspaceAppState | undefined {
    return this.#apps.get(step)?.state();
  }

  view(): WorkspaceView {
    const { sandbox } = this.#options;
    const queueName = sandbox.world.queues[0] ?? "code-requests";
    return {
      apps: this.list(),
      scopes: { vault: sandbox.scopes.vault, queue: sandbox.scopes.queue(queueName) },
      queueName,
    };
  }

  logs(step: ExerciseStep): string {
    return this.#apps.get(step)?.logs() ?? "";
  }

  /** The values in the apps' environments that must never show in an answer or a log. */
  secrets(): string[] {
    return [...this.#apps.values()].flatMap((app) => app.secrets());
  }

  /** The running apps' URLs, by exercise. */
  urls(): Record<string, string> {
    return Object.fromEntries(this.list().flatMap((app) => (app.url ? [[app.step, app.url]] : [])));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#apps.values()].map((app) => app.stop()));
  }
}

class WorkspaceApp {
  readonly #step: ExerciseStep;
  readonly #options: WorkspaceAppsOptions;
  readonly #dir: string;
  readonly #prefix: string;
  #running: RunningStep | undefined;
  #watcher: FSWatcher | undefined;
  #settle: NodeJS.Timeout | undefined;
  #changed = new Set<string>();
  #status: WorkspaceAppState["status"] = "stopped";
  #error: string | undefined;
  #startedAt: string | undefined;
  #auditAfter = 0;
  #env: Record<string, string> = {};
  #lastOutput = "";
  /** The restart waiting for the one in progress, shared by whoever asks meanwhile. */
  #queued: Promise<WorkspaceAppState> | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(step: ExerciseStep, options: WorkspaceAppsOptions) {
    this.#step = step;
    this.#options = options;
    this.#dir = workspaceAppDir(step);
    this.#prefix = yellow(`[workspace ${step}]`);
  }

  restart(reason: "start" | "save"): Promise<WorkspaceAppState> {
    if (this.#queued) return this.#queued;
    const next = this.#busy.then(() => {
      this.#queued = undefined;
      return this.#run(reason);
    });
    this.#queued = next;
    this.#busy = next.catch(() => {});
    return next;
  }

  async #run(reason: "start" | "save"): Promise<WorkspaceAppState> {
    const { sandbox, say } = this.#options;
    // This start runs the files as saved now: a save's restart still waiting would restart the app again, in the
    // middle of the check that asked for this one.
    clearTimeout(this.#settle);
    await this.#running?.stop();
    this.#running = undefined;
    if (this.#stopped) return this.state();
    if (!existsSync(join(this.#dir, "src"))) {
      this.#fail(`Its folder ${shownPath(this.#dir)} is gone: npm run exercise -- ${this.#step} creates it again.`);
      return this.state();
    }
    this.#watch();
    this.#auditAfter = sandbox.audit.list({ last: 1 })[0]?.id ?? 0;
    this.#status = "starting";
    this.#error = undefined;
    this.#startedAt = new Date().toISOString();
    if (reason === "save")
      say(`${this.#prefix} ${[...this.#changed].join(", ") || "a file"} saved: restarting your app`);
    this.#changed.clear();
    const port = this.#options.port(this.#step);
    try {
      this.#env = this.#environment(port);
      if (port !== 0 && (await portInUse(port))) {
        throw new Error(
          `Did not start: port ${port} is in use by another program (${whoHolds(port)} shows which): stop it, then save a file of your app to start it again.`,
        );
      }
      this.#lastOutput = "";
      const running = await startStep({
        dir: this.#dir,
        env: this.#env,
        timeoutMs: 20_000,
        onLine: (line) => {
          // The app's own "Did not start: ..." is said once, below, with what to do.
          if (line.trim() && !/^Did not start[:.]/.test(line)) say(`${this.#prefix} ${readableLogLine(line)}`);
        },
      });
      if (this.#stopped) {
        await running.stop();
        return this.state();
      }
      this.#running = running;
      this.#status = "running";
      say(`${this.#prefix} ${green(`your app runs at ${running.url}/api/v1/getcode`)}`);
    } catch (error) {
      this.#lastOutput = error instanceof Error ? error.message : String(error);
      this.#fail(describeStartFailure(error, this.#dir));
    }
    this.#options.onChange?.();
    return this.state();
  }

  #fail(reason: string): void {
    this.#status = "failed";
    this.#error = reason;
    // A failure the lesson foresees is said in the exercise's words: the app's own (the previous step's) may say the opposite.
    const foreseen = explainStartFailure(loadAppExercise(this.#step), reason);
    const said = foreseen ? `${foreseen.says} ${foreseen.fix}` : reason;
    this.#options.say(
      `${this.#prefix} ${red(`did not start: ${said}`)} ${bold(`Save a file to try again; npm run check -- ${this.#step} says what to change.`)}`,
    );
    this.#options.onChange?.();
  }

  /**
   * What App Service would give the app (its settings, so its own identity), plus a `.env` file of the
   * learner's if there is one: a sandbox-only convenience, as `node --env-file=.env` is on a laptop. On
   * App Service there is no `.env`: what it holds would be app settings, and a secret there is a secret.
   */
  #environment(port: number): Record<string, string> {
    const settings = this.#options.sandbox.siteEnvironment(workspaceAppName(this.#step));
    const dotenv = existsSync(join(this.#dir, ".env")) ? readDotenv(join(this.#dir, ".env")) : {};
    const names = Object.keys(dotenv);
    if (names.length > 0)
      this.#options.say(
        `${this.#prefix} .env sets ${names.join(", ")} (sandbox only: on App Service these would be app settings)`,
      );
    const env: Record<string, string> = { ...settings, ...dotenv, ...this.#options.env, PORT: String(port) };
    // A client secret signs in at Microsoft Entra ID, the public cloud's unless AZURE_AUTHORITY_HOST names another:
    // here the sandbox's, as the sandbox gives every app whose settings hold a secret (a .env can bring one).
    if (env["AZURE_CLIENT_SECRET"] && !env["AZURE_AUTHORITY_HOST"])
      env["AZURE_AUTHORITY_HOST"] = this.#options.sandbox.endpoints.authorityHost;
    return this.#options.traced?.(workspaceAppName(this.#step), env) ?? env;
  }

  #watch(): void {
    if (this.#watcher) return;
    try {
      this.#watcher = watch(this.#dir, { recursive: true }, (_event, file) => {
        const name = String(file ?? "");
        if (NOT_A_SAVE.test(name) || this.#stopped) return;
        this.#changed.add(name.replaceAll("\\", "/"));
        clearTimeout(this.#settle);
        this.#settle = setTimeout(() => void this.restart("save"), SAVE_SETTLE_MS);
      });
      // The folder went away (npm run exercise -- 03 --reset re-creates it): watch again at the next start.
      this.#watcher.on("error", () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      this.#watcher = undefined;
    }
  }

  state(): WorkspaceAppState {
    const { sandbox } = this.#options;
    const identity = identityOf(sandbox, this.#step);
    const now = Date.now();
    const roles = sandbox.rbac.list({ principalId: identity.objectId }).map((assignment) => ({
      role: assignment.roleDefinitionName,
      scope: assignment.scope,
      ...(assignment.effectiveFrom > now ? { effectiveFrom: new Date(assignment.effectiveFrom).toISOString() } : {}),
      scopeExists: sandbox.arm.exists(assignment.scope),
    }));
    return {
      step: this.#step,
      app: workspaceAppName(this.#step),
      dir: this.#dir,
      status: this.#status,
      ...(this.#running ? { url: this.#running.url } : {}),
      ...(this.#error ? { error: this.#error } : {}),
      ...(this.#startedAt ? { startedAt: this.#startedAt } : {}),
      auditAfter: this.#auditAfter,
      identity,
      roles,
    };
  }

  logs(): string {
    return this.#running?.output() ?? this.#lastOutput;
  }

  secrets(): string[] {
    return SECRET_VARIABLES.flatMap((name) => this.#env[name] ?? []);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#settle);
    this.#watcher?.close();
    await this.#busy;
    await this.#running?.stop();
  }
}

/** Who an exercise's app signs in as: the service principal its settings name (02), or its own managed identity. */
export function identityOf(sandbox: Sandbox, step: ExerciseStep): WorkspaceIdentity {
  const name = workspaceAppName(step);
  const managed = sandbox.directory.apps.get(name);
  if (managed) return { name, objectId: managed.objectId, appId: managed.appId ?? "", kind: "managed identity" };
  const signsInAs = sandbox.tenant.apps.find((app) => app.name === name)?.signsInAs;
  const principal = sandbox.directory.servicePrincipals.find((sp) => sp.displayName === signsInAs);
  if (!principal) throw new Error(`tenant.json gives ${name} no identity.`);
  return {
    name: principal.displayName,
    objectId: principal.objectId,
    appId: principal.appId ?? "",
    kind: "service principal",
  };
}

function readDotenv(file: string): Record<string, string> {
  try {
    return parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * Why the learner's app did not start, in one sentence: the app's own "Did not start: ..." line, or
 * Node's error with the file and line it names, never a stack.
 */
export function describeStartFailure(error: unknown, dir: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n");
  const own = lines.find((line) => /^Did not start[:.]/.test(line.trim()));
  if (own) return own.trim().replace(/^Did not start[:.]\s*/, "");
  if (/did not start within/.test(lines[0] ?? ""))
    return 'it did not say "listening on ..." within 20 s: is main() awaited and does the server listen?';
  const errorLine = lines.find((line) => /^(\w*Error|Error)( \[\w+\])?: /.test(line.trim()));
  const where = locationIn(text, dir);
  if (errorLine) return `${where ? `${where}: ` : ""}${errorLine.trim().replace(/ \[\w+\]:/, ":")}`;
  const exit = /exited with (\S+) before listening/.exec(lines[0] ?? "")?.[1];
  const last = lines
    .slice(1)
    .findLast((line) => line.trim())
    ?.trim();
  return `it exited (code ${exit ?? "?"}) before listening${last ? `: ${last}` : ""}`;
}

/**
 * The first place in the learner's own files that Node's message names, as `src/server.ts:2`. Node names a
 * file by its path (with `\` on Windows) or by its file:// URL (`/` everywhere, a space as %20).
 */
function locationIn(text: string, dir: string): string | undefined {
  const slashes = (path: string) => path.replaceAll("\\", "/");
  const escaped = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const folder = slashes(dir).replace(/\/+$/, "");
  const forms = [folder, encodeURI(folder)].map(escaped).join("|");
  const match = new RegExp(`(?:${forms})/([^\\s:)]+):(\\d+)`).exec(slashes(text));
  if (!match) return undefined;
  const [, file = "", line = ""] = match;
  try {
    return `${decodeURI(file)}:${line}`;
  } catch {
    return `${file}:${line}`; // a path with a % that is no escape
  }
}

/** The control endpoint's routes for the learner's apps, the audit log and the queue (for `npm run check` and `npm run exercise`). */
export function workspaceRoutes(
  sandbox: Sandbox,
  apps: WorkspaceApps,
): Record<string, (body: unknown, query: URLSearchParams) => unknown> {
  const queueName = sandbox.world.queues[0] ?? "code-requests";
  return {
    "GET /workspace": () => apps.view(),
    ...Object.fromEntries(
      appExerciseSteps().flatMap((step) => [
        [`POST /workspace/${step}/start`, () => apps.start(step)],
        [`GET /workspace/${step}/logs`, () => ({ logs: apps.logs(step) })],
      ]),
    ),
    // The audit log since an event: what the grader reads (az sandbox audit list shows the same to the learner).
    "GET /audit": (_body, query): { events: AuditEvent[] } => {
      const after = Number(query.get("after") ?? 0);
      return { events: sandbox.audit.list({ after: Number.isInteger(after) ? after : 0 }) };
    },
    // Holds one caller's queue requests a moment: the grader sees unambiguously whether a send came before the answer.
    "PUT /queue/delay": (body) => {
      const delay = body as { ms?: number; principalId?: string } | undefined;
      sandbox.queue.setDelay(
        delay?.ms ? { ms: delay.ms, ...(delay.principalId ? { principalId: delay.principalId } : {}) } : null,
      );
      return {};
    },
    // Refuses one identity's data requests at one scope for a moment (a deny assignment): the grader sees what the
    // learner's app answers when Azure refuses it. It ends by itself within a minute if the grader goes away.
    "POST /rbac/deny": (body) => {
      const { principalId, scope, ms } = (body ?? {}) as { principalId?: unknown; scope?: unknown; ms?: unknown };
      if (typeof principalId !== "string" || typeof scope !== "string" || !/^\/subscriptions\//i.test(scope))
        throw new BadControlRequest("The body is not what this route takes: a principalId and a scope.");
      const forMs = typeof ms === "number" && Number.isInteger(ms) && ms > 0 ? Math.min(ms, 60_000) : 30_000;
      const deny = sandbox.rbac.deny({
        principalId,
        scope,
        ms: forMs,
        description: "npm run check refuses your app's requests here for a moment, to see what your app answers then.",
      });
      return { id: deny.id };
    },
    "POST /rbac/deny/remove": (body) => {
      const id = (body as { id?: unknown } | undefined)?.id;
      if (typeof id !== "string") throw new BadControlRequest("The body is not what this route takes: an id.");
      sandbox.rbac.removeDeny(id);
      return {};
    },
    // Removes the messages that carry these codes, and only those: how many each had.
    "POST /queue/remove-codes": async (body) => {
      const codes = ((body as { codes?: unknown } | undefined)?.codes ?? []) as unknown[];
      const wanted = codes.filter((code): code is string => typeof code === "string" && code.length > 0);
      const counts = Object.fromEntries(wanted.map((code) => [code, 0]));
      if (wanted.length === 0) return { counts };
      const removed = await sandbox.queue.removeWhere(queueName, (text) => wanted.some((code) => text.includes(code)));
      for (const text of removed)
        for (const code of wanted) if (text.includes(code)) counts[code] = (counts[code] ?? 0) + 1;
      return { counts };
    },
  };
}
