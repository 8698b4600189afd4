/**
 * `az role assignment create|list|delete`, as the Azure CLI runs them: the
 * assignee resolved in Microsoft Graph (the sandbox's directory stands in),
 * the role by name or id among the role definitions, then Resource Manager's
 * REST API:
 *
 *   PUT    {scope}/providers/Microsoft.Authorization/roleAssignments/{new guid}
 *   GET    {scope}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()
 *   DELETE {assignment id}
 *
 * so Resource Manager checks what Azure checks (the scope exists, the caller
 * may assign roles) and writes the Activity log. A change counts for the vault
 * and the queue at once (or after the sandbox's propagation delay), no restart.
 */
import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import type { Connection } from "../../az/connection.ts";
import { displayableNames, isGuid, type PrincipalType, principals, resolveAssignee } from "../../az/graph.ts";
import { azDate, groupScope, type Run, type Shell } from "../../az/shell.ts";
import { scopeCovers } from "../../roles.ts";

/** Microsoft.Authorization's api-version the commands send. */
const API = "2022-04-01";
const ASSIGNMENTS = "providers/Microsoft.Authorization/roleAssignments";
const DEFINITIONS = "providers/Microsoft.Authorization/roleDefinitions";

interface AssignmentResource {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly properties: {
    readonly roleDefinitionId: string;
    readonly principalId: string;
    readonly principalType: string;
    readonly scope: string;
    readonly createdOn?: string;
    readonly updatedOn?: string;
    readonly description?: string | null;
  } & Record<string, unknown>;
}
interface DefinitionResource {
  readonly id: string;
  readonly properties: { readonly roleName: string };
}

/** A role assignment as az prints it: the SDK's model, its properties flattened. */
function assignmentJson(assignment: AssignmentResource) {
  const { properties } = assignment;
  return {
    condition: properties["condition"] ?? null,
    conditionVersion: properties["conditionVersion"] ?? null,
    createdBy: properties["createdBy"] ?? null,
    createdOn: azDate(properties.createdOn),
    delegatedManagedIdentityResourceId: properties["delegatedManagedIdentityResourceId"] ?? null,
    description: properties.description ?? null,
    id: assignment.id,
    name: assignment.name,
    principalId: properties.principalId,
    principalType: properties.principalType,
    roleDefinitionId: properties.roleDefinitionId,
    scope: properties.scope,
    type: assignment.type,
    updatedBy: properties["updatedBy"] ?? null,
    updatedOn: azDate(properties.updatedOn ?? properties.createdOn),
  };
}
type AssignmentJson = ReturnType<typeof assignmentJson> & {
  principalName?: string;
  roleDefinitionName?: string | null;
};

/** az's `_build_role_scope`: `--scope`, or the group's, or the subscription's. */
function roleScope(subscriptionId: string, options: { scope?: string; resourceGroup?: string }): string {
  if (options.scope) {
    if (options.resourceGroup)
      throw new Error(`Resource group "${options.resourceGroup}" is redundant because scope is supplied`);
    if (options.scope.startsWith("/subscriptions/") && !/^\/subscriptions\/[^/]+(\/[^/]+\/[^/]+)*$/.test(options.scope))
      throw new Error("Invalid scope. Please use --help to view the valid format.");
    return options.scope;
  }
  return options.resourceGroup ? groupScope(subscriptionId, options.resourceGroup) : `/subscriptions/${subscriptionId}`;
}

