/**
 * Azure Resource Manager ids, read as ARM reads them:
 *
 *   /subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/{type}/{name}…]
 *
 * and extension resources, which live on another resource's id (a role
 * assignment on a vault, a queue, a resource group):
 *
 *   {scope}/providers/Microsoft.Authorization/roleAssignments/{name}
 *
 * Names and types compare case-insensitively, as on Azure.
 */

export interface ResourceId {
  /** The id as given (its casing kept). */
  readonly id: string;
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  /** `Microsoft.KeyVault`; undefined for a subscription or a resource group. */
  readonly namespace?: string;
  /**
   * The full type: `Microsoft.KeyVault/vaults/secrets`, or `Microsoft.Resources/subscriptions` and
   * `Microsoft.Resources/resourceGroups` for those two.
   */
  readonly type: string;
  /** The names along the type: `["keyless-kv", "third-party-api-key"]` for a secret. */
  readonly names: readonly string[];
  /** Its own name (the last of `names`). */
  readonly name: string;
  /** The id of its parent: the vault of a secret; the resource an extension resource extends; the group of a resource. */
  readonly parent?: string;
  /** For an extension resource (a role assignment), the id of the resource it is on. */
  readonly extends?: string;
}

const SEGMENT = /^[^/]+$/;

/** Reads an ARM id; undefined when it is not one. */
export function parseResourceId(id: string): ResourceId | undefined {
  const trimmed = id.replace(/\/+$/, "");
  const parts = trimmed.split("/");
  if (parts[0] !== "" || parts.length < 3 || parts.slice(1).some((part) => !SEGMENT.test(part))) return undefined;
  const lower = parts.map((part) => part.toLowerCase());
  const last = lower.lastIndexOf("providers");
  if (last > 0 && last < parts.length - 3 && (parts.length - last) % 2 === 0) {
    // {scope}/providers/{namespace}/{type}/{name}[/{type}/{name}…]
    const scope = parts.slice(0, last).join("/");
    const base = scope === "" ? undefined : parseResourceId(scope);
    if (scope !== "" && !base) return undefined;
    const namespace = parts[last + 1] ?? "";
    const rest = parts.slice(last + 2);
    const types = rest.filter((_, index) => index % 2 === 0);
    const names = rest.filter((_, index) => index % 2 === 1);
    const isExtension = base?.namespace !== undefined;
    const parentOfChild =
      names.length > 1 ? [scope, "providers", namespace, ...rest.slice(0, -2)].join("/") : undefined;
    return {
      id: trimmed,
      ...(base?.subscriptionId ? { subscriptionId: base.subscriptionId } : {}),
      ...(base?.resourceGroup ? { resourceGroup: base.resourceGroup } : {}),
      namespace,
      type: [namespace, ...types].join("/"),
      names,
      name: names.at(-1) ?? "",
      ...(parentOfChild ? { parent: parentOfChild } : scope ? { parent: scope } : {}),
      ...(isExtension ? { extends: scope } : {}),
    };
  }
  if (lower[1] !== "subscriptions" || !parts[2]) return undefined;
  if (parts.length === 3) {
    return {
      id: trimmed,
      subscriptionId: parts[2],
      type: "Microsoft.Resources/subscriptions",
      names: [parts[2]],
      name: parts[2],
    };
  }
  if (parts.length === 5 && lower[3] === "resourcegroups" && parts[4]) {
    return {
      id: trimmed,
      subscriptionId: parts[2],
      resourceGroup: parts[4],
      type: "Microsoft.Resources/resourceGroups",
      names: [parts[4]],
      name: parts[4],
      parent: parts.slice(0, 3).join("/"),
    };
  }
  return undefined;
}

/** `{scope}/providers/{namespace}/{type}/{name}…` for a type and its names, as `resourceId()` builds it. */
export function resourceIdOf(scope: string, type: string, ...names: string[]): string {
  const [namespace, ...types] = type.split("/");
  const path = types.flatMap((segment, index) => [segment, names[index] ?? ""]);
  return [scope.replace(/\/+$/, ""), "providers", namespace, ...path].join("/");
}

/** Whether two ids name the same resource (ARM compares them case-insensitively). */
export const sameResource = (a: string, b: string) =>
  a.replace(/\/+$/, "").toLowerCase() === b.replace(/\/+$/, "").toLowerCase();
