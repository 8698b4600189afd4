/**
 * The sandbox's Microsoft Entra ID directory: who can get tokens, and how
 * their names (display name, client id, object id) map to the object id that
 * role assignments use.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Tenant, FederatedCredential } from "../../tenant.ts";
import type { Journal } from "../../state/journal.ts";
import type { Collection, StateStore } from "../../state/store.ts";
import { AppRegistrations } from "./applications.ts";

export interface DirectoryEntry {
  readonly objectId: string;
  readonly displayName: string;
  readonly type: "ServicePrincipal" | "User";
  /** Client (application) id, for apps and managed identities. */
  readonly appId?: string;
}

export interface AppIdentity extends DirectoryEntry {
  /** The app's IDENTITY_HEADER: App Service gives each app its own, and it is a secret. */
  readonly identityHeader: string;
}

/** A user-assigned managed identity: a service principal of its own, attachable to several hosts. */
export interface UserAssignedIdentity extends DirectoryEntry {
  readonly appId: string;
  /** Its ARM resource id, how `mi_res_id` (App Service, Container Apps) and `msi_res_id` (IMDS) name it. */
  readonly resourceId: string;
  readonly federatedIdentityCredentials: readonly FederatedCredential[];
}

/** An app registration's service principal, with its client secret ("" for one that has none: it signs in some other way). */
export type ServicePrincipal = DirectoryEntry & { readonly secret: string };

/** A managed identity as the directory keeps it: the service principal Azure creates for a resource's identity. */
export interface ManagedIdentityRecord {
  /** The resource it belongs to: a site (system-assigned), or a user-assigned identity itself. */
  readonly resourceId: string;
  readonly kind: "SystemAssigned" | "UserAssigned";
  /** The site's or the identity's name. */
  readonly displayName: string;
  readonly objectId: string;
  readonly appId: string;
  /** For a user-assigned identity: the credentials it trusts (az identity federated-credential create). */
  readonly federatedIdentityCredentials?: readonly FederatedCredential[];
  /** For a site: the user-assigned identities attached to it, by name. */
  readonly attached?: readonly string[];
}

