/**
 * Why was I denied? One answer for every 401 and 403 the audit log holds,
 * shared by the live view and `az sandbox denials`: the token's claims that
 * mattered (audience, tenant, expiry, object id), the action the request
 * needed, the built-in roles that grant it, the assignment that is missing or
 * still propagating (and when it takes effect), and the exact `az` command
 * that fixes it. Azure's own error code and message stay beside it.
 *
 * Pure: it reads an audit event and the state it is given (principals, role
 * assignments, the time), and returns words; it changes nothing.
 */
import type { AuditEvent, TokenClaims } from "../audit/log.ts";
import { isDataAction, type RoleDefinition, roleGrants, scopeCovers } from "../roles.ts";
import { DENIAL_WORDINGS, ROLE_DEFINITIONS } from "../registry.ts";
import { CLOCK_SKEW_SECONDS } from "../providers/entra/clockSkew.ts";

/** What kind of denial, in the order a learner meets them. */
export type DenialKind =
  /** A deny assignment blocked it, whatever role grants it. */
  | "denyAssignment"
  /** No role assignment grants the action anywhere. */
  | "noRole"
  /** A role that grants it is assigned, but at a scope that does not cover the resource. */
  | "wrongScope"
  /** The assignment exists and takes effect soon: Azure's propagation. */
  | "propagating"
  /** The token is for another resource. */
  | "wrongAudience"
  /** The token expired (beyond the clock skew Azure allows). */
  | "expired"
  /** The token is from another tenant (or another issuer). */
  | "wrongTenant"
  /** Any other refused token: a signature, a malformed token, a token not yet valid. */
  | "badToken"
  /** An account key or SAS, where only Microsoft Entra ID is allowed. */
  | "keyAuthentication"
  /** Microsoft Entra ID refused to issue a token (AADSTS...). */
  | "signIn";

/** Someone the directory knows. */
export interface PrincipalInfo {
  readonly objectId: string;
  readonly displayName: string;
  readonly type: string;
  readonly appId?: string;
}

/** A role assignment as RBAC (and `az role assignment list`) holds it. */
export interface AssignmentInfo {
  readonly id: string;
  readonly principalId: string;
  readonly roleDefinitionName: string;
  readonly scope: string;
  /** When it counts from (ms since the epoch): later than now while it propagates. */
  readonly effectiveFrom: number;
}

export interface DenialContext {
  /** Now, in ms since the epoch: whether a propagating assignment has taken effect since. */
  readonly now: number;
  /** The tenant whose tokens the services accept. */
  readonly tenantId: string;
  readonly principals: readonly PrincipalInfo[];
  readonly assignments: readonly AssignmentInfo[];
  readonly roles?: readonly RoleDefinition[];
}

/** One claim of the token, and whether it was what the service wanted. */
export interface ClaimCheck {
  readonly claim: "aud" | "tid" | "exp" | "oid";
  readonly label: string;
  readonly found: string;
  readonly expected?: string;
  readonly ok: boolean;
}

export interface Explanation {
  readonly kind: DenialKind;
  /** One sentence: what went wrong. */
  readonly title: string;
  /** Azure's answer, as the caller got it. */
  readonly azure: { readonly status: number; readonly code: string; readonly message?: string };
  readonly service: string;
  readonly operation: string;
  readonly time: string;
  readonly caller?: PrincipalInfo;
  /** The token's claims that mattered, when a token was presented. */
  readonly claims: readonly ClaimCheck[];
  /** The data action the request needed, and on which resource. */
  readonly action?: string;
  readonly resource?: string;
  /** The built-in roles whose actions include it, least privilege first. */
  readonly grantingRoles: readonly string[];
  /** The caller's assignments of those roles, and whether each covers the resource and counts now. */
  readonly assignments: readonly {
    readonly role: string;
    readonly scope: string;
    readonly coversResource: boolean;
    readonly state: "effective" | "propagating";
    readonly effectiveFrom: string;
  }[];
  /** What is missing: the role at the scope that would grant it. */
  readonly missing?: { readonly role: string; readonly scope: string };
  /** The assignment still propagating: when it takes effect, and whether it has since. */
  readonly propagating?: {
    readonly role: string;
    readonly scope: string;
    readonly takesEffectAt: string;
    readonly inSeconds: number;
  };
  /** Why, in a few sentences. */
  readonly reasons: readonly string[];
  /** What to do: a command when one fixes it, and a sentence. */
  readonly fix: { readonly text: string; readonly command?: string };
}

