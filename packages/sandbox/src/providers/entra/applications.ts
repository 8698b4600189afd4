/**
 * App registrations, as Microsoft Graph keeps them: the application object
 * (its client id, `appId`, and its own object id), the service principal a
 * tenant makes of it (what role assignments name, and what signs in), and the
 * application's federated identity credentials (the external tokens Entra ID
 * accepts in place of a secret).
 *
 * `az ad app create` makes an application and no service principal: until
 * `az ad sp create --id <appId>`, nothing can sign in as it (AADSTS7000229).
 * The tenant's app registrations (step 02's) have both. What callers create is
 * kept in the state store and journaled; a reset takes it away.
 */
import { randomUUID } from "node:crypto";
import { guid } from "../../arm/template/index.ts";

/** A GUID derived from what it names, as a template's guid() derives it. */
const nameBasedGuid = (...parts: string[]) => guid(parts);
import type { Tenant } from "../../tenant.ts";
import type { Journal } from "../../state/journal.ts";
import type { Collection, StateStore } from "../../state/store.ts";
import { GraphFailure, checkFederatedCredential, type FederatedIdentityCredential } from "./graphErrors.ts";

export type { FederatedIdentityCredential } from "./graphErrors.ts";

/** An application object, with the properties `az ad app show` prints that the sandbox knows. */
export interface Application {
  /** Its object id (Graph's `id`): what `/applications/{id}` names. */
  readonly id: string;
  /** The client id: what signs in (AZURE_CLIENT_ID, azure/login's client-id). */
  readonly appId: string;
  readonly displayName: string;
  readonly createdDateTime: string;
  readonly signInAudience: string;
}

/** The service principal of an application in this tenant. */
export interface ApplicationServicePrincipal {
  readonly objectId: string;
  readonly appId: string;
  readonly displayName: string;
  readonly createdDateTime: string;
}

/** An application may hold this many federated identity credentials (Entra ID's limit). */
export const MAX_FEDERATED_CREDENTIALS = 20;

const SEEDED_AT = "2026-01-01T00:00:00Z";

export class AppRegistrations {
  readonly #seeded: readonly Application[];
  readonly #seededPrincipals: readonly ApplicationServicePrincipal[];
  readonly #state: StateStore | undefined;
  readonly #applications: Collection<Application> | undefined;
  readonly #principals: Collection<ApplicationServicePrincipal> | undefined;
  /** Keyed `<application id>/<credential id>`. */
  readonly #credentials: Collection<FederatedIdentityCredential> | undefined;
  readonly #journal: Journal | undefined;

