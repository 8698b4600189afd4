/**
 * The sandbox's Microsoft Entra ID directory: who can get tokens, and how
 * their names (display name, client id, object id) map to the object id that
 * role assignments use.
 */
import { randomBytes } from "node:crypto";
import type { Seed, SeedFederatedCredential } from "../../seed.ts";
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
  readonly federatedIdentityCredentials: readonly SeedFederatedCredential[];
}

/** An app registration's service principal, with its client secret ("" for one that has none: it signs in some other way). */
export type ServicePrincipal = DirectoryEntry & { readonly secret: string };

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
  /** App registrations (Microsoft Graph's applications), their service principals and federated credentials. */
  readonly registrations: AppRegistrations;
  /** The managed identities of the apps that have one, by app name. */
  readonly apps: ReadonlyMap<string, AppIdentity>;
  readonly users: readonly DirectoryEntry[];
  /** User-assigned managed identities, by name. */
  readonly userAssigned: ReadonlyMap<string, UserAssignedIdentity>;
  /** The user-assigned identities attached to each app, by app name. */
  readonly #attached: ReadonlyMap<string, readonly string[]>;

  constructor(seed: Seed, options: { state?: StateStore; journal?: Journal } = {}) {
    this.#resetSecrets = options.state?.collection<string>("clientSecrets");
    this.#journal = options.journal;
    this.registrations = new AppRegistrations(seed, options);
    this.#servicePrincipals = seed.servicePrincipals.map((sp) => ({
      objectId: sp.objectId,
      displayName: sp.displayName,
      type: "ServicePrincipal" as const,
      appId: sp.appId,
      secret: sp.secret,
    }));
    this.apps = new Map(
      seed.apps
        .flatMap((app) => (app.identity ? [{ ...app, identity: app.identity }] : []))
        .map((app) => [
          app.name,
          {
            objectId: app.identity.principalId,
            displayName: app.name,
            type: "ServicePrincipal" as const,
            appId: app.identity.clientId,
            identityHeader: randomBytes(24).toString("hex"),
          },
        ]),
    );
    this.users = seed.users.map((user) => ({
      objectId: user.objectId,
      displayName: user.userPrincipalName,
      type: "User" as const,
    }));
    this.userAssigned = new Map(
      (seed.userAssignedIdentities ?? []).map((identity) => [
        identity.name,
        {
          objectId: identity.principalId,
          displayName: identity.name,
          type: "ServicePrincipal" as const,
          appId: identity.clientId,
          resourceId: identity.resourceId,
          federatedIdentityCredentials: identity.federatedIdentityCredentials ?? [],
        },
      ]),
    );
    this.#attached = new Map(seed.apps.map((app) => [app.name, app.userAssignedIdentities ?? []]));
  }

  all(): DirectoryEntry[] {
    return [...this.servicePrincipals, ...this.apps.values(), ...this.userAssigned.values(), ...this.users];
  }

  /** The user-assigned identities attached to an app (or named in a list), in order. */
  userAssignedOf(appOrNames: string | readonly string[]): UserAssignedIdentity[] {
    const names = typeof appOrNames === "string" ? (this.#attached.get(appOrNames) ?? []) : appOrNames;
    return names.map((name) => {
      const identity = this.userAssigned.get(name);
      if (!identity) throw new Error(`seed.json: no user-assigned identity named ${name}.`);
      return identity;
    });
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