/** Each data plane's wording, by the audit category its requests are logged under. */
const wordingOf = (category: string) => DENIAL_WORDINGS.find((wording) => wording.category === category);
/** The data planes' categories: their requests can be denied by RBAC, or challenged. */
const isDataPlane = (category: string) => wordingOf(category) !== undefined;

/** The audiences the services accept, by the log they write. */
export const SERVICE_AUDIENCES: Readonly<Record<string, string>> = Object.fromEntries(
  DENIAL_WORDINGS.map((wording) => [wording.category, wording.audience]),
);
/** Who refused, in the learner's words, by log. */
function serviceOf(category: string): string {
  if (category === "ManagedIdentitySignInLogs") return "Managed identity endpoint";
  if (category.endsWith("SignInLogs")) return "Microsoft Entra ID";
  return wordingOf(category)?.service ?? category;
}

/**
 * Whether an event is a denial worth explaining: a data-plane 401 or 403 (but not the challenge
 * every SDK meets first, a request without a token), or a sign-in Microsoft Entra ID refused.
 */
export function isDenial(event: AuditEvent): boolean {
  if (event.resultType !== "Failure") return false;
  if (event.category.endsWith("SignInLogs")) return event.statusCode === 400 || event.statusCode === 401;
  if (!isDataPlane(event.category)) return false;
  if (event.statusCode === 403) return event.errorCode !== "SecretDisabled";
  return event.statusCode === 401 && event.tokenProblem !== undefined && event.tokenProblem !== "missing";
}

/** A request without a token, answered 401 with where to get one: the first step of every SDK call, not a denial. */
export function isChallenge(event: AuditEvent): boolean {
  return (
    event.statusCode === 401 &&
    isDataPlane(event.category) &&
    (event.tokenProblem === undefined || event.tokenProblem === "missing")
  );
}

const covers = scopeCovers;

/** The roles that grant an action, least privilege first (fewest actions), then by name. */
export function rolesGranting(action: string, roles: readonly RoleDefinition[] = ROLE_DEFINITIONS): RoleDefinition[] {
  // A wildcard counts as more than any list, and the shorter its prefix the broader it is.
  const size = (role: RoleDefinition) =>
    [...role.actions, ...role.dataActions].reduce(
      (sum, pattern) => sum + (pattern.endsWith("*") ? 1000 - pattern.length : 1),
      0,
    );
  const kind = isDataAction(roles, action) ? "data" : "control";
  return roles
    .filter((role) => roleGrants(role, action, kind))
    .sort((a, b) => size(a) - size(b) || a.name.localeCompare(b.name));
}

/** The scope a fix assigns at, as the lessons do: each data plane says (the vault for a secret, the queue for its messages). */
export function fixScope(resource: string): string {
  return DENIAL_WORDINGS.reduce((scope, wording) => wording.fixScope?.(scope) ?? scope, resource);
}

const isoOf = (seconds: number | undefined) =>
  seconds === undefined ? "(none)" : new Date(seconds * 1000).toISOString();