  constructor(tenant: Tenant, options: { state?: StateStore; journal?: Journal } = {}) {
    // The tenant's registrations: their application objects' ids are derived from their client ids, so they never change.
    this.#seeded = tenant.servicePrincipals.map((sp) => ({
      id: nameBasedGuid("application", sp.appId),
      appId: sp.appId,
      displayName: sp.displayName,
      createdDateTime: SEEDED_AT,
      signInAudience: "AzureADMyOrg",
    }));
    this.#seededPrincipals = tenant.servicePrincipals.map((sp) => ({
      objectId: sp.objectId,
      appId: sp.appId,
      displayName: sp.displayName,
      createdDateTime: SEEDED_AT,
    }));
    this.#state = options.state;
    this.#applications = options.state?.collection<Application>("applications");
    this.#principals = options.state?.collection<ApplicationServicePrincipal>("applicationServicePrincipals");
    this.#credentials = options.state?.collection<FederatedIdentityCredential>("applicationFederatedCredentials");
    this.#journal = options.journal;
  }

  /** Every application, the tenant's first. */
  list(): Application[] {
    return [...this.#seeded, ...(this.#applications?.values() ?? [])];
  }

  /** By object id or client id (az resolves `--id` either way). */
  find(idOrAppId: string): Application | undefined {
    const wanted = idOrAppId.toLowerCase();
    return this.list().find((app) => app.id === wanted || app.appId === wanted);
  }

  /** The service principals made of applications: the tenant's are not listed here (the directory has them, with their secrets). */
  createdServicePrincipals(): ApplicationServicePrincipal[] {
    return this.#principals?.values() ?? [];
  }

  /** The service principal of an application, if the tenant has one. */
  servicePrincipalOf(appId: string): ApplicationServicePrincipal | undefined {
    const wanted = appId.toLowerCase();
    return [...this.#seededPrincipals, ...this.createdServicePrincipals()].find((sp) => sp.appId === wanted);
  }

  /** `az ad app create --display-name`: a new application (no service principal, no credential). */
  create(displayName: string): Application {
    if (displayName.trim() === "" || displayName.length > 256)
      throw new GraphFailure(
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'displayName' of resource 'Application'.",
      );
    const application: Application = {
      id: randomUUID(),
      appId: randomUUID(),
      displayName,
      createdDateTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      signInAudience: "AzureADMyOrg",
    };
    this.#change(() => {
      this.#store(this.#applications).put(application.id, application);
      this.#journal?.record("app registration created", displayName);
    });
    return application;
  }

  /** `az ad sp create --id <appId>`: the tenant's service principal of an application. */
  createServicePrincipal(appId: string): ApplicationServicePrincipal {
    const application = this.list().find((app) => app.appId === appId.toLowerCase());
    if (!application)
      throw new GraphFailure(
        400,
        "Request_BadRequest",
        `The appId '${appId.slice(0, 64)}' of the service principal does not reference a valid application object.`,
      );
    if (this.servicePrincipalOf(application.appId))
      throw new GraphFailure(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        `The service principal cannot be created, updated, or restored because the service principal name ${application.appId} is already in use.`,
      );
    const principal: ApplicationServicePrincipal = {
      objectId: randomUUID(),
      appId: application.appId,
      displayName: application.displayName,
      createdDateTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    };
    this.#change(() => {
      this.#store(this.#principals).put(principal.appId, principal);
      this.#journal?.record("service principal created", application.displayName);
    });
    return principal;
  }

  /** `az ad app delete`: the application, its service principal and its credentials. The tenant's stay. */
  delete(id: string): boolean {
    const application = this.#applications?.get(id.toLowerCase());
    if (!application) return false;
    this.#change(() => {
      for (const credential of this.federatedCredentials(application.id))
        this.#credentials?.delete(`${application.id}/${credential.id}`);
      this.#principals?.delete(application.appId);
      this.#applications?.delete(application.id);
      this.#journal?.record("app registration deleted", application.displayName);
    });
    return true;
  }

  /** An application's federated identity credentials, oldest first. */
  federatedCredentials(applicationId: string): FederatedIdentityCredential[] {
    const prefix = `${applicationId}/`;
    return (this.#credentials?.entries() ?? []).filter(([key]) => key.startsWith(prefix)).map(([, value]) => value);
  }

  /** The federated credentials of the application a client id names (what Entra ID matches a token against). */
  federatedCredentialsOfClient(appId: string): FederatedIdentityCredential[] {
    const application = this.list().find((app) => app.appId === appId.toLowerCase());
    return application ? this.federatedCredentials(application.id) : [];
  }

  /** `az ad app federated-credential create`: checked whole as Graph checks it, then kept. */
  addFederatedCredential(applicationId: string, body: unknown): FederatedIdentityCredential {
    const application = this.find(applicationId);
    if (!application || application.id !== applicationId.toLowerCase()) throw notFound(applicationId);
    const existing = this.federatedCredentials(application.id);
    const input = checkFederatedCredential(body);
    if (existing.some((credential) => credential.name.toLowerCase() === input.name.toLowerCase()))
      throw new GraphFailure(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        `FederatedIdentityCredential with name ${input.name} already exists.`,
      );
    if (existing.some((credential) => credential.issuer === input.issuer && credential.subject === input.subject))
      throw new GraphFailure(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        "FederatedIdentityCredential with the same issuer and subject already exists.",
      );
    if (existing.length >= MAX_FEDERATED_CREDENTIALS)
      throw new GraphFailure(
        400,
        "Request_BadRequest",
        `The maximum number of federated identity credentials (${MAX_FEDERATED_CREDENTIALS}) on this application has been reached.`,
      );
    const credential: FederatedIdentityCredential = { id: randomUUID(), ...input };
    this.#change(() => {
      this.#store(this.#credentials).put(`${application.id}/${credential.id}`, credential);
      this.#journal?.record(
        "federated credential created",
        `${credential.name} on ${application.displayName}: ${credential.subject}`,
      );
    });
    return credential;
  }

  /** `az ad app federated-credential delete`, by the credential's id or name. */
  removeFederatedCredential(applicationId: string, idOrName: string): boolean {
    const application = this.find(applicationId);
    if (!application || application.id !== applicationId.toLowerCase()) throw notFound(applicationId);
    const credential = this.federatedCredential(application.id, idOrName);
    if (!credential) return false;
    this.#change(() => {
      this.#credentials?.delete(`${application.id}/${credential.id}`);
      this.#journal?.record("federated credential deleted", `${credential.name} on ${application.displayName}`);
    });
    return true;
  }

  federatedCredential(applicationId: string, idOrName: string): FederatedIdentityCredential | undefined {
    const wanted = idOrName.toLowerCase();
    return this.federatedCredentials(applicationId).find(
      (credential) => credential.id === wanted || credential.name.toLowerCase() === wanted,
    );
  }

  #change(change: () => void): void {
    if (!this.#state) throw new Error("This directory keeps no state: its app registrations cannot change.");
    this.#state.transaction(change);
  }

  #store<T>(collection: Collection<T> | undefined): Collection<T> {
    if (!collection) throw new Error("This directory keeps no state: its app registrations cannot change.");
    return collection;
  }
}

const notFound = (id: string) =>
  new GraphFailure(
    404,
    "Request_ResourceNotFound",
    `Resource '${id.slice(0, 64)}' does not exist or one of its queried reference-property objects are not present.`,
  );
