/**
 * What Resource Manager holds, read from the sandbox itself: every resource
 * type its providers registered (`ResourceManager.types`), an existing id of
 * each, their actions, and a scratch resource group of copies that a run may
 * change and delete (the workshop's own resources are only ever read, or
 * written by a caller without the role to).
 */
import type { Sandbox } from "@keyless/sandbox";

export interface KnownResource {
  readonly id: string;
  readonly type: string;
}

/** The number of segments of a type: `Microsoft.Web/sites` 2, `Microsoft.Web/sites/config` 3. */
const depthOf = (type: string) => type.split("/").length;
const isExtension = (type: string) => type.startsWith("Microsoft.Authorization/");

/**
 * Every resource the sandbox holds, found as a client would list them: the subscription, its groups, the types in a
 * group, each child type under its parent, the extension types at the subscription. A type that lists nothing
 * (a singleton such as `queueServices/default` or a site's `host/default`) gets its `default` id under an example of
 * its parent type.
 */
export function knownResources(sandbox: Sandbox): KnownResource[] {
  const { arm, scopes } = sandbox;
  const types = arm.types;
  const found: KnownResource[] = [{ id: scopes.subscription, type: "Microsoft.Resources/subscriptions" }];
  const childTypesOf = (parentType: string) =>
    types.filter((type) => {
      if (parentType === "Microsoft.Resources/subscriptions")
        return type === "Microsoft.Resources/resourceGroups" || isExtension(type);
      if (parentType === "Microsoft.Resources/resourceGroups")
        return depthOf(type) === 2 && !isExtension(type) && type !== "Microsoft.Resources/subscriptions";
      return type.toLowerCase().startsWith(`${parentType.toLowerCase()}/`) && depthOf(type) === depthOf(parentType) + 1;
    });
  const visit = (parent: KnownResource) => {
    for (const type of childTypesOf(parent.type)) {
      let listed = arm.list(parent.id, type, undefined);
      if (listed.length === 0 && depthOf(type) > 2 && !isExtension(type)) {
        const singleton = `${parent.id}/${type.split("/").at(-1)}/default`;
        listed = arm.exists(singleton) ? [{ id: singleton, name: "default", type }] : [];
      }
      for (const resource of listed) {
        const known = { id: resource.id, type };
        found.push(known);
        // Extension resources are listed at every scope they reach: once, at the subscription, is enough.
        if (!isExtension(type)) visit(known);
      }
    }
  };
  visit(found[0] as KnownResource);
  return found;
}

/** A few of each type (a deployment has dozens of operations, the tenant dozens of role definitions). */
export function someOfEachType(resources: readonly KnownResource[], perType = 3): KnownResource[] {
  const count = new Map<string, number>();
  return resources.filter((resource) => {
    const seen = count.get(resource.type) ?? 0;
    count.set(resource.type, seen + 1);
    return seen < perType;
  });
}

/** The POST actions a type's handler serves (`listkeys`, `list`), as its provider registered them. */
export const actionsOf = (sandbox: Sandbox, type: string): string[] =>
  Object.keys(sandbox.arm.handlerOf(type)?.actions ?? {});

/** The writable envelope of a resource, as a client would PUT it back. */
export function envelopeOf(resource: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, name: _name, type: _type, ...rest } = resource;
  return rest;
}

export const SCRATCH_GROUP = "fuzz-rg";

/**
 * Copies of the workshop's resources in a resource group of their own (top-level names prefixed `fz`, as some are
 * global), made by the sandbox itself: what an authorized PUT, PATCH or DELETE of a run may change or take away. A
 * type the copy cannot be made of (its provider serves one fixed resource, a function) is left out: the run writes
 * to it only without the role to.
 */
export function scratchCopies(sandbox: Sandbox, resources: readonly KnownResource[]): KnownResource[] {
  const { arm, scopes, tenant } = sandbox;
  const group = `${scopes.subscription}/resourceGroups/${SCRATCH_GROUP}`;
  arm.put(group, { location: tenant.deployment.location, tags: { purpose: "property tests" } }, undefined);
  const workshopGroup = `${scopes.resourceGroup}/providers/`.toLowerCase();
  const copies: KnownResource[] = [{ id: group, type: "Microsoft.Resources/resourceGroups" }];
  for (const resource of resources) {
    if (!resource.id.toLowerCase().startsWith(workshopGroup) || resource.type.startsWith("Microsoft.Resources/"))
      continue;
    const copyId = resource.id.replace(
      /^.*?\/resourceGroups\/[^/]+\/providers\/([^/]+\/[^/]+)\/([^/]+)/i,
      (_whole, type: string, name: string) => `${group}/providers/${type}/fz${name}`.slice(0, group.length + 400),
    );
    const original = arm.findAsDeployed(resource.id);
    if (!original) continue;
    try {
      arm.put(copyId, envelopeOf(original as unknown as Record<string, unknown>), undefined);
      copies.push({ id: copyId, type: resource.type });
    } catch {
      // Not a type a copy can be made of here: see above.
    }
  }
  return copies;
}
