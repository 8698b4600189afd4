/**
 * What the sandbox is provisioned with, as `az` would have made it on a new
 * subscription: the role assignments, the vault's secrets, the function's
 * keys (from seed.json). It runs on a new state store, and at `npm run reset`,
 * in one transaction with the emptying of the old state: a kill at any moment
 * leaves either the old state or the new one, whole.
 *
 * Ids are derived from what they name, as a template's `guid()` derives them,
 * so that provisioning twice gives the same state.
 */
import { createHash } from "node:crypto";
import type { ProviderContext } from "./provider.ts";

/** A name-based UUID from the given parts (a template's `guid(scope, principalId, roleDefinitionId)`). */
export function nameBasedGuid(...parts: string[]): string {
  const hex = createHash("sha1").update(parts.join("-")).digest("hex");
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** The marker a provisioned store holds: when, and from what. */
export interface Provisioned {
  readonly at: string;
  readonly from: string;
}

const MARKER = "provisioned";

/** Whether this state store was provisioned already (a restart keeps what callers changed since). */
export function provisionedOf(context: Pick<ProviderContext, "state">): Provisioned | undefined {
  return context.state.collection<Provisioned>("sandbox").get(MARKER);
}

/** Writes the provisioned state: call it inside a transaction, on an empty store. */
export function provision(context: ProviderContext): void {
  const { seed, directory, rbac, running, arm, scopes } = context;
  // The resource group and the vault, through Resource Manager, as a deployment makes them.
  arm.put(scopes.resourceGroup, { location: seed.subscription.location }, undefined);
  arm.put(
    scopes.vault,
    {
      location: seed.subscription.location,
      properties: { tenantId: seed.tenant.id, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
    },
    undefined,
  );
  // The managed identities first: role assignments name them.
  for (const identity of seed.userAssignedIdentities ?? []) {
    directory.putManagedIdentity({
      resourceId: identity.resourceId,
      kind: "UserAssigned",
      displayName: identity.name,
      objectId: identity.principalId,
      appId: identity.clientId,
      federatedIdentityCredentials: identity.federatedIdentityCredentials ?? [],
    });
  }
  for (const app of seed.apps) {
    if (!app.identity) continue;
    directory.putManagedIdentity({
      resourceId: `${context.scopes.resourceGroup}/providers/Microsoft.Web/sites/${app.name}`,
      kind: "SystemAssigned",
      displayName: app.name,
      objectId: app.identity.principalId,
      appId: app.identity.clientId,
      attached: app.userAssignedIdentities ?? [],
    });
  }
  for (const assignment of seed.roleAssignments) {
    const principal = directory.find(assignment.assignee);
    if (!principal) throw new Error(`seed.json: no principal named ${assignment.assignee}.`);
    const role = rbac.findRole(assignment.role);
    if (!role) throw new Error(`seed.json: no role named ${assignment.role}.`);
    rbac.add(
      {
        id: nameBasedGuid(assignment.scope.toLowerCase(), principal.objectId, role.id),
        principalId: principal.objectId,
        principalType: principal.type,
        role: role.name,
        scope: assignment.scope,
      },
      { immediately: true },
    );
  }
  const secrets = running["key-vault"].secretsOf(seed.keyVault.name);
  for (const [name, value] of Object.entries(seed.keyVault.secrets)) secrets.set(name, { value });
  running.web.functionKeys.provision(
    Object.fromEntries(seed.thirdParty.keys.map((key, index) => [index === 0 ? "default" : `key${index + 1}`, key])),
  );
  context.state.collection<Provisioned>("sandbox").put(MARKER, { at: new Date().toISOString(), from: "seed.json" });
  // What provisioning wrote is the starting point, not a change a caller made.
  context.journal.clear();
}
