/**
 * A user-assigned identity's federated identity credentials, on Resource
 * Manager's control plane (`az identity federated-credential create`, a
 * template's `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`):
 *
 *   PUT {identity id}/federatedIdentityCredentials/{name}?api-version=2023-01-31
 *   {"properties": {"issuer", "subject", "audiences": ["api://AzureADTokenExchange"]}}
 *
 * Each is kept as its ARM document in the resource store, under its identity;
 * Entra ID reads them there when a token is exchanged (entra/server.ts). The
 * checks are Entra ID's (the same as an app registration's, graphErrors.ts):
 * a name of 3 to 120 URL-friendly characters, an https issuer, exactly one
 * audience, at most 20 credentials an identity, one credential per issuer and
 * subject.
 */
import type { ArmResource, ResourceTypeHandler } from "../../arm/resourceType.ts";
import { ArmFailure } from "../../arm/resourceType.ts";
import { envelope, type ResourceStore, storedType } from "../../arm/resourceStore.ts";
import type { Journal } from "../../state/journal.ts";
import type { FederatedCredential } from "../entra/federation.ts";
import { federatedCredentialProblem } from "../entra/graphErrors.ts";
import { MAX_FEDERATED_CREDENTIALS } from "../entra/applications.ts";

export const FEDERATED_CREDENTIAL_TYPE =
  "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";

/** The api-versions the Azure CLI and templates send for it. */
const API_VERSIONS = ["2022-01-31-preview", "2023-01-31", "2023-07-31-preview", "2024-11-30", "2025-01-31-preview"];

/** The credentials Resource Manager keeps for an identity (its ARM id), as Entra ID matches them. */
export function federatedCredentialsOfIdentity(resources: ResourceStore, identityId: string): FederatedCredential[] {
  return resources.children(identityId, FEDERATED_CREDENTIAL_TYPE).flatMap((resource) => {
    const { issuer, subject, audiences } = (resource.properties ?? {}) as {
      issuer?: unknown;
      subject?: unknown;
      audiences?: unknown;
    };
    if (typeof issuer !== "string" || typeof subject !== "string" || !Array.isArray(audiences)) return [];
    return [{ id: resource.id, name: resource.name, issuer, subject, audiences: audiences.map(String) }];
  });
}

/**
 * The resource type's handler, for Resource Manager to register:
 * `arm.register(federatedIdentityCredentialType({ resources, journal }))`.
 * Resource Manager checks that the identity exists and that the caller may
 * write it before `put` runs; `put` checks the body whole, then keeps it.
 */
export function federatedIdentityCredentialType(options: {
  readonly resources: ResourceStore;
  readonly journal?: Journal;
}): ResourceTypeHandler {
  const { resources, journal } = options;
  return storedType(resources, {
    type: FEDERATED_CREDENTIAL_TYPE,
    apiVersions: API_VERSIONS,
    accept(request, previous) {
      const { id, body } = request;
      const properties = (body.properties ?? {}) as Record<string, unknown>;
      const problem = federatedCredentialProblem({ name: id.name, ...properties });
      if (problem) throw new ArmFailure(400, "BadRequest", `Invalid ${problem.property}: ${problem.reason}.`);
      const issuer = properties["issuer"] as string;
      const subject = properties["subject"] as string;
      const identityId = id.parent ?? "";
      const siblings = federatedCredentialsOfIdentity(resources, identityId).filter(
        (credential) => credential.name.toLowerCase() !== id.name.toLowerCase(),
      );
      if (siblings.some((credential) => credential.issuer === issuer && credential.subject === subject))
        throw new ArmFailure(
          400,
          "BadRequest",
          `A federated identity credential with issuer '${issuer}' and subject '${subject}' already exists on this identity.`,
        );
      if (!previous && siblings.length >= MAX_FEDERATED_CREDENTIALS)
        throw new ArmFailure(
          400,
          "BadRequest",
          `The maximum number of federated identity credentials (${MAX_FEDERATED_CREDENTIALS}) on this identity has been reached.`,
        );
      const kept: ArmResource = envelope(
        id,
        {},
        { issuer, subject, audiences: [...(properties["audiences"] as string[])] },
      );
      journal?.record(
        previous ? "federated credential updated" : "federated credential created",
        `${id.name} on ${id.names[0] ?? ""}: ${subject}`,
      );
      return kept;
    },
    onDelete(resource) {
      journal?.record("federated credential deleted", `${resource.name} on ${resource.id.split("/").at(-3) ?? ""}`);
    },
  });
}
