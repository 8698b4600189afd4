/**
 * `npm run check -- 03` when the learner has an app for exercise 03: grading
 * in words. The grader looks at three things and says what it saw and what to
 * change:
 * 1. the code (static checks): the key and the client secret are gone;
 * 2. what the sandbox saw (its audit log): how the app signed in, who read the
 *    vault, when each queue message was sent, under which role;
 * 3. how the app behaves (the shared contract suite, over HTTP).
 * The app is restarted first, so that everything it does from start-up on is
 * in the log, and every queue message the check causes is removed afterwards.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AuditEvent } from "@keyless/sandbox";
import { checksThatRan, failedChecks } from "@keyless/contract-tests";
import { runCheckpoint } from "./checkpoint.ts";
import type { RunningWorkshop } from "../running/control.ts";
import {
  exerciseSteps,
  explainStartFailure,
  sendsToQueue,
  shownPath,
  workspaceAppDir,
  workspaceFiles,
  type AppExercise,
} from "./exercises.ts";
import { checked, codeDigest, readProgress, updateProgress } from "./progressFile.ts";
import {
  AZ,
  azLine,
  compareRoles,
  misScopedText,
  requiredRoles,
  roleArgs,
  scopeName,
  whyTooWide,
  type MisScoped,
} from "./roles.ts";
import { scanFiles } from "../secrets/scan.ts";
import { bold, dim, fail, ok } from "../terminal/ui.ts";
import type { WorkspaceAppState, WorkspaceIdentity, WorkspaceView } from "../running/workspaceControl.ts";
import { workspaceClient, type WorkspaceClient } from "../running/workspaceControl.ts";

/** One thing the grader checked: what it saw, and when it failed, what to change. */
export interface Finding {
  readonly ok: boolean;
  readonly text: string;
  readonly hint?: readonly string[];
}

/** One GET /api/v1/getcode by the grader: what came back, and when it was sent and answered (epoch ms). */
interface CallResult {
  readonly status: number;
  readonly code?: string;
  readonly error?: string;
  readonly hint?: string;
  readonly sentAt: number;
  readonly answeredAt: number;
}

/** How long the sandbox holds each of the app's queue sends while the grader watches the order (see queueOrder). */
const QUEUE_HOLD_MS = 1000;
/** The grader's own calls for the order check. */
const ORDER_CALLS = 2;

const VAULT_ROLE = "Key Vault Secrets User";
const QUEUE_ROLE = "Storage Queue Data Message Sender";
const CLIENT_SECRET_SETTINGS = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"];

/** 10:31:02, the learner's local time, as their terminal shows it. */
const at = (iso: string) => new Date(iso).toLocaleTimeString("en-GB", { hour12: false });
/** 10:31:02.120: for the order of a send and an answer. */
const atMs = (time: number | string) => {
  const date = new Date(time);
  return `${date.toLocaleTimeString("en-GB", { hour12: false })}.${String(date.getMilliseconds()).padStart(3, "0")}`;
};

function print(finding: Finding): void {
  console.log(`  ${finding.ok ? ok(finding.text) : fail(finding.text)}`);
  for (const line of finding.hint ?? []) console.log(`      ${line}`);
}

/**
 * Grades the learner's app for an exercise; true when it passes. `alone`: the only thing this run checks, so it
 * ends with what to do next (a run of several ends with its own count instead).
 */