/** az's `_resolve_role_id`: a role definition's id, a GUID, or a role's name looked up at the scope. */
async function roleId(connection: Connection, role: string, scope: string): Promise<string> {
  if (/^\/subscriptions\/.+\/providers\/Microsoft\.Authorization\/roleDefinitions\//i.test(role)) return role;
  const subscriptionId = await connection.subscriptionId();
  if (isGuid(role)) return `/subscriptions/${subscriptionId}/${DEFINITIONS}/${role}`;
  const filter = encodeURIComponent(`roleName eq '${role}'`);
  const { value } = await connection.arm<{ value: DefinitionResource[] }>(
    "GET",
    `${scope}/${DEFINITIONS}?$filter=${filter}`,
    API,
  );
  const [first, ...more] = value;
  if (!first) throw new Error(`Role '${role}' doesn't exist.`);
  if (more.length > 0)
    throw new Error(
      `More than one role matches the given name '${role}'. Please pick a value from '${value.map((found) => found.id)}'`,
    );
  return first.id;
}

interface SearchOptions {
  readonly scope?: string;
  readonly assignee?: string;
  readonly role?: string;
  readonly includeInherited?: boolean;
}

/** az's `_search_role_assignments`: by scope (`atScope()`) or subscription-wide, then filtered as az filters. */
async function searchAssignments(connection: Connection, options: SearchOptions): Promise<AssignmentResource[]> {
  const subscription = `/subscriptions/${await connection.subscriptionId()}`;
  const principalId = options.assignee ? (await resolveAssignee(connection, options.assignee)).objectId : undefined;
  const path = options.scope
    ? `${options.scope}/${ASSIGNMENTS}?$filter=${encodeURIComponent("atScope()")}`
    : principalId
      ? `${subscription}/${ASSIGNMENTS}?$filter=${encodeURIComponent(`principalId eq '${principalId}'`)}`
      : `${subscription}/${ASSIGNMENTS}`;
  const { value } = await connection.arm<{ value: AssignmentResource[] }>("GET", path, API);
  const { scope } = options;
  const role = options.role ? await roleId(connection, options.role, scope ?? subscription) : undefined;
  return value
    .filter(
      ({ properties }) =>
        !scope ||
        properties.scope.toLowerCase() === scope.toLowerCase() ||
        (options.includeInherited === true && scopeCovers(properties.scope, scope)),
    )
    .filter(({ properties }) => !role || properties.roleDefinitionId.toLowerCase() === role.toLowerCase())
    .filter(({ properties }) => !principalId || properties.principalId === principalId);
}

/** `az role assignment list`: each assignment with its role's and its principal's names, as az fills them in. */
async function listAssignments(
  connection: Connection,
  options: SearchOptions & { resourceGroup?: string; all?: boolean },
): Promise<AssignmentJson[]> {
  const subscriptionId = await connection.subscriptionId();
  if (options.all && (options.scope || options.resourceGroup))
    throw new Error("group or scope are not required when --all is used");
  const scope = options.all ? undefined : roleScope(subscriptionId, options);
  const found = await searchAssignments(connection, { ...options, ...(scope ? { scope } : {}) });
  if (found.length === 0) return [];
  const { value: definitions } = await connection.arm<{ value: DefinitionResource[] }>(
    "GET",
    `${scope ?? `/subscriptions/${subscriptionId}`}/${DEFINITIONS}`,
    API,
  );
  const roleNames = new Map(
    definitions.map((definition) => [definition.id.toLowerCase(), definition.properties.roleName]),
  );
  const names = await displayableNames(connection);
  return found.map((assignment) => ({
    ...assignmentJson(assignment),
    principalName: names.get(assignment.properties.principalId) ?? "",
    roleDefinitionName: roleNames.get(assignment.properties.roleDefinitionId.toLowerCase()) ?? null,
  }));
}

export function register(az: Command, run: Run): void {
  const assignment = az
    .command("role")
    .description("Manage Azure role-based access control (Azure RBAC).")
    .command("assignment")
    .description("Manage role assignments.");

  assignment
    .command("create")
    .description("Create a new role assignment for a user, group, or service principal.")
    .option(
      "--assignee <assignee>",
      "represent a user or service principal: its object id, user principal name or service principal name (appId)",
    )
    .option("--assignee-object-id <guid>", "the assignee's object id (skips the directory lookup)")
    .option("--assignee-principal-type <type>", "User, Group, ServicePrincipal or ForeignGroup")
    .requiredOption("--role <role>", 'role name or id, e.g. "Key Vault Secrets User"')
    .option("--scope <scope>", "scope at which the role assignment applies, e.g. the vault's resource id")
    .option("-g, --resource-group <group>", "use the resource group as scope")
    .option("--description <text>", "description of the role assignment")
    .action(
      (options: {
        assignee?: string;
        assigneeObjectId?: string;
        assigneePrincipalType?: string;
        role: string;
        scope?: string;
        resourceGroup?: string;
        description?: string;
      }) =>
        run(async (connection, shell) => {
          if (Boolean(options.assignee) === Boolean(options.assigneeObjectId))
            throw new Error("usage error: --assignee STRING | --assignee-object-id GUID");
          if (options.assigneePrincipalType && !options.assigneeObjectId)
            throw new Error("usage error: --assignee-object-id GUID --assignee-principal-type TYPE");
          const principal = options.assignee
            ? await resolveAssignee(connection, options.assignee)
            : await byObjectId(connection, shell, options.assigneeObjectId ?? "", options.assigneePrincipalType);
          const scope = roleScope(await connection.subscriptionId(), options);
          const roleDefinitionId = await roleId(connection, options.role, scope);
          try {
            const created = await connection.arm<AssignmentResource>(
              "PUT",
              `${scope}/${ASSIGNMENTS}/${randomUUID()}`,
              API,
              {
                properties: {
                  roleDefinitionId,
                  principalId: principal.objectId,
                  ...(principal.principalType ? { principalType: principal.principalType } : {}),
                  ...(options.description ? { description: options.description } : {}),
                },
              },
            );
            return assignmentJson(created);
          } catch (error) {
            // az makes a second create of the same assignment a no-op: it answers the one there is.
            if ((error as { status?: number }).status !== 409 || !/role assignment already exists/i.test(String(error)))
              throw error;
            const [existing] = await listAssignments(connection, { ...options, scope, role: options.role });
            if (!existing) throw error;
            return existing;
          }
        }),
    );

  assignment
    .command("delete")
    .description("Delete role assignments.")
    .option("--assignee <assignee>", "represent a user or service principal")
    .option("--role <role>", "role name or id")
    .option("--scope <scope>", "scope at which the role assignment applies")
    .option("-g, --resource-group <group>", "use the resource group as scope")
    .option("--include-inherited", "include assignments applied on parent scopes")
    .option("--ids <ids...>", "space-separated role assignment ids")
    .option("-y, --yes", "currently no-op")
    .action(
      (options: {
        assignee?: string;
        role?: string;
        scope?: string;
        resourceGroup?: string;
        includeInherited?: boolean;
        ids?: string[];
        yes?: boolean;
      }) =>
        run(async (connection, shell) => {
          if (options.ids?.length) {
            for (const [name, flag] of [
              ["assignee", "--assignee"],
              ["role", "--role"],
              ["resourceGroup", "--resource-group"],
              ["scope", "--scope"],
              ["includeInherited", "--include-inherited"],
            ] as const)
              if (options[name]) shell.warn(`option '${flag}' will be ignored due to use of '--ids'.`);
            for (const id of options.ids) await connection.arm("DELETE", id, API);
            return undefined;
          }
          if (!options.assignee && !options.role && !options.resourceGroup && !options.scope)
            await shell.confirm(
              options.yes,
              "This will delete all role assignments under the subscription. Are you sure?",
            );
          const scope = roleScope(await connection.subscriptionId(), options);
          const found = await searchAssignments(connection, { ...options, scope });
          if (found.length === 0) throw new Error("No matched assignments were found to delete");
          for (const match of found) await connection.arm("DELETE", match.id, API);
          return undefined;
        }),
    );

  assignment
    .command("list")
    .description(
      "List role assignments. By default only assignments at the subscription's own scope are shown: use --all, or --scope.",
    )
    .option("--assignee <assignee>", "represent a user or service principal")
    .option("--role <role>", "role name or id")
    .option("--scope <scope>", "scope at which the role assignment applies")
    .option("-g, --resource-group <group>", "use the resource group as scope")
    .option("--include-inherited", "include assignments applied on parent scopes")
    .option("--all", "show all assignments under the current subscription")
    .action(
      (options: {
        assignee?: string;
        role?: string;
        scope?: string;
        resourceGroup?: string;
        includeInherited?: boolean;
        all?: boolean;
      }) =>
        run((connection) => listAssignments(connection, options), {
          table: (rows) =>
            (rows as AssignmentJson[]).map((row) => ({
              Principal: row.principalName,
              Role: row.roleDefinitionName,
              Scope: row.scope,
            })),
        }),
    );
}

/** `--assignee-object-id`: taken as given; its kind from Graph unless `--assignee-principal-type` says it, as az does. */
async function byObjectId(
  connection: Connection,
  shell: Shell,
  objectId: string,
  principalType: string | undefined,
): Promise<{ objectId: string; principalType?: PrincipalType | string }> {
  if (principalType) return { objectId, principalType };
  shell.warn(
    "RBAC service might reject creating role assignment without --assignee-principal-type in the future. Better to specify --assignee-principal-type manually.",
  );
  const found = (await principals(connection)).find((principal) => principal.objectId === objectId.toLowerCase());
  return found ? { objectId, principalType: found.type === "User" ? "User" : "ServicePrincipal" } : { objectId };
}