const quote = (text: string) => (/^[\w./:-]+$/.test(text) ? text : `"${text}"`);
const shortScope = (scope: string) =>
  scope
    .replace(/^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i, "…/$1")
    .replace(/\/providers\/Microsoft\.\w+\//i, "/");

/** The `az role assignment create` that grants `role` on `scope` to the principal. */
export function grantCommand(principalId: string, role: string, scope: string): string {
  return `az role assignment create --assignee ${principalId} --role ${quote(role)} --scope ${scope}`;
}

/** Explains one denial (see isDenial). */
export function explainDenial(event: AuditEvent, context: DenialContext): Explanation {
  const claims = event.tokenClaims;
  const objectId = event.caller?.objectId ?? claims?.oid;
  const known = objectId ? context.principals.find((principal) => principal.objectId === objectId) : undefined;
  const caller: PrincipalInfo | undefined =
    known ??
    (objectId || event.caller?.appId
      ? {
          objectId: objectId ?? "",
          displayName: event.caller?.displayName ?? event.caller?.appId ?? objectId ?? "",
          type: event.caller?.type ?? "unknown",
          ...(event.caller?.appId ? { appId: event.caller.appId } : {}),
        }
      : undefined);
  const code = event.errorCode ?? (event.statusCode === 403 ? "Forbidden" : "Unauthorized");
  const message = event.resultDescription ?? event.failureReason ?? wordingOf(event.category)?.messages?.[code];
  const base = {
    azure: { status: event.statusCode, code, ...(message ? { message } : {}) },
    service: serviceOf(event.category),
    operation: event.operationName,
    time: event.time,
    ...(caller ? { caller } : {}),
    claims: claimChecks(event, claims, context),
  };
  const who = caller?.displayName || "The caller";

  if (event.category.endsWith("SignInLogs")) return { ...base, ...signIn(event, who) };
  const keyAuthentication = wordingOf(event.category)?.keyAuthentication;
  if (code === "KeyBasedAuthenticationNotPermitted" && keyAuthentication) {
    return {
      ...base,
      kind: "keyAuthentication",
      title: `${base.service} refused an account key or SAS: only Microsoft Entra ID sign-ins are allowed.`,
      grantingRoles: [],
      assignments: [],
      reasons: [keyAuthentication.reason],
      fix: { text: keyAuthentication.fix },
    };
  }
  if (event.statusCode === 401) return { ...base, ...tokenRefused(event, claims, context, who) };
  return { ...base, ...forbidden(event, context, who, caller) };
}

function claimChecks(event: AuditEvent, claims: TokenClaims | undefined, context: DenialContext): ClaimCheck[] {
  if (!claims) return [];
  const expectedAudience = expectedAudienceOf(event);
  const checks: ClaimCheck[] = [];
  if (claims.aud !== undefined) {
    const ok = event.tokenProblem !== "audience";
    checks.push({
      claim: "aud",
      label: "audience",
      found: claims.aud,
      ...(expectedAudience ? { expected: expectedAudience } : {}),
      ok,
    });
  }
  if (claims.tid !== undefined)
    checks.push({
      claim: "tid",
      label: "tenant",
      found: claims.tid,
      expected: context.tenantId,
      ok: claims.tid === context.tenantId,
    });
  if (claims.exp !== undefined) {
    const expired = event.tokenProblem === "expired";
    checks.push({
      claim: "exp",
      label: "expires",
      found: isoOf(claims.exp),
      expected: `after ${event.time}, give or take ${CLOCK_SKEW_SECONDS / 60} minutes of clock skew`,
      ok: !expired,
    });
  }
  if (claims.oid !== undefined) checks.push({ claim: "oid", label: "object id", found: claims.oid, ok: true });
  return checks;
}

/** The audience the service wanted: from Key Vault's own message when it names it, else the service's resource. */
function expectedAudienceOf(event: AuditEvent): string | undefined {
  const named = /Expected (https?:\/\/[^\s,]+?)[,.]? found/i.exec(event.resultDescription ?? "")?.[1];
  return named ?? SERVICE_AUDIENCES[event.category];
}

type Verdict = Omit<Explanation, "azure" | "service" | "operation" | "time" | "caller" | "claims">;

function tokenRefused(
  event: AuditEvent,
  claims: TokenClaims | undefined,
  context: DenialContext,
  who: string,
): Verdict {
  const none = { grantingRoles: [], assignments: [] };
  const expected = expectedAudienceOf(event) ?? "the service's resource";
  if (event.tokenProblem === "audience") {
    return {
      ...none,
      kind: "wrongAudience",
      title: `${who}'s token is for ${claims?.aud ?? "another resource"}, not for ${expected}.`,
      reasons: [
        `A token names the one resource it is for (its aud claim). ${serviceOf(event.category)} accepts only tokens for ${expected}.`,
        "The Azure SDKs ask for the right resource by themselves (a service's 401 challenge names it); a token fetched by hand, or a client given the wrong scope, gets this.",
      ],
      fix: {
        text: `Get the token for ${expected} (scope ${expected}/.default).`,
        command: `az account get-access-token --resource ${expected}`,
      },
    };
  }
  if (event.tokenProblem === "expired") {
    return {
      ...none,
      kind: "expired",
      title: `${who}'s token expired at ${isoOf(claims?.exp)}.`,
      reasons: [
        `Azure accepts a token until its exp claim, plus ${CLOCK_SKEW_SECONDS / 60} minutes for clocks that differ. This one was presented at ${event.time}.`,
        "The Azure SDKs renew a token before it expires; a token kept by hand (in a variable, a file, a header) does not renew.",
      ],
      fix: {
        text: "Get a new token, and let the SDK's credential keep it fresh rather than storing one.",
        command: `az account get-access-token --resource ${expected}`,
      },
    };
  }
  if (event.tokenProblem === "tenant" || event.tokenProblem === "issuer") {
    return {
      ...none,
      kind: "wrongTenant",
      title: `${who}'s token is from tenant ${claims?.tid ?? "(unknown)"}, not ${context.tenantId}.`,
      reasons: [
        `The resource belongs to tenant ${context.tenantId}; a token issued by another tenant (its tid and iss claims) proves nothing there.`,
        "A credential signs in to the tenant it is given: AZURE_TENANT_ID, or the tenant of your az login.",
      ],
      fix: {
        text: `Sign in to tenant ${context.tenantId}: set AZURE_TENANT_ID to it, or sign in again with az login --tenant ${context.tenantId}.`,
        command: `az login --tenant ${context.tenantId}`,
      },
    };
  }
  return {
    ...none,
    kind: "badToken",
    title: `${serviceOf(event.category)} refused ${who}'s token (${event.tokenProblem ?? "invalid"}).`,
    reasons: [
      event.resultDescription ??
        "The token is not one Microsoft Entra ID issued for this tenant and resource, or it is not valid now.",
    ],
    fix: { text: "Let the credential get a fresh token from Microsoft Entra ID; never build or edit one by hand." },
  };
}

function forbidden(event: AuditEvent, context: DenialContext, who: string, caller: PrincipalInfo | undefined): Verdict {
  const authorization = event.authorization;
  const action = authorization?.action ?? "";
  const resource = authorization?.scope ?? event.resource ?? "";
  const granting = rolesGranting(action, context.roles);
  const least = granting[0]?.name ?? "a role that grants it";
  const scope = fixScope(resource);
  const principalId = caller?.objectId || "<principal id>";
  const mine = context.assignments.filter(
    (assignment) =>
      assignment.principalId === caller?.objectId &&
      granting.some((role) => role.name.toLowerCase() === assignment.roleDefinitionName.toLowerCase()),
  );
  const assignments = mine.map((assignment) => ({
    role: assignment.roleDefinitionName,
    scope: assignment.scope,
    coversResource: covers(assignment.scope, resource),
    state: assignment.effectiveFrom > context.now ? ("propagating" as const) : ("effective" as const),
    effectiveFrom: new Date(assignment.effectiveFrom).toISOString(),
  }));
  const what = `${action.split("/").slice(-2).join("/")} on ${shortScope(resource)}`;
  const common = { action, resource, grantingRoles: granting.map((role) => role.name), assignments };

  // A deny assignment outranks every role: nothing to grant, it is meant.
  if (authorization?.denyAssignment)
    return {
      ...common,
      kind: "denyAssignment",
      title: `A deny assignment refused ${who} ${what}, whatever its roles: ${authorization.denyAssignment}`,
      reasons: [
        `A deny assignment blocks ${action} at ${shortScope(resource)} for ${who}, even where a role grants it.`,
      ],
      fix: { text: "Nothing to change: it ends by itself." },
    };
  // Azure's answer named an assignment still propagating when the request came.
  const pendingUntil = authorization?.propagatingUntil;
  if (pendingUntil) {
    const at = Date.parse(pendingUntil);
    const inSeconds = Math.max(0, Math.ceil((at - context.now) / 1000));
    const role = authorization?.roleDefinitionName ?? least;
    const pendingScope = authorization?.roleAssignmentScope ?? scope;
    return {
      ...common,
      kind: "propagating",
      title:
        inSeconds > 0
          ? `${who}'s ${role} assignment is still propagating: it takes effect at ${pendingUntil} (in ${inSeconds} s).`
          : `${who}'s ${role} assignment was still propagating then; it took effect at ${pendingUntil}.`,
      propagating: { role, scope: pendingScope, takesEffectAt: pendingUntil, inSeconds },
      reasons: [
        `The request needed ${action}. ${role} at ${shortScope(pendingScope)} grants it, but a new role assignment takes a while to reach every Azure region (Azure says: "observe propagation time").`,
      ],
      fix:
        inSeconds > 0
          ? {
              text: `Nothing to change: wait until ${pendingUntil}, then try again (restart the app if it reads the secret at start-up).`,
            }
          : {
              text: "Nothing to change: it has taken effect. Try again (restart the app if it reads the secret at start-up).",
            },
    };
  }
  const elsewhere = assignments.find((assignment) => !assignment.coversResource);
  const command = grantCommand(principalId, least, scope);
  if (elsewhere && !assignments.some((assignment) => assignment.coversResource)) {
    return {
      ...common,
      kind: "wrongScope",
      title: `${who} has ${elsewhere.role}, but at ${shortScope(elsewhere.scope)}, which does not cover ${shortScope(resource)}.`,
      missing: { role: least, scope },
      reasons: [
        `The request needed ${action} on ${resource}.`,
        `A role assignment counts on its scope and everything below it: ${elsewhere.scope} is not ${scope} nor one of its parents.`,
      ],
      fix: {
        text: `Grant ${least} at the right scope (and delete the one at the wrong scope if it is not needed).`,
        command,
      },
    };
  }
  const nowGranted = assignments.find((assignment) => assignment.coversResource && assignment.state === "effective");
  return {
    ...common,
    kind: "noRole",
    title: nowGranted
      ? `${who} had no role that allows ${what} then; ${nowGranted.role} grants it now.`
      : `${who} has no role that allows ${what}.`,
    missing: { role: least, scope },
    reasons: [
      `The request needed ${action}.`,
      granting.length > 0
        ? `Built-in roles that grant it: ${granting.map((role) => role.name).join(", ")}; ${least} is the least privilege.`
        : "No built-in role of this sandbox grants it.",
      nowGranted
        ? `Since then it was granted (${nowGranted.role} at ${shortScope(nowGranted.scope)}): try again.`
        : `${who} has no assignment of any of them at ${shortScope(scope)} or above.`,
    ],
    fix: nowGranted
      ? { text: "Granted since: try again (restart the app if it reads the secret at start-up)." }
      : { text: `Grant ${least} on ${shortScope(scope)}, then try again.`, command },
  };
}

function signIn(event: AuditEvent, who: string): Verdict {
  const code = event.errorCode ?? "";
  const appId = event.caller?.appId;
  const none = { grantingRoles: [], assignments: [] };
  const fixes: Record<string, Explanation["fix"]> = {
    AADSTS7000215: {
      text: "The client secret is wrong or expired: create a new one and put it in AZURE_CLIENT_SECRET.",
      command: `az ad app credential reset --id ${appId ?? "<client id>"}`,
    },
    AADSTS700016: {
      text: "No application with that client id in this tenant: check AZURE_CLIENT_ID and AZURE_TENANT_ID.",
    },
    AADSTS90002: { text: "No such tenant: check AZURE_TENANT_ID." },
    AADSTS500011: {
      text: "No such resource in the tenant: ask for a token for the service's resource (its scope is <resource>/.default).",
    },
    ...federatedFixes(event, appId),
  };
  return {
    ...none,
    kind: "signIn",
    title: `Microsoft Entra ID refused to sign ${who} in${code ? ` (${code})` : ""}.`,
    reasons: [event.failureReason ?? "The sign-in failed."],
    fix: fixes[code] ?? {
      text: "Check the credential's settings: the tenant, the client id and its secret, or the managed identity's endpoint and header.",
    },
  };
}

/**
 * The fixes of a refused federated sign-in, from what the assertion said (the sign-in log keeps its issuer and
 * subject): the credential to write, or why not to write one (a pull request's job should not deploy).
 */
function federatedFixes(event: AuditEvent, appId: string | undefined): Record<string, Explanation["fix"]> {
  const subject = event.properties?.["assertionSubject"] ?? "<subject>";
  const issuer = event.properties?.["assertionIssuer"] ?? "<issuer>";
  const id = appId ?? "<client id>";
  const create = `az ad app federated-credential create --id ${id} --parameters '${JSON.stringify({
    name: "github-deploy",
    issuer,
    subject,
    audiences: ["api://AzureADTokenExchange"],
  })}'`;
  return {
    AADSTS700213: subject.endsWith(":pull_request")
      ? {
          text: `The token came from a pull request's job (${subject}): no credential trusts pull requests, and none should, since anyone can open one. Deploy from a push to the branch the credential names.`,
        }
      : {
          text: `No federated credential names the subject ${subject}: the credential's subject must be exactly the one the job's token states (the branch it runs on, or its environment).`,
          command: create,
        },
    AADSTS7002138: {
      text: `A credential's subject differs from ${subject} only by case: subjects compare case included. Write it exactly as the token states it.`,
    },
    AADSTS700212: {
      text: "No federated credential names the token's audience: azure/login asks for api://AzureADTokenExchange (its audience input), and the credential's audiences must be exactly that.",
    },
    AADSTS700211: {
      text: `No federated credential trusts the issuer ${issuer}: a credential's issuer must be exactly the token's iss.`,
      command: create,
    },
    AADSTS7000229: {
      text: "The application has no service principal in this tenant yet: az ad app create makes none.",
      command: `az ad sp create --id ${id}`,
    },
    AADSTS700024: { text: "The federated token has expired (a GitHub job's lives five minutes): get a new one." },
  };
}