export async function gradeExercise(
  exercise: AppExercise,
  workshop: RunningWorkshop,
  { alone = true }: { readonly alone?: boolean } = {},
): Promise<boolean> {
  const client = workspaceClient(workshop);
  const dir = workspaceAppDir(exercise.step);
  console.log(`Checking exercise ${exercise.step} (${exercise.title}): your app in ${shownPath(dir)} ...`);
  const findings: Finding[] = [];
  const note = (finding: Finding) => {
    findings.push(finding);
    print(finding);
  };
  const grading = new Grading(exercise, workshop, client, dir);
  // The code this check grades, as it is now: a save during the check is the next check's.
  const graded = codeDigest(workspaceFiles(dir));

  for (const finding of await grading.staticChecks()) note(finding);
  const app = await client.start(exercise.step);
  const view = await client.view();
  if (app.status !== "running" || !app.url) {
    note(await grading.startFailure(app, view));
  } else {
    note({
      ok: true,
      text: `Your app started at ${app.url} (restarted for this check at ${at(app.startedAt ?? new Date().toISOString())}).`,
    });
    const first = await grading.firstCall(app, view);
    note(first);
    if (first.ok) {
      for (const finding of await grading.auditChecks(app, view)) note(finding);
      if (sendsToQueue(exercise) && findings.every((finding) => finding.ok))
        for (const finding of await grading.queueOrder(app, view)) note(finding);
      if (findings.every((finding) => finding.ok))
        for (const finding of await grading.refusals(app, view)) note(finding);
      if (findings.every((finding) => finding.ok)) note(await grading.contract(app));
      else console.log(dim("  (The contract checks over HTTP run once these pass.)"));
    }
    await grading.cleanUp();
  }

  const failed = findings.filter((finding) => !finding.ok).length;
  const passed = failed === 0;
  updateProgress(exercise.step, (entry) => checked(entry, passed, graded));
  if (passed) {
    console.log(ok(bold(`Exercise ${exercise.step} passes: ${findings.length} of ${findings.length} checks.`)));
    const progress = readProgress();
    const next = exerciseSteps().find((step) => !progress[step]?.passedAt);
    // This check's verdict is about this exercise only: whether the others still pass, progress says.
    if (alone)
      console.log(
        dim(
          next
            ? `  Next: npm run exercise -- ${next}. npm run progress shows where you are.`
            : "  You have passed every exercise once: npm run progress shows whether each still passes.",
        ),
      );
  } else {
    console.log(
      fail(bold(`Exercise ${exercise.step} is not done yet: ${failed} of ${findings.length} checks failed.`)),
    );
    console.log(
      dim(
        `  Change your app and save (it restarts by itself), then check again. Stuck? npm run exercise -- ${exercise.step} --solve shows the solution.`,
      ),
    );
  }
  return passed;
}

class Grading {
  readonly #exercise: AppExercise;
  readonly #workshop: RunningWorkshop;
  readonly #client: WorkspaceClient;
  readonly #dir: string;
  /** Codes the check itself was issued: their queue messages are removed at the end. */
  readonly #codes: string[] = [];

  constructor(exercise: AppExercise, workshop: RunningWorkshop, client: WorkspaceClient, dir: string) {
    this.#exercise = exercise;
    this.#workshop = workshop;
    this.#client = client;
    this.#dir = dir;
  }

