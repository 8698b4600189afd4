/**
 * Microsoft.Authorization's resource types: role assignments (an extension
 * resource, on any scope: a subscription, a group, a vault, one queue) and the
 * built-in role definitions. A role assignment's PUT checks what Azure checks:
 * its name is a GUID, the role and the principal exist, the scope exists (the
 * ResourceManager checks that), and it is not a duplicate.
 */
import type { ResourceId } from "../../arm/resourceId.ts";
import { type ArmResource, ArmFailure, type ResourceTypeHandler } from "../../arm/resourceType.ts";
import type { RoleAssignment } from "../../contracts.ts";
import type { RoleDefinition } from "../../roles.ts";
import { scopeCovers } from "../../roles.ts";
import type { RoleAssignments } from "./rbac.ts";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASSIGNMENTS = "Microsoft.Authorization/roleAssignments";
const DEFINITIONS = "Microsoft.Authorization/roleDefinitions";

export interface AuthorizationTypesOptions {
  readonly rbac: RoleAssignments;
  readonly subscriptionId: () => string;
  readonly tenantId: string;
  /** Who an object id is, when the directory knows it. */
  readonly principalType: (objectId: string) => "User" | "ServicePrincipal" | undefined;
  /** A principal's display name, for the Activity log. */
  readonly principalName?: (objectId: string) => string | undefined;
}

/** The scope a role assignment's id names: what comes before its `/providers/Microsoft.Authorization`. */
const scopeOf = (id: ResourceId) => id.extends ?? id.parent ?? "";

export function authorizationTypes(options: AuthorizationTypesOptions): ResourceTypeHandler[] {
  const { rbac } = options;
  const definitionId = (role: RoleDefinition | string) =>
    `/subscriptions/${options.subscriptionId()}/providers/${DEFINITIONS}/${typeof role === "string" ? role : role.id}`;
  const show = (assignment: RoleAssignment): ArmResource => ({
    id: `${assignment.scope}/providers/${ASSIGNMENTS}/${assignment.id}`,
    name: assignment.id,
    type: ASSIGNMENTS,
    properties: {
      roleDefinitionId: definitionId(assignment.roleDefinitionId),
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      scope: assignment.scope,
      condition: null,
      conditionVersion: null,
      createdOn: assignment.createdOn,
      updatedOn: assignment.createdOn,
      createdBy: null,
      updatedBy: null,
      delegatedManagedIdentityResourceId: null,
      description: assignment.description ?? null,
    },
  });
  const at = (id: ResourceId) => {
    const found = rbac.get(id.name);
    return found && found.scope.toLowerCase() === scopeOf(id).toLowerCase() ? found : undefined;
  };

  const roleAssignments: ResourceTypeHandler = {
    type: ASSIGNMENTS,
    put({ id, body }) {
      if (!GUID.test(id.name))
        throw new ArmFailure(
          400,
          "InvalidRoleAssignmentId",
          `The role assignment ID '${id.name.slice(0, 64)}' is not valid. The role assignment ID must be a GUID.`,
        );
      const properties = (body.properties ?? {}) as Record<string, unknown>;
      const roleId = typeof properties["roleDefinitionId"] === "string" ? properties["roleDefinitionId"] : "";
      const principalId = typeof properties["principalId"] === "string" ? properties["principalId"].toLowerCase() : "";
      const role = rbac.findRole(roleId);
      if (!role)
        throw new ArmFailure(
          404,
          "RoleDefinitionDoesNotExist",
          `The specified role definition with ID '${roleId.split("/").at(-1)?.slice(0, 64) ?? ""}' does not exist.`,
        );
      const known = options.principalType(principalId);
      if (!known)
        throw new ArmFailure(
          400,
          "PrincipalNotFound",
          `Principal ${principalId.slice(0, 64)} does not exist in the directory ${options.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
        );
      const scope = scopeOf(id);
      const existing = at(id);
      if (existing) {
        // The same assignment again: nothing to change, as a template redeployed.
        if (existing.principalId === principalId && existing.roleDefinitionId === role.id) return show(existing);
        throw new ArmFailure(
          409,
          "RoleAssignmentUpdateNotPermitted",
          "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
        );
      }
      const description = typeof properties["description"] === "string" ? properties["description"] : undefined;
      try {
        return show(
          rbac.add({
            id: id.name.toLowerCase(),
            principalId,
            principalType: known,
            role: role.id,
            scope,
            ...(description ? { description } : {}),
          }),
        );
      } catch (error) {
        if (error instanceof Error && error.name === "RoleAssignmentExistsError")
          throw new ArmFailure(409, "RoleAssignmentExists", "The role assignment already exists.");
        throw error;
      }
    },
    get: (id) => {
      const found = at(id);
      return found ? show(found) : undefined;
    },
    list: (parent) =>
      rbac
        .list()
        .filter((assignment) => scopeCovers(assignment.scope, parent) || scopeCovers(parent, assignment.scope))
        .map(show),
    delete({ id }) {
      return at(id) !== undefined && rbac.remove({ id: id.name }).length > 0;
    },
    // Who got which role where, and from when it counts (Azure's propagation delay), as the live view shows it.
    activity: (resource): Record<string, string> => {
      const assignment = rbac.get(resource.name);
      return assignment
        ? {
            roleDefinitionName: assignment.roleDefinitionName,
            principalId: assignment.principalId,
            principalName: options.principalName?.(assignment.principalId) ?? "",
            scope: assignment.scope,
            effectiveFrom: new Date(assignment.effectiveFrom).toISOString(),
          }
        : {};
    },
  };

  const showDefinition = (role: RoleDefinition): ArmResource => ({
    id: definitionId(role),
    name: role.id,
    type: DEFINITIONS,
    properties: {
      roleName: role.name,
      type: "BuiltInRole",
      description: role.description ?? "",
      assignableScopes: ["/"],
      permissions: [
        {
          actions: role.actions,
          notActions: role.notActions ?? [],
          dataActions: role.dataActions,
          notDataActions: role.notDataActions ?? [],
        },
      ],
    },
  });
  const roleDefinitions: ResourceTypeHandler = {
    type: DEFINITIONS,
    put: () => {
      throw new ArmFailure(
        403,
        "AuthorizationFailed",
        "Built-in role definitions cannot be changed, and this sandbox has no custom roles.",
      );
    },
    get: (id) => {
      const role = rbac.findRole(id.name);
      return role ? showDefinition(role) : undefined;
    },
    list: () => rbac.roles.map(showDefinition),
  };
  return [roleAssignments, roleDefinitions];
}