export class Directory {
  /** App registrations' service principals, each with its client secret (one: `az ad app credential reset` replaces it). */
  get servicePrincipals(): readonly ServicePrincipal[] {
    // Those made since (az ad sp create) have no secret; a secret reset since provisioning (az ad app credential reset)
    // is kept in the state store.
    const created = this.registrations.createdServicePrincipals().map(
      ({ objectId, displayName, appId }): ServicePrincipal => ({
        objectId,
        displayName,
        type: "ServicePrincipal",
        appId,
        secret: "",
      }),
    );
    return [...this.#servicePrincipals, ...created].map((sp) => ({
      ...sp,
      secret: this.#resetSecrets?.get(sp.appId ?? "") ?? sp.secret,
    }));
  }
  readonly #servicePrincipals: readonly ServicePrincipal[];
  readonly #resetSecrets: Collection<string> | undefined;
  readonly #journal: Journal | undefined;
  /**
   * Managed identities, kept in the state store: Resource Manager creates one when a site's
   * identity is turned on or a user-assigned identity is created (by a template, or `az`).
   */
  readonly #managed: Collection<ManagedIdentityRecord> | undefined;
  /** Each app's IDENTITY_HEADER: App Service makes one each time the app starts, and it is a secret. */
  readonly #headers = new Map<string, string>();
  /** App registrations (Microsoft Graph's applications), their service principals and federated credentials. */
  readonly registrations: AppRegistrations;
  readonly users: readonly DirectoryEntry[];

  constructor(tenant: Tenant, options: { state?: StateStore; journal?: Journal } = {}) {
    this.#resetSecrets = options.state?.collection<string>("clientSecrets");
    this.#managed = options.state?.collection<ManagedIdentityRecord>("managedIdentities");
    this.#journal = options.journal;
    this.registrations = new AppRegistrations(tenant, options);
    this.#servicePrincipals = tenant.servicePrincipals.map((sp) => ({
      objectId: sp.objectId,
      displayName: sp.displayName,
      type: "ServicePrincipal" as const,
      appId: sp.appId,
      secret: sp.secret,
    }));
    this.users = tenant.users.map((user) => ({
      objectId: user.objectId,
      displayName: user.userPrincipalName,
      type: "User" as const,
    }));
  }

  #records(): readonly ManagedIdentityRecord[] {
    // A directory without a state store (unit tests) has no managed identity: Resource Manager makes them.
    return this.#managed?.values() ?? [];
  }

  /** The managed identities of the apps that have one, by app name. */
  get apps(): ReadonlyMap<string, AppIdentity> {
    return new Map(
      this.#records()
        .filter((record) => record.kind === "SystemAssigned")
        .map((record) => [
          record.displayName,
          {
            objectId: record.objectId,
            displayName: record.displayName,
            type: "ServicePrincipal" as const,
            appId: record.appId,
            identityHeader: this.#headerOf(record.objectId),
          },
        ]),
    );
  }

  /** User-assigned managed identities, by name. */
  get userAssigned(): ReadonlyMap<string, UserAssignedIdentity> {
    return new Map(
      this.#records()
        .filter((record) => record.kind === "UserAssigned")
        .map((record) => [
          record.displayName,
          {
            objectId: record.objectId,
            displayName: record.displayName,
            type: "ServicePrincipal" as const,
            appId: record.appId,
            resourceId: record.resourceId,
            federatedIdentityCredentials: record.federatedIdentityCredentials ?? [],
          },
        ]),
    );
  }

  #headerOf(objectId: string): string {
    let header = this.#headers.get(objectId);
    if (!header) {
      header = randomBytes(24).toString("hex");
      this.#headers.set(objectId, header);
    }
    return header;
  }

  /**
   * A resource's managed identity, created the first time (its ids derived from the resource,
   * so a redeployment keeps them), updated after: what Resource Manager does when a site's
   * identity is on, or a user-assigned identity is created. Call it inside the resource's
   * transaction.
   */
  putManagedIdentity(
    record: Omit<ManagedIdentityRecord, "objectId" | "appId"> & { objectId?: string; appId?: string },
  ): ManagedIdentityRecord {
    if (!this.#managed) throw new Error("This directory keeps no state: its identities cannot change.");
    const key = record.resourceId.toLowerCase();
    const existing = this.#managed.get(key);
    const kept: ManagedIdentityRecord = {
      ...record,
      objectId: existing?.objectId ?? record.objectId ?? derivedGuid(record.resourceId, "principal"),
      appId: existing?.appId ?? record.appId ?? derivedGuid(record.resourceId, "client"),
    };
    this.#managed.put(key, kept);
    return kept;
  }

  /** A resource's managed identity goes with it (its identity turned off, or the resource deleted). */
  removeManagedIdentity(resourceId: string): void {
    this.#managed?.delete(resourceId.toLowerCase());
  }

  /** The managed identity of a resource, if it has one. */
  managedIdentityOf(resourceId: string): ManagedIdentityRecord | undefined {
    return this.#managed?.get(resourceId.toLowerCase());
  }

  all(): DirectoryEntry[] {
    return [...this.servicePrincipals, ...this.apps.values(), ...this.userAssigned.values(), ...this.users];
  }

  /** The user-assigned identities attached to an app (or named in a list), in order. */
  userAssignedOf(appOrNames: string | readonly string[]): UserAssignedIdentity[] {
    const names =
      typeof appOrNames === "string"
        ? (this.#records().find((record) => record.kind === "SystemAssigned" && record.displayName === appOrNames)
            ?.attached ?? [])
        : appOrNames;
    const identities = this.userAssigned;
    return names.flatMap((name) => identities.get(name) ?? []);
  }

  /**
   * `az ad app credential reset`: a new client secret for the app registration
   * with client id `appId`, which replaces its old one at once (tokens issued
   * before stay valid until they expire, as on Azure). Undefined for an id that
   * names no app registration (a managed identity has none).
   */
  resetSecret(appId: string): string | undefined {
    const current = this.servicePrincipals.find((sp) => sp.appId === appId.toLowerCase());
    if (!current?.appId) return undefined;
    // Entra ID's shape: 40 characters, the fourth to sixth "8Q~".
    const random = randomBytes(30).toString("base64url");
    const secret = `${random.slice(0, 3)}8Q~${random.slice(3, 37)}`;
    if (!this.#resetSecrets) throw new Error("This directory keeps no state: its secrets cannot change.");
    this.#resetSecrets.put(current.appId, secret);
    this.#journal?.record("client secret reset", current.displayName);
    return secret;
  }

  /** Finds a principal by object id, client id or name, as `az role assignment create --assignee` does. */
  find(assignee: string): DirectoryEntry | undefined {
    const wanted = assignee.toLowerCase();
    return this.all().find(
      (entry) => entry.objectId === wanted || entry.appId === wanted || entry.displayName.toLowerCase() === wanted,
    );
  }

  /** Who an object id is, for the audit log: name, client id, and kind (a managed identity is a service principal too). */
  describe(
    objectId: string,
  ):
    | { objectId: string; displayName: string; appId?: string; type: "User" | "ServicePrincipal" | "ManagedIdentity" }
    | undefined {
    const entry = this.all().find((candidate) => candidate.objectId === objectId);
    if (!entry) return undefined;
    const managed = [...this.apps.values(), ...this.userAssigned.values()].some((app) => app.objectId === objectId);
    return {
      objectId,
      displayName: entry.displayName,
      ...(entry.appId ? { appId: entry.appId } : {}),
      type: managed ? "ManagedIdentity" : entry.type,
    };
  }

  servicePrincipalByClientId(clientId: string) {
    return this.servicePrincipals.find((sp) => sp.appId === clientId);
  }

  appByIdentityHeader(header: string): AppIdentity | undefined {
    return [...this.apps.values()].find((app) => app.identityHeader === header);
  }
}

/**
 * The ids of a resource's managed identity, derived from its resource id: the same after a
 * redeployment or a reset (Azure makes new ones; the sandbox keeps them stable for the lessons).
 */
export function managedIdentityIdsOf(resourceId: string): { objectId: string; appId: string } {
  return { objectId: derivedGuid(resourceId, "principal"), appId: derivedGuid(resourceId, "client") };
}

/** A GUID derived from a resource id: a managed identity keeps its ids across redeployments of its resource. */
function derivedGuid(resourceId: string, role: string): string {
  const hex = createHash("sha1").update(`${resourceId.toLowerCase()}\n${role}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