  get #step() {
    return this.#exercise.step;
  }

  /** The code, before anything runs: no key in it, and from step 03 on no client secret. */
  async staticChecks(): Promise<Finding[]> {
    const files = workspaceFiles(this.#dir);
    const findings: Finding[] = [];
    const leaks = await this.#secretsIn(files);
    if (leaks.length > 0) {
      const [first] = leaks;
      const where = leaks.map((leak) => leak.where).join(", ");
      const isKey = leaks.some((leak) => leak.isKey);
      findings.push({
        ok: false,
        text: `${isKey ? "The third party's key" : "A secret"} is still written in ${where}${first?.byScanner ? " (the secret scanner finds it, and so would anyone who reads the code)" : ""}.`,
        hint: [
          this.#exercise.keyInCodeFix ?? "Delete it: the key lives in Key Vault, and your app reads it at start-up.",
          "On a real project, rotate it too: git history keeps every line ever committed.",
        ],
      });
    } else {
      findings.push({ ok: true, text: "No key or secret in your app's files: the secret scanner finds nothing." });
    }
    if (this.#exercise.signIn === "managedIdentity") {
      const uses = clientSecretUses(files);
      if (uses.length > 0) {
        const inEnv = uses.some((use) => use.file === ".env");
        findings.push({
          ok: false,
          text: `${uses.map((use) => `${use.file}:${use.line}`).join(", ")} still ${uses.length === 1 ? "needs" : "need"} a client secret (${uses[0]?.what}).`,
          hint: [
            `Step ${this.#step}'s app has no client secret: App Service gives it IDENTITY_ENDPOINT and IDENTITY_HEADER, its managed identity, instead.`,
            inEnv
              ? `Delete ${CLIENT_SECRET_SETTINGS.join(", ")} from .env${uses.some((use) => use.file !== ".env") ? " and from src/config.ts" : ""}: DefaultAzureCredential then uses the managed identity.`
              : `Delete the ${CLIENT_SECRET_SETTINGS.join(", ")} settings from src/config.ts (the 🐨 there).`,
          ],
        });
      } else {
        findings.push({ ok: true, text: "Nothing in your code or its .env needs a client secret." });
      }
    }
    return findings;
  }

  async #secretsIn(
    files: ReadonlyMap<string, string>,
  ): Promise<{ where: string; byScanner: boolean; isKey: boolean }[]> {
    const keys = [...(await this.#workshop.thirdParty.keys())];
    const literal = [...files].flatMap(([file, text]) =>
      text
        .split("\n")
        .flatMap((line, index) =>
          keys.some((key) => key && line.includes(key))
            ? [{ where: `${file}:${index + 1}`, byScanner: false, isKey: true }]
            : [],
        ),
    );
    const scanned = (
      await scanFiles([...files.keys()].filter((file) => file !== ".env").map((file) => join(this.#dir, file)))
    ).map((finding) => {
      const where = `${finding.file.replace(`${shownPath(this.#dir)}/`, "")}:${finding.line}`;
      return { where, byScanner: true, isKey: literal.some((leak) => leak.where === where) };
    });
    const seen = new Set<string>();
    return [...scanned, ...literal].filter((leak) => !seen.has(leak.where) && seen.add(leak.where));
  }

  /** The app did not start: what the sandbox saw explains most of it (a role missing); otherwise its own words. */
  async startFailure(app: WorkspaceAppState, view: WorkspaceView): Promise<Finding> {
    const events = await this.#client.audit(app.auditAfter);
    const explained = this.#explainDenials(events, app, view);
    if (explained) return explained;
    const error = app.error ?? "no reason given";
    const foreseen = explainStartFailure(this.#exercise, error);
    if (foreseen) return { ok: false, text: `Your app did not start: ${foreseen.says}`, hint: [foreseen.fix] };
    const secretSignIn = events.find(
      (event) => event.clientCredentialType === "clientSecret" && event.resultType === "Failure",
    );
    if (secretSignIn) {
      return {
        ok: false,
        text: `Your app did not start: Microsoft Entra ID refused its client secret at ${at(secretSignIn.time)} (${secretSignIn.errorCode ?? secretSignIn.statusCode}).`,
        hint: [
          this.#exercise.signIn === "clientSecret"
            ? "Use the settings App Service gives your app (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET): DefaultAzureCredential reads them itself."
            : `Step ${this.#step}'s app signs in with its managed identity: remove every client secret and AZURE_* setting.`,
        ],
      };
    }
    return {
      ok: false,
      text: `Your app did not start: ${error}`,
      hint: [
        `Fix it and save: your app restarts by itself (its lines in npm start's terminal begin with [workspace ${this.#step}]).`,
      ],
    };
  }

  /** A refusal the sandbox logged for the app's identity: the exact grant that fixes it. */
  #explainDenials(events: readonly AuditEvent[], app: WorkspaceAppState, view: WorkspaceView): Finding | undefined {
    const mine = events.filter(
      (event) => event.caller?.objectId === app.identity.objectId && event.authorization?.decision === "Denied",
    );
    const vault = mine.find((event) => event.category === "AuditEvent");
    const queue = mine.find((event) => event.category === "StorageQueueLogs");
    const denied = vault ?? queue;
    if (!denied) return undefined;
    const isVault = denied === vault;
    const role = isVault ? VAULT_ROLE : QUEUE_ROLE;
    const scope = isVault ? view.scopes.vault : view.scopes.queue;
    const propagating = denied.authorization?.propagatingUntil;
    const what = isVault ? "read the secret in Key Vault" : "send a message to the queue";
    if (propagating) {
      return {
        ok: false,
        text: `At ${at(denied.time)} your app's identity (${app.identity.name}) could not ${what} yet: its ${denied.authorization?.roleDefinitionName} role takes effect at ${at(propagating)}, as Azure's role assignments take a while to apply.`,
        hint: [`Wait until then, and check again (the check restarts your app).`],
      };
    }
    // The lesson's role, assigned beside the resource (another one, or a typo): say so, it looks granted.
    const beside = compareRoles(this.#exercise, app, view).misScoped.find(
      ({ wanted }) => wanted.role === role && wanted.scope === scope,
    );
    if (beside)
      return {
        ok: false,
        text: `At ${at(denied.time)} ${isVault ? "Key Vault" : "Queue Storage"} refused your app's identity (${app.identity.name}, its ${app.identity.kind}) with ${[denied.statusCode, denied.errorCode].filter(Boolean).join(" ")}: ${misScopedText(beside)}`,
        hint: [
          `Grant it ${role} on ${scopeName(scope)}, and delete the one beside it:`,
          `  ${azLine(roleArgs("create", app.identity.objectId, role, scope))}`,
          `  ${azLine(roleArgs("delete", app.identity.objectId, beside.held.role, beside.held.scope))}`,
        ],
      };
    return {
      ok: false,
      text: `At ${at(denied.time)} ${isVault ? "Key Vault" : "Queue Storage"} refused your app's identity (${app.identity.name}, its ${app.identity.kind}) with ${[denied.statusCode, denied.errorCode].filter(Boolean).join(" ")}: it has no role that may ${what}.`,
      hint: [
        `Grant it ${role} on ${scopeName(scope)}, then check again:`,
        `  ${azLine(roleArgs("create", app.identity.objectId, role, scope))}`,
      ],
    };
  }

  /** One call, as a user would make it: the app must answer with a code. */
  async firstCall(app: WorkspaceAppState, view: WorkspaceView): Promise<Finding> {
    const answer = await this.#call(app);
    if (answer.status === 200 && answer.code) return { ok: true, text: `It issued a code: ${answer.code}.` };
    const events = await this.#client.audit(app.auditAfter);
    const explained = this.#explainDenials(events, app, view);
    if (explained) return explained;
    return {
      ok: false,
      text: `GET /api/v1/getcode answered ${answer.status}${answer.error ? `: ${answer.error}` : ""}`,
      hint: answer.hint
        ? [answer.hint]
        : [`Its lines in npm start's terminal (beginning with [workspace ${this.#step}]) say more.`],
    };
  }

  async #call(app: WorkspaceAppState): Promise<CallResult> {
    const sentAt = Date.now();
    try {
      const response = await fetch(`${app.url}/api/v1/getcode`, { signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      const answeredAt = Date.now();
      const body = (() => {
        try {
          return JSON.parse(text) as { code?: unknown; error?: unknown; hint?: unknown };
        } catch {
          return {};
        }
      })();
      const code = typeof body.code === "string" ? body.code : undefined;
      if (code) this.#codes.push(code);
      return {
        status: response.status,
        ...(code ? { code } : {}),
        ...(typeof body.error === "string" ? { error: body.error } : {}),
        ...(typeof body.hint === "string" ? { hint: body.hint } : {}),
        sentAt,
        answeredAt,
      };
    } catch (error) {
      return {
        status: 0,
        error: `no answer (${error instanceof Error ? error.message : String(error)})`,
        sentAt,
        answeredAt: Date.now(),
      };
    }
  }

  /** What the sandbox saw since the app started: who signed in, how, who read the key, and under which roles. */
  async auditChecks(app: WorkspaceAppState, view: WorkspaceView): Promise<Finding[]> {
    const events = await this.#client.audit(app.auditAfter);
    const findings: Finding[] = [];
    const identity = app.identity;
    const since = at(app.startedAt ?? new Date().toISOString());
    const seeFor = (caller = identity.name) =>
      dim(`(${AZ} sandbox audit list --caller ${caller} -o table shows what the sandbox saw.)`);

    // How it signed in.
    const secretSignIns = events.filter(
      (event) =>
        event.category === "ServicePrincipalSignInLogs" &&
        event.clientCredentialType === "clientSecret" &&
        event.resultType === "Success",
    );
    if (this.#exercise.signIn === "clientSecret") {
      const own = secretSignIns.find((event) => event.caller?.objectId === identity.objectId);
      const other = secretSignIns.find((event) => event.caller?.objectId !== identity.objectId);
      if (own)
        findings.push({
          ok: true,
          text: `Your app signed in as its service principal ${identity.name} at ${at(own.time)}.`,
        });
      else if (other) {
        findings.push({
          ok: false,
          text: `Your app signed in as ${other.caller?.displayName ?? other.caller?.appId} at ${at(other.time)}, not as its own service principal ${identity.name}.`,
          hint: [
            "Use the settings App Service gives your app (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), not another app's.",
            seeFor(other.caller?.displayName ?? other.caller?.appId),
          ],
        });
      } else {
        findings.push({
          ok: false,
          text: `The sandbox saw no sign-in by your app since it started at ${since}: it never asked Microsoft Entra ID for a token, so it cannot have read Key Vault.`,
          hint: [
            "Sign in with new DefaultAzureCredential() and read the key with a SecretClient at start-up (the 🐨 in src/server.ts).",
            seeFor(),
          ],
        });
      }
    } else {
      const secret = secretSignIns[0];
      const managed = events.find(
        (event) =>
          event.category === "ManagedIdentitySignInLogs" &&
          event.resultType === "Success" &&
          event.caller?.objectId === identity.objectId,
      );
      if (secret) {
        findings.push({
          ok: false,
          text: `Your app signed in with a client secret at ${at(secret.time)}, as ${secret.caller?.displayName ?? secret.caller?.appId}; step ${this.#step} wants its managed identity.`,
          hint: [
            `Remove AZURE_CLIENT_SECRET (and AZURE_CLIENT_ID, AZURE_TENANT_ID) from ${this.#whereSecretsAre()}: with them gone, DefaultAzureCredential uses IDENTITY_ENDPOINT, the managed identity App Service gives your app.`,
            seeFor(secret.caller?.displayName ?? secret.caller?.appId),
          ],
        });
      } else if (managed) {
        findings.push({
          ok: true,
          text: `Your app signed in with its managed identity (${identity.name}) at ${at(managed.time)}, and with no client secret.`,
        });
      } else {
        findings.push({
          ok: false,
          text: `The sandbox saw no sign-in by your app's managed identity (${identity.name}) since it started at ${since}.`,
          hint: [
            "Sign in with new DefaultAzureCredential(): App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER make it use the managed identity.",
            seeFor(),
          ],
        });
      }
    }

    // Who read the key.
    const reads = events.filter((event) => event.category === "AuditEvent" && event.operationName === "SecretGet");
    const ownRead = reads.find(
      (event) => event.caller?.objectId === identity.objectId && event.authorization?.decision === "Allowed",
    );
    const otherRead = reads.find(
      (event) => event.caller?.objectId !== identity.objectId && event.authorization?.decision === "Allowed",
    );
    if (ownRead) {
      findings.push({
        ok: true,
        text: `It read the key from Key Vault at ${at(ownRead.time)}, allowed by ${ownRead.authorization?.roleDefinitionName} on ${scopeName(ownRead.authorization?.roleAssignmentScope ?? "")}.`,
      });
    } else if (otherRead && !findings.some((finding) => !finding.ok)) {
      findings.push({
        ok: false,
        text: `The key was read from Key Vault at ${at(otherRead.time)} by ${otherRead.caller?.displayName ?? otherRead.caller?.objectId}, not by your app's identity (${identity.name}).`,
        hint: [
          "Sign in as your own app: new DefaultAzureCredential(), with the settings App Service gives it.",
          seeFor(),
        ],
      });
    } else if (!ownRead && findings.every((finding) => finding.ok)) {
      findings.push({
        ok: false,
        text: `The sandbox saw no Key Vault read by your app since it started at ${since}: the key still comes from somewhere else.`,
        hint: [
          "Read it at start-up with SecretClient.getSecret(THIRD_PARTY_API_SECRET_NAME) (the 🐨 in src/thirdPartyKey.ts and src/server.ts).",
          seeFor(),
        ],
      });
    }

    // Under which roles.
    const { missing, tooWide, misScoped } = compareRoles(this.#exercise, app, view);
    const required = requiredRoles(this.#exercise, view);
    if (misScoped.length > 0) findings.push(misScopedFinding(identity, misScoped));
    if (tooWide.length > 0) {
      findings.push({
        ok: false,
        text: `Your app's identity (${identity.name}) has more access than the lesson gives it: ${tooWide.map((held) => `${held.role} on ${scopeName(held.scope)}`).join(", ")}.`,
        hint: [
          ...tooWide.map((held) => whyTooWide(held, required)),
          `Least privilege: delete what it does not need${missing.length > 0 ? ", and grant what it does:" : ":"}`,
          ...tooWide.map((held) => `  ${azLine(roleArgs("delete", identity.objectId, held.role, held.scope))}`),
          ...missing.map((wanted) => `  ${azLine(roleArgs("create", identity.objectId, wanted.role, wanted.scope))}`),
        ],
      });
    } else if (missing.length === 0 && misScoped.length === 0) {
      findings.push({
        ok: true,
        text: `Its roles are the lesson's, no wider: ${required.map((wanted) => `${wanted.role} on ${scopeName(wanted.scope)}`).join(", ")}.`,
      });
    }
    return findings;
  }

  /** Where the client secret comes from, for the hint: the .env file, the code, or both. */
  #whereSecretsAre(): string {
    const uses = clientSecretUses(workspaceFiles(this.#dir));
    const inEnv = uses.some((use) => use.file === ".env");
    const inCode = uses.some((use) => use.file !== ".env");
    return inEnv && inCode
      ? ".env and src/config.ts"
      : inEnv
        ? ".env"
        : inCode
          ? [...new Set(uses.map((use) => use.file))].join(" and ")
          : "your app's settings";
  }

  /**
   * Exercise 04: one message per code, sent before the answer. The sandbox holds the app's queue requests
   * for a second, so the order is plain: a send that was awaited is logged before the answer arrives; a
   * send after the answer (or one not awaited) is logged a second after it.
   */
  async queueOrder(app: WorkspaceAppState, view: WorkspaceView): Promise<Finding[]> {
    const isSend = (event: AuditEvent) =>
      event.category === "StorageQueueLogs" &&
      event.operationName === "PutMessage" &&
      event.caller?.objectId === app.identity.objectId;
    const lastId = async () => (await this.#client.audit(app.auditAfter)).at(-1)?.id ?? app.auditAfter;
    /** Waits until a send after event `fromId` is logged, or the deadline. */
    const sendAfter = async (fromId: number, deadline: number) => {
      while (Date.now() < deadline && !(await this.#client.audit(fromId)).some(isSend)) await sleep(100);
    };
    // The first call's message, if it came after its answer, lands first: it must not pass for the next call's.
    await sendAfter(
      (await this.#client.audit(app.auditAfter)).filter(isSend).at(-1)?.id ?? app.auditAfter,
      Date.now() + 500,
    );
    const calls: (CallResult & { fromId: number })[] = [];
    await this.#client.setQueueDelay({ ms: QUEUE_HOLD_MS, principalId: app.identity.objectId });
    try {
      for (let i = 0; i < ORDER_CALLS; i++) {
        const fromId = await lastId();
        const call = await this.#call(app);
        calls.push({ ...call, fromId });
        // A send awaited before the answer is logged already; one after the answer lands within the hold: wait for it,
        // so that each call's send is logged before the next call starts.
        await sendAfter(fromId, call.answeredAt + QUEUE_HOLD_MS + 500);
      }
    } finally {
      await this.#client.setQueueDelay(null);
    }
    const events = await this.#client.audit(calls[0]?.fromId ?? app.auditAfter);
    // The check's own messages go first, whatever it finds: a call that failed may follow one that queued its code.
    const counts = await this.#client.removeCodes(calls.flatMap((call) => (call.code ? [call.code] : [])));
    const failedCall = calls.find((call) => call.status !== 200 || !call.code);
    if (failedCall) {
      const explained = this.#explainDenials(events, app, view);
      return [
        explained ?? {
          ok: false,
          text: `GET /api/v1/getcode answered ${failedCall.status}${failedCall.error ? `: ${failedCall.error}` : ""}`,
          hint: failedCall.hint ? [failedCall.hint] : [],
        },
      ];
    }
    const sends = events.filter(isSend);
    const findings: Finding[] = [];
    calls.forEach((call, index) => {
      const until = calls[index + 1]?.fromId ?? Number.POSITIVE_INFINITY;
      const mine = sends.filter((event) => event.id > call.fromId && event.id <= until);
      const late = mine.find((event) => Date.parse(event.time) > call.answeredAt);
      const count = counts[call.code ?? ""] ?? 0;
      if (mine.length === 0 && count === 0) {
        findings.push({
          ok: false,
          text: `Your app issued ${call.code} at ${atMs(call.answeredAt)}, but the sandbox saw no queue message for it.`,
          hint: [
            "Send one message per code, with QueueClient.sendMessage, before you answer (the 🐨 in src/app.ts and src/server.ts).",
          ],
        });
      } else if (late) {
        findings.push({
          ok: false,
          text: `Your app answered ${call.code} at ${atMs(call.answeredAt)} and its queue message was sent at ${atMs(late.time)}: after the answer (the sandbox held each send ${QUEUE_HOLD_MS / 1000} s to see the order).`,
          hint: [
            "Queue first, answer second: await codeQueue.send(issued) before res.json(issued). If the send fails, the caller must get no code:",
            "a code the back-end never hears of must never be issued.",
          ],
        });
      } else if (count !== 1) {
        findings.push({
          ok: false,
          text: `${count} queue messages carry the code ${call.code}: one per code, please.`,
          hint: ["Send the message once per request, with the code and its timestamp: JSON.stringify(issued)."],
        });
      }
    });
    if (findings.length > 1) {
      // The same mistake for every call is one finding.
      const [first] = findings;
      const same = findings.filter((finding) => finding.hint?.[0] === first?.hint?.[0]).length - 1;
      if (first && same === findings.length - 1)
        return [
          { ...first, text: `${first.text} The same for ${same === 1 ? "the next code" : `the next ${same} codes`}.` },
        ];
    }
    if (findings.length === 0) {
      const times = sends.slice(-calls.length).map((event) => atMs(event.time));
      findings.push({
        ok: true,
        text: `One queue message per code, each sent before the answer (at ${times.join(" and ")}, the answers after).`,
      });
    }
    return findings;
  }

  /**
   * Each refusal the lesson teaches the app to answer (the exercise's `refusals`): Azure refuses the app's
   * identity for one call, on purpose, and the answer must be the lesson's: its status, an error and a hint,
   * and no code.
   */
  async refusals(app: WorkspaceAppState, view: WorkspaceView): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const refusal of this.#exercise.refusals ?? []) {
      const denied = await this.#client.deny(app.identity.objectId, view.scopes[refusal.scope]);
      let answer: CallResult;
      try {
        answer = await this.#call(app);
      } finally {
        await this.#client.endDeny(denied);
      }
      const lessons = answer.status === refusal.status && !answer.code && answer.error && answer.hint;
      if (lessons) {
        findings.push({
          ok: true,
          text: `When ${refusal.what} (the check refused it on purpose), your app answered ${answer.status} with no code, and a hint: ${answer.hint}`,
        });
        continue;
      }
      const said = `${answer.status || "nothing"}${answer.error ? ` "${answer.error}"` : ""}${answer.code ? `, and issued ${answer.code}` : ""}`;
      findings.push({
        ok: false,
        text: `When ${refusal.what} (the check refused it on purpose), your app answered ${said}. The lesson answers ${refusal.status}, with no code and a hint that says why.`,
        hint: [refusal.fix],
      });
    }
    return findings;
  }

  /** The contract every step keeps, over HTTP; for exercise 04 also one message per code it issued. */
  async contract(app: WorkspaceAppState): Promise<Finding> {
    const { report, codes } = await runCheckpoint({
      step: this.#step,
      url: app.url ?? "",
      logsPath: `/workspace/${this.#step}/logs`,
    });
    const queue = sendsToQueue(this.#exercise);
    const counts = queue || codes.length > 0 ? await this.#client.removeCodes(codes) : {};
    const total = checksThatRan(report).length;
    const loadError = report.setUpError;
    if (total === 0)
      return {
        ok: false,
        text: `The contract checks did not run${loadError ? ` (${loadError.split("\n")[0]})` : ""}: try npm run doctor.`,
      };
    const failures = failedChecks(report);
    if (failures.length > 0) {
      return {
        ok: false,
        text: `${failures.length} of ${total} contract checks over HTTP failed:`,
        hint: failures.flatMap(({ title, message }) => [fail(title), dim(`  ${message}`)]),
      };
    }
    if (queue) {
      const wrong = Object.entries(counts).filter(([, count]) => count !== 1);
      if (wrong.length > 0) {
        return {
          ok: false,
          text: `The contract checks issued ${codes.length} codes, and ${wrong.length} of them did not get exactly one queue message (${wrong
            .slice(0, 3)
            .map(([code, count]) => `${code}: ${count}`)
            .join(", ")}${wrong.length > 3 ? ", ..." : ""}).`,
          hint: ["Every code issued gets exactly one message, even when many callers come at once."],
        };
      }
    }
    return {
      ok: true,
      text: `It keeps the contract every step keeps: ${total} of ${total} checks over HTTP${queue ? `, and one queue message for each of the ${codes.length} codes they were issued` : ""}.`,
    };
  }

  /** The check's own queue messages go: the learner's queue is left as the check found it. */
  async cleanUp(): Promise<void> {
    if (this.#codes.length > 0) await this.#client.removeCodes(this.#codes.splice(0));
  }
}

/** The lesson's roles assigned beside their resource: each named, and the commands that move them where they count. */
export function misScopedFinding(identity: WorkspaceIdentity, misScoped: readonly MisScoped[]): Finding {
  return {
    ok: false,
    text: `Your app's identity (${identity.name}) has a role the lesson gives it, but not where the lesson gives it: ${misScoped.map(misScopedText).join(" ")}`,
    hint: [
      "Grant it where it counts, and delete the one that grants nothing:",
      ...misScoped.flatMap(({ held, wanted }) => [
        `  ${azLine(roleArgs("create", identity.objectId, wanted.role, wanted.scope))}`,
        `  ${azLine(roleArgs("delete", identity.objectId, held.role, held.scope))}`,
      ]),
    ],
  };
}

/** Lines that need a client secret: code (not comments) that requires or reads it, or a .env that sets it. */
export function clientSecretUses(files: ReadonlyMap<string, string>): { file: string; line: number; what: string }[] {
  const uses: { file: string; line: number; what: string }[] = [];
  for (const [file, text] of files) {
    text.split("\n").forEach((line, index) => {
      const code =
        file === ".env"
          ? line.replace(/^\s*#.*$/, "")
          : line.replace(/^\s*(\/\/|\*|\/\*).*$/, "").replace(/\/\/.*$/, "");
      // A setting the code requires or reads (`AZURE_CLIENT_SECRET: z.string()`, `process.env.AZURE_CLIENT_SECRET`), not a message that names it.
      const requires =
        file === ".env"
          ? /^\s*(export\s+)?AZURE_CLIENT_SECRET\s*=/.test(code)
          : /\bAZURE_CLIENT_SECRET\s*:|env(\.|\[\s*["'`])AZURE_CLIENT_SECRET\b/.test(code);
      const what = requires
        ? "AZURE_CLIENT_SECRET"
        : /\bClientSecretCredential\b/.test(code)
          ? "ClientSecretCredential"
          : undefined;
      if (what) uses.push({ file, line: index + 1, what });
    });
  }
  return uses;
}
