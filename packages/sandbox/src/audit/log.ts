/**
 * The sandbox's audit log: every sign-in to Microsoft Entra ID and every Key
 * Vault and Queue Storage request, with who made it, how they signed in, what
 * it needed, and what Azure RBAC decided. The field names are Azure's own
 * (Entra ID's sign-in logs, Key Vault's AuditEvent, Storage's
 * StorageQueueLogs), so a search for one finds Microsoft's documentation.
 *
 * It never holds a secret value or a token: a token appears only as its
 * `uti` claim (Entra ID's uniqueTokenIdentifier) and, to explain a denial, the
 * claims that decide (audience, tenant, lifetime, object id: Key Vault's
 * `identity.claim`), never its signature; a URL without its query.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
// jose's decoder alone: its index loads every algorithm, and the `az` CLI reads this log.
import { decodeJwt } from "jose/jwt/decode";
import type { TokenProblem } from "../contracts.ts";
import type { RbacDecision } from "../contracts.ts";

/**
 * Which Azure log an event belongs to: each provider declares the logs it
 * writes (its manifest's `auditCategories`), and the registry lists them all
 * (AUDIT_CATEGORY_INFO): SignInLogs, ServicePrincipalSignInLogs,
 * ManagedIdentitySignInLogs, AuditEvent (Key Vault), StorageQueueLogs,
 * AzureActivity (the Activity log). The log is given them when it is made.
 */
export type AuditCategory = string;

/** How a caller proved who it is: sign-in logs' clientCredentialType (plus the developer's own sign-in). */
export type CredentialKind =
  | "clientSecret"
  | "managedIdentity"
  | "federatedIdentityCredential"
  | "developerSignIn"
  | "bearerToken";

export interface AuditCaller {
  /** `oid`: the object id role assignments name (unknown for an app the directory does not know). */
  readonly objectId?: string;
  /** `appid`: the client id, for apps and managed identities. */
  readonly appId?: string;
  readonly displayName?: string;
  readonly type?: "User" | "ServicePrincipal" | "ManagedIdentity";
}

/** What Azure RBAC decided for a data-plane request. */
export interface AuthorizationDecision {
  readonly decision: "Allowed" | "Denied";
  /** The data action the operation needs, e.g. Microsoft.KeyVault/vaults/secrets/getSecret/action. */
  readonly action: string;
  /** The resource the action was checked on (its ARM id). */
  readonly scope: string;
  /** The role assignment that granted it. */
  readonly roleAssignmentId?: string;
  readonly roleDefinitionName?: string;
  readonly roleAssignmentScope?: string;
  /** A denial's assignment that would grant it once it takes effect (Azure's propagation), and when. */
  readonly propagatingUntil?: string;
  /** A denial by a deny assignment: why it was made. */
  readonly denyAssignment?: string;
}

export interface AuditEvent {
  /** A number, increasing: the order events happened in. */
  readonly id: number;
  /** When, ISO 8601 (`time` in AuditEvent, `createdDateTime` in sign-in logs). */
  readonly time: string;
  readonly category: AuditCategory;
  /** What happened: Key Vault's `SecretGet`, Storage's `PutMessage`, or `Sign-in activity`. */
  readonly operationName: string;
  /** `Success` or `Failure`, as every Azure log has it. */
  readonly resultType: "Success" | "Failure";
  /** The HTTP status answered (Key Vault's httpStatusCode, Storage's StatusCode). */
  readonly statusCode: number;
  /** Azure's error code: AADSTS7000215, ForbiddenByRbac, AuthorizationPermissionMismatch. */
  readonly errorCode?: string;
  /** Why, in a sentence, for failures (sign-in logs' failureReason). */
  readonly failureReason?: string;
  /** Who called, when the sandbox knows (a refused token names nobody). */
  readonly caller?: AuditCaller;
  readonly clientCredentialType?: CredentialKind;
  /** A user's sign-in with a username and password (Entra ID's authenticationProtocol `ropc`: the real `az login -u -p`). */
  readonly authenticationProtocol?: "ropc";
  /** A user's later sign-in with the refresh token of an earlier one (Entra ID's incomingTokenType). */
  readonly incomingTokenType?: "refreshToken";
  /** Sign-ins: the resource the token is for (resourceId); data requests: the ARM id of the vault or queue. */
  readonly resource?: string;
  /** The operation's data action and RBAC's decision, for data-plane requests that got that far. */
  readonly authorization?: AuthorizationDecision;
  /** The presented token's claims that decide whether it is accepted (audience, tenant, lifetime, object id). */
  readonly tokenClaims?: TokenClaims;
  /** Why the presented token was refused, when it was: its audience, tenant, lifetime... */
  readonly tokenProblem?: TokenProblem;
  /** Azure's own error message, as the caller got it (Key Vault's resultDescription). */
  readonly resultDescription?: string;
  /** The Activity log's details: the role and principal of an assignment, a key's name, a health event's state. */
  readonly properties?: Readonly<Record<string, string>>;
  /** The token issued or presented, by its uti claim: never the token itself. */
  readonly uniqueTokenIdentifier?: string;
  /** The request, without its query string. */
  readonly requestUri?: string;
  readonly httpMethod?: string;
  readonly durationMs?: number;
  /** W3C trace context of the request, when the caller sent one: joins the log with the caller's traces. */
  readonly traceId?: string;
  readonly spanId?: string;
}

