/**
 * Microsoft.ManagedIdentity's control plane: user-assigned identities (a
 * service principal of their own, attachable to any host) and the federated
 * identity credentials through which Entra ID trusts another issuer's tokens
 * for them (an AKS cluster's, GitHub's).
 */
import { envelope, type ResourceStore, storedType } from "../../arm/resourceStore.ts";
import { type ArmResource, ArmFailure, type ResourceTypeHandler } from "../../arm/resourceType.ts";
import type { Directory } from "../entra/directory.ts";

export const USER_ASSIGNED_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities";
export const FEDERATED_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";

/** Azure's rules: an identity's name 3-128 characters; a credential's 3-120, starting with a letter or digit. */
const IDENTITY_NAME = /^[a-zA-Z0-9][-\w]{2,127}$/;
const CREDENTIAL_NAME = /^[a-zA-Z0-9][-\w]{2,119}$/;
/** Entra ID keeps at most 20 federated credentials on one identity. */
const MAX_CREDENTIALS = 20;

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

export interface ManagedIdentityTypesOptions {
  readonly resources: ResourceStore;
  readonly directory: Directory;
  readonly tenantId: string;
}

export function managedIdentityTypes(options: ManagedIdentityTypesOptions): ResourceTypeHandler[] {
  const { resources, directory } = options;
  const credentialsOf = (identityId: string) =>
    resources.children(identityId, FEDERATED_TYPE).map((credential) => {
      const properties = record(credential.properties);
      return {
        name: credential.name,
        issuer: String(properties["issuer"] ?? ""),
        subject: String(properties["subject"] ?? ""),
        audiences: (properties["audiences"] as string[] | undefined) ?? [],
      };
    });
  /** The identity's service principal, with the credentials it trusts now. */
  const register = (identity: ArmResource, credentials = credentialsOf(identity.id)) =>
    directory.putManagedIdentity({
      resourceId: identity.id,
      kind: "UserAssigned",
      displayName: identity.name,
      federatedIdentityCredentials: credentials,
    });

  const identities = storedType(resources, {
    type: USER_ASSIGNED_TYPE,
    accept: ({ id, body }) => {
      if (!IDENTITY_NAME.test(id.name))
        throw new ArmFailure(400, "InvalidResourceName", `The identity name '${id.name.slice(0, 128)}' is not valid.`);
      if (!body.location) throw new ArmFailure(400, "LocationRequired", "The location property is required.");
      const kept = envelope(id, body, {});
      const principal = register(kept);
      return envelope(id, body, {
        principalId: principal.objectId,
        clientId: principal.appId,
        tenantId: options.tenantId,
      });
    },
    onDelete: (identity) => directory.removeManagedIdentity(identity.id),
  });

  const credentials = storedType(resources, {
    type: FEDERATED_TYPE,
    accept: ({ id, body }, previous) => {
      const identity = resources.get(id.parent ?? "");
      if (!identity)
        throw new ArmFailure(404, "ResourceNotFound", `The identity '${id.names[0] ?? ""}' was not found.`);
      if (!CREDENTIAL_NAME.test(id.name))
        throw new ArmFailure(
          400,
          "BadRequest",
          `The federated identity credential name '${id.name.slice(0, 120)}' is not valid: 3-120 letters, digits, hyphens and underscores, starting with a letter or a digit.`,
        );
      const properties = record(body.properties);
      const issuer = properties["issuer"];
      const subject = properties["subject"];
      const audiences = properties["audiences"];
      if (typeof issuer !== "string" || !URL.canParse(issuer) || !issuer.startsWith("https://"))
        throw new ArmFailure(
          400,
          "BadRequest",
          "The issuer must be an https URL: the OIDC issuer whose tokens are trusted.",
        );
      if (typeof subject !== "string" || subject === "" || subject.length > 600)
        throw new ArmFailure(400, "BadRequest", "The subject must be a string of 1-600 characters.");
      if (!Array.isArray(audiences) || audiences.length !== 1 || typeof audiences[0] !== "string")
        throw new ArmFailure(
          400,
          "BadRequest",
          "The audiences must be one audience, such as api://AzureADTokenExchange.",
        );
      const siblings = credentialsOf(identity.id).filter((credential) => credential.name !== id.name);
      if (!previous && siblings.length >= MAX_CREDENTIALS)
        throw new ArmFailure(
          400,
          "BadRequest",
          `An identity has at most ${MAX_CREDENTIALS} federated identity credentials.`,
        );
      if (siblings.some((credential) => credential.issuer === issuer && credential.subject === subject))
        throw new ArmFailure(
          409,
          "Conflict",
          "A federated identity credential with this issuer and subject already exists on this identity.",
        );
      register(identity, [...siblings, { name: id.name, issuer, subject, audiences: audiences as string[] }]);
      return envelope(id, body, { issuer, subject, audiences });
    },
    onDelete: (credential) => {
      const identity = resources.get(credential.id.split("/federatedIdentityCredentials/")[0] ?? "");
      if (identity)
        register(
          identity,
          credentialsOf(identity.id).filter((kept) => kept.name.toLowerCase() !== credential.name.toLowerCase()),
        );
    },
  });
  return [identities, credentials];
}
