/**
 * What every managed identity endpoint shares, whichever host plays it (App
 * Service, Container Apps, a VM's IMDS): which of the identities attached to
 * the caller's resource a request asks for, and the sign-in log's record of it.
 *
 * A resource can have one system-assigned identity and several user-assigned
 * ones. A request names a user-assigned one by its client id, its object
 * (principal) id or its ARM resource id; the parameter names differ by
 * protocol: `mi_res_id` on App Service and Container Apps, `msi_res_id` on
 * IMDS. With none, the system-assigned identity answers, or on IMDS the only
 * user-assigned one when there is no system-assigned.
 */
import type { Request } from "express";
import { traceContext, uriWithoutQuery, type AuditSink } from "../../audit/log.ts";
import type { DirectoryEntry } from "../entra/directory.ts";

/** An identity a host can give tokens for. */
export interface HostIdentity extends DirectoryEntry {
  readonly appId: string;
  /** ARM resource id, for user-assigned identities. */
  readonly resourceId?: string;
}

/** The identities attached to the resource a request comes from. */
export interface AttachedIdentities {
  readonly systemAssigned?: HostIdentity;
  readonly userAssigned: readonly HostIdentity[];
}

/** How a protocol names the ids: App Service and Container Apps (2019-08-01), or IMDS (2018-02-01). */
export type IdentityProtocol = "appService" | "imds";

const ID_PARAMETERS: Readonly<
  Record<IdentityProtocol, readonly (readonly [string, "clientId" | "objectId" | "resourceId"])[]>
> = {
  appService: [
    ["client_id", "clientId"],
    ["principal_id", "objectId"],
    ["object_id", "objectId"],
    ["mi_res_id", "resourceId"],
  ],
  imds: [
    ["client_id", "clientId"],
    ["object_id", "objectId"],
    ["msi_res_id", "resourceId"],
    // Older IMDS documentation names it mi_res_id: IMDS takes both.
    ["mi_res_id", "resourceId"],
  ],
};

export type Selection =
  | { readonly ok: true; readonly identity: HostIdentity }
  /** `ambiguous`: more than one id given; `notFound`: no identity with that id; `none`: no id given and no default identity; `several`: no id, several user-assigned and no system-assigned (IMDS). */
  | { readonly ok: false; readonly problem: "ambiguous" | "notFound" | "none" | "several"; readonly detail: string };

/** The identity a token request asks for, among those attached to its resource. */
export function selectIdentity(
  query: Request["query"],
  attached: AttachedIdentities,
  protocol: IdentityProtocol,
): Selection {
  const given = ID_PARAMETERS[protocol].flatMap(([name, kind]) => {
    const value = query[name];
    // A parameter sent twice names no one identity: as ambiguous as two parameters.
    return typeof value === "string"
      ? [{ name, kind, value }]
      : value === undefined
        ? []
        : [
            { name, kind, value: "" },
            { name, kind, value: "" },
          ];
  });
  if (given.length > 1)
    return {
      ok: false,
      problem: "ambiguous",
      detail: `only one of ${given.map(({ name }) => name).join(", ")} may be given`,
    };
  const [wanted] = given;
  if (!wanted) {
    if (attached.systemAssigned) return { ok: true, identity: attached.systemAssigned };
    const [only, ...others] = attached.userAssigned;
    if (protocol === "imds" && only && others.length === 0) return { ok: true, identity: only };
    if (protocol === "imds" && only)
      return {
        ok: false,
        problem: "several",
        detail: `${attached.userAssigned.length} user-assigned identities are attached: pass client_id (AZURE_CLIENT_ID)`,
      };
    return {
      ok: false,
      problem: "none",
      detail:
        attached.userAssigned.length > 0
          ? "there is no system-assigned identity: name a user-assigned one with client_id (AZURE_CLIENT_ID)"
          : "no identity is attached",
    };
  }
  const value = wanted.value.toLowerCase();
  const candidates = [...(attached.systemAssigned ? [attached.systemAssigned] : []), ...attached.userAssigned];
  const identity = candidates.find((candidate) =>
    wanted.kind === "clientId"
      ? candidate.appId.toLowerCase() === value
      : wanted.kind === "objectId"
        ? candidate.objectId.toLowerCase() === value
        : candidate.resourceId?.toLowerCase() === value,
  );
  // A system-assigned identity is picked by no id at all; by id, only user-assigned ones (and its own client or object id, which App Service accepts).
  return identity
    ? { ok: true, identity }
    : {
        ok: false,
        problem: "notFound",
        detail: `no identity attached here has ${wanted.name} ${wanted.value.slice(0, 256)}`,
      };
}

/** One token request to a managed identity endpoint, as the sign-in log records it. */
export interface TokenRequestOutcome {
  readonly status: number;
  readonly identity?: HostIdentity;
  readonly resource?: string;
  readonly tokenId?: string;
  /** Why it failed, without the sandbox's hint; an AADSTS code when Entra ID's. */
  readonly failureReason?: string;
  readonly errorCode?: string;
}

/** Records a managed identity's token request in ManagedIdentitySignInLogs. */
export function recordManagedIdentitySignIn(
  audit: AuditSink | undefined,
  req: Request,
  outcome: TokenRequestOutcome,
  started: number,
): void {
  const errorCode = outcome.errorCode ?? /^(AADSTS\d+):/.exec(outcome.failureReason ?? "")?.[1];
  audit?.record({
    category: "ManagedIdentitySignInLogs",
    operationName: "Sign-in activity",
    resultType: outcome.status === 200 ? "Success" : "Failure",
    statusCode: outcome.status,
    clientCredentialType: "managedIdentity",
    ...(outcome.identity
      ? {
          caller: {
            objectId: outcome.identity.objectId,
            appId: outcome.identity.appId,
            type: "ManagedIdentity" as const,
          },
        }
      : {}),
    ...(outcome.resource ? { resource: outcome.resource } : {}),
    ...(outcome.tokenId ? { uniqueTokenIdentifier: outcome.tokenId } : {}),
    ...(outcome.failureReason ? { failureReason: outcome.failureReason } : {}),
    ...(errorCode ? { errorCode } : {}),
    requestUri: uriWithoutQuery(req.originalUrl),
    httpMethod: req.method,
    durationMs: Math.round(performance.now() - started),
    ...traceContext(req.headers.traceparent),
  });
}

/** An api-version as a date, for "this version or later" checks. */
export const apiVersionAtLeast = (value: unknown, oldest: string): boolean =>
  typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) && value >= oldest;