/**
 * The claims of a bearer token that decide whether it is accepted, as Key Vault's AuditEvent
 * keeps them (`identity.claim`): never the token itself, and no signature.
 */
export interface TokenClaims {
  readonly aud?: string;
  readonly iss?: string;
  readonly tid?: string;
  readonly oid?: string;
  readonly appid?: string;
  readonly iat?: number;
  readonly nbf?: number;
  readonly exp?: number;
}

/** The claims that matter of the token in an Authorization header; undefined when it holds no JWT. */
export function tokenClaimsOf(authorization: string | undefined): TokenClaims | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) return undefined;
  try {
    const claims = decodeJwt(token);
    const text = (value: unknown) =>
      typeof value === "string"
        ? value.slice(0, 256)
        : Array.isArray(value)
          ? value.join(", ").slice(0, 256)
          : undefined;
    const time = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
    const picked = {
      aud: text(claims.aud),
      iss: text(claims.iss),
      tid: text(claims["tid"]),
      oid: text(claims["oid"]),
      appid: text(claims["appid"]),
      iat: time(claims.iat),
      nbf: time(claims.nbf),
      exp: time(claims.exp),
    };
    return Object.fromEntries(Object.entries(picked).filter(([, value]) => value !== undefined)) as TokenClaims;
  } catch {
    return undefined;
  }
}

/**
 * What a service records; `time` is now unless it says when (the pipeline gives the moment it answered, so that
 * whatever the caller did on receiving the answer is logged after it, however busy this process is meanwhile).
 */
export type AuditRecord = Omit<AuditEvent, "id" | "time"> & { readonly time?: string };

/** What services write to. */
export interface AuditSink {
  record(event: AuditRecord): void;
}

export interface AuditFilter {
  /** Only events of this caller: object id, client id or display name. */
  readonly caller?: string;
  readonly category?: AuditCategory;
  /** Only events after this id (for polling). */
  readonly after?: number;
  /** At most this many, the latest. */
  readonly last?: number;
}

/** Names a principal by object id: the directory, so events show who, not only an id. */
export type CallerLookup = (objectId: string) => AuditCaller | undefined;

const MAX_EVENTS = 10_000;

/** Reads the W3C `traceparent` header: `00-<trace id>-<span id>-<flags>`. */
export function traceContext(traceparent: string | string[] | undefined): { traceId?: string; spanId?: string } {
  const match =
    typeof traceparent === "string"
      ? /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/.exec(traceparent.trim())
      : null;
  return match ? { traceId: match[1] ?? "", spanId: match[2] ?? "" } : {};
}

