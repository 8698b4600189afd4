/**
 * The functions that describe where the deployment runs (`resourceGroup()`,
 * `subscription()`, …) and those that build resource ids from it.
 */
import type { EvalContext } from "../context.ts";
import { ExpressionError } from "../errors.ts";
import { isResourceType, providerPath, resourceGroupId, subscriptionId } from "../resourceIds.ts";
import type { Json } from "../values.ts";
import { ANY, asString, type TemplateFunction } from "./types.ts";

const strings = (fn: string, args: Json[]) => args.map((arg) => asString(fn, arg));

/** `resourceId([subscriptionId], [resourceGroupName], type, name, …)`: the type is the first argument that looks like one. */
function resourceId(args: Json[], ctx: EvalContext): string {
  const all = strings("resourceId", args);
  const typeAt = all.findIndex(isResourceType);
  if (typeAt < 0 || typeAt > 2)
    throw new ExpressionError(
      "Unable to evaluate template language function 'resourceId': the resource type is not valid",
    );
  const [subscription, group] =
    typeAt === 2
      ? [all[0], all[1]]
      : typeAt === 1
        ? [ctx.scope.subscriptionId, all[0]]
        : [ctx.scope.subscriptionId, ctx.scope.resourceGroup.name];
  const type = all[typeAt] ?? "";
  return `${resourceGroupId(subscription ?? "", group ?? "")}${providerPath(type, all.slice(typeAt + 1))}`;
}

function subscriptionResourceId(args: Json[], ctx: EvalContext): string {
  const all = strings("subscriptionResourceId", args);
  const typeAt = all.findIndex(isResourceType);
  if (typeAt < 0 || typeAt > 1)
    throw new ExpressionError(
      "Unable to evaluate template language function 'subscriptionResourceId': the resource type is not valid",
    );
  const subscription = typeAt === 1 ? (all[0] ?? "") : ctx.scope.subscriptionId;
  return `${subscriptionId(subscription)}${providerPath(all[typeAt] ?? "", all.slice(typeAt + 1), "subscriptionResourceId")}`;
}

export const scopeFunctions: Record<string, TemplateFunction> = {
  resourcegroup: {
    min: 0,
    max: 0,
    call: (_args, ctx) => {
      const { subscriptionId: sub, resourceGroup } = ctx.scope;
      return {
        id: resourceGroupId(sub, resourceGroup.name),
        name: resourceGroup.name,
        type: "Microsoft.Resources/resourceGroups",
        location: resourceGroup.location,
        tags: resourceGroup.tags ?? {},
        properties: { provisioningState: "Succeeded" },
      };
    },
  },
  subscription: {
    min: 0,
    max: 0,
    call: (_args, ctx) => ({
      id: subscriptionId(ctx.scope.subscriptionId),
      subscriptionId: ctx.scope.subscriptionId,
      tenantId: ctx.scope.tenantId,
      displayName: ctx.scope.subscriptionDisplayName,
    }),
  },
  tenant: {
    min: 0,
    max: 0,
    call: (_args, ctx) => ({
      id: `/tenants/${ctx.scope.tenantId}`,
      tenantId: ctx.scope.tenantId,
      countryCode: "",
      displayName: "",
    }),
  },
  deployment: { min: 0, max: 0, call: (_args, ctx) => ctx.deployment() },
  environment: { min: 0, max: 0, call: (_args, ctx) => ctx.scope.environment },
  resourceid: { min: 2, max: ANY, call: resourceId },
  subscriptionresourceid: { min: 2, max: ANY, call: subscriptionResourceId },
  tenantresourceid: {
    min: 2,
    max: ANY,
    call: (args) => {
      const [type, ...names] = strings("tenantResourceId", args);
      return providerPath(type ?? "", names, "tenantResourceId");
    },
  },
  extensionresourceid: {
    min: 3,
    max: ANY,
    call: (args) => {
      const [base, type, ...names] = strings("extensionResourceId", args);
      return `${base}${providerPath(type ?? "", names, "extensionResourceId")}`;
    },
  },
};
