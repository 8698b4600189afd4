/**
 * Microsoft.Resources' own resource types: the subscription (the tenant
 * file's one, read-only here as on Azure, where subscriptions are created
 * elsewhere) and resource groups, which hold everything else.
 */
import { envelope, type ResourceStore, storedType } from "../../arm/resourceStore.ts";
import { type ArmResource, ArmFailure, type ResourceTypeHandler } from "../../arm/resourceType.ts";

export interface ResourcesTypesOptions {
  readonly resources: ResourceStore;
  readonly subscription: () => { readonly id: string; readonly name: string; readonly tenantId: string };
}

/** Azure's rule for resource group names: 1-90 letters, digits, `_`, `-`, `.`, `(`, `)`, not ending with a period. */
const GROUP_NAME = /^[-\w._()]{1,90}$/;

export function resourcesTypes(options: ResourcesTypesOptions): ResourceTypeHandler[] {
  const subscriptionOf = (): ArmResource & { subscriptionId: string } => {
    const { id, name, tenantId } = options.subscription();
    return {
      id: `/subscriptions/${id}`,
      name: id,
      type: "Microsoft.Resources/subscriptions",
      subscriptionId: id,
      properties: { displayName: name, tenantId, state: "Enabled" },
    };
  };
  const subscriptions: ResourceTypeHandler = {
    type: "Microsoft.Resources/subscriptions",
    put: () => {
      throw new ArmFailure(403, "AuthorizationFailed", "Subscriptions are created outside Resource Manager.");
    },
    get: (id) => (id.name.toLowerCase() === options.subscription().id.toLowerCase() ? subscriptionOf() : undefined),
    list: () => [subscriptionOf()],
  };
  const resourceGroups = storedType(options.resources, {
    type: "Microsoft.Resources/resourceGroups",
    accept: ({ id, body }, previous) => {
      if (!GROUP_NAME.test(id.name) || id.name.endsWith("."))
        throw new ArmFailure(
          400,
          "InvalidResourceGroup",
          `The provided resource group name '${id.name.slice(0, 90)}' has these invalid characters or is too long: resource group names are 1-90 letters, digits, underscores, hyphens, periods and parentheses, and cannot end in a period.`,
        );
      const location = body.location ?? previous?.location;
      if (!location)
        throw new ArmFailure(400, "LocationRequired", "The location property is required for this definition.");
      if (previous?.location && body.location && previous.location !== body.location)
        throw new ArmFailure(
          409,
          "InvalidResourceGroupLocation",
          `Invalid resource group location '${body.location}'. The Resource group already exists in location '${previous.location}'.`,
        );
      return envelope(id, { ...body, location }, { provisioningState: "Succeeded" });
    },
  });
  return [subscriptions, resourceGroups];
}