/** RBAC's decision as the log records it: the assignment that granted the action, or the one still propagating. */
export function authorizationOf(decision: RbacDecision, action: string, scope: string): AuthorizationDecision {
  const granted = decision.assignment;
  const pending = decision.pending;
  return {
    decision: decision.allowed ? "Allowed" : "Denied",
    action,
    scope,
    ...(granted
      ? {
          roleAssignmentId: granted.id,
          roleDefinitionName: granted.roleDefinitionName,
          roleAssignmentScope: granted.scope,
        }
      : {}),
    ...(pending
      ? {
          roleDefinitionName: pending.roleDefinitionName,
          roleAssignmentScope: pending.scope,
          propagatingUntil: new Date(pending.effectiveFrom).toISOString(),
        }
      : {}),
    ...(decision.denied ? { denyAssignment: decision.denied.description } : {}),
  };
}

/** A request's path without its query string (which may hold a SAS or a code). */
export const uriWithoutQuery = (url: string | undefined) => (url ?? "").split("?")[0]?.slice(0, 512) ?? "";

/** How long the file's lines wait to be written together. */
const FILE_BATCH_MS = 100;

export class AuditLog implements AuditSink {
  readonly #events: AuditEvent[] = [];
  readonly #lookup: CallerLookup;
  readonly #file: WriteStream | undefined;
  readonly #listeners = new Set<(event: AuditEvent) => void>();
  #nextId = 1;

  /** `file`: where to append each event as a JSON line (`.sandbox/audit.jsonl`); none keeps it in memory only. */
  /** The categories its events may have, in the order a learner meets them. */
  readonly categories: readonly AuditCategory[];

  constructor(options: {
    readonly lookup: CallerLookup;
    readonly categories: readonly AuditCategory[];
    readonly file?: string;
  }) {
    this.#lookup = options.lookup;
    this.categories = options.categories;
    if (options.file) {
      mkdirSync(dirname(options.file), { recursive: true });
      this.#file = createWriteStream(options.file, { flags: "a", mode: 0o600 });
      // A full disk must not end the sandbox: the log in memory goes on.
      this.#file.on("error", () => {});
    }
  }

  record(record: AuditRecord): void {
    // Naming the caller is a courtesy of the log: a lookup that fails (a sandbox stopping) leaves the id alone.
    let known: AuditCaller | undefined;
    try {
      known = record.caller?.objectId ? this.#lookup(record.caller.objectId) : undefined;
    } catch {
      known = undefined;
    }
    const event: AuditEvent = {
      id: this.#nextId++,
      ...record,
      time: record.time ?? new Date().toISOString(),
      ...(record.caller
        ? {
            caller: {
              ...known,
              ...record.caller,
              ...(known?.displayName ? { displayName: known.displayName } : {}),
              ...(known?.type ? { type: known.type } : {}),
            },
          }
        : {}),
    };
    this.#events.push(event);
    if (this.#events.length > MAX_EVENTS) this.#events.splice(0, this.#events.length - MAX_EVENTS);
    this.#append(`${JSON.stringify(event)}\n`);
    for (const listener of this.#listeners) listener(event);
  }

  /**
   * Appends a line to the file, in one write a tenth of a second rather than one an event: each write left the file
   * system's journal something to flush, and the state store's next commit (a sync) waited for it, about ten times
   * longer than for its own data. A kill loses at most the last tenth of a second of the file; the log in memory
   * (what `list` and the live view read) has every event at once.
   */
  #append(line: string): void {
    const file = this.#file;
    if (!file) return;
    if (!file.writableCorked) {
      file.cork();
      setTimeout(() => file.uncork(), FILE_BATCH_MS).unref();
    }
    file.write(line);
  }

  list(filter: AuditFilter = {}): AuditEvent[] {
    const caller = filter.caller?.toLowerCase();
    const matching = this.#events.filter(
      (event) =>
        (filter.after === undefined || event.id > filter.after) &&
        (filter.category === undefined || event.category === filter.category) &&
        (caller === undefined ||
          [event.caller?.objectId, event.caller?.appId, event.caller?.displayName].some(
            (name) => name?.toLowerCase() === caller,
          )),
    );
    return filter.last === undefined ? matching : matching.slice(-filter.last);
  }

  /** Calls `listener` with each new event; returns how to stop. */
  subscribe(listener: (event: AuditEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    const file = this.#file;
    return file ? new Promise((resolve) => file.end(() => resolve())) : Promise.resolve();
  }
}
