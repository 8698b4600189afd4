/**
 * The sandbox's Microsoft Entra ID directory: who can get tokens, and how
 * their names (display name, client id, object id) map to the object id that
 * role assignments use.
 */
import { randomBytes } from "node:crypto";
import type { Seed } from "./seed.ts";

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

export class Directory {
  readonly servicePrincipals: readonly (DirectoryEntry & { readonly secret: string })[];
  /** The managed identities of the apps that have one, by app name. */
  readonly apps: ReadonlyMap<string, AppIdentity>;
  readonly users: readonly DirectoryEntry[];

  constructor(seed: Seed) {
    this.servicePrincipals = seed.servicePrincipals.map((sp) => ({
      objectId: sp.objectId,
      displayName: sp.displayName,
      type: "ServicePrincipal" as const,
      appId: sp.appId,
      secret: sp.secret,
    }));
    this.apps = new Map(
      seed.apps.flatMap((app) => (app.identity ? [{ ...app, identity: app.identity }] : [])).map((app) => [
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
    this.users = seed.users.map((user) => ({ objectId: user.objectId, displayName: user.userPrincipalName, type: "User" as const }));
  }

  all(): DirectoryEntry[] {
    return [...this.servicePrincipals, ...this.apps.values(), ...this.users];
  }

  /** Finds a principal by object id, client id or name, as `az role assignment create --assignee` does. */
  find(assignee: string): DirectoryEntry | undefined {
    const wanted = assignee.toLowerCase();
    return this.all().find(
      (entry) => entry.objectId === wanted || entry.appId === wanted || entry.displayName.toLowerCase() === wanted,
    );
  }

  /** Who an object id is, for the audit log: name, client id, and kind (a managed identity is a service principal too). */
  describe(objectId: string): { objectId: string; displayName: string; appId?: string; type: "User" | "ServicePrincipal" | "ManagedIdentity" } | undefined {
    const entry = this.all().find((candidate) => candidate.objectId === objectId);
    if (!entry) return undefined;
    const managed = [...this.apps.values()].some((app) => app.objectId === objectId);
    return { objectId, displayName: entry.displayName, ...(entry.appId ? { appId: entry.appId } : {}), type: managed ? "ManagedIdentity" : entry.type };
  }

  servicePrincipalByClientId(clientId: string) {
    return this.servicePrincipals.find((sp) => sp.appId === clientId);
  }

  appByIdentityHeader(header: string): AppIdentity | undefined {
    return [...this.apps.values()].find((app) => app.identityHeader === header);
  }
}
