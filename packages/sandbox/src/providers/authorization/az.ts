/**
 * `az role assignment …`: Azure RBAC through the sandbox's stand-in for
 * Resource Manager. Changes count for the vault and the queue at once (or
 * after the sandbox's propagation delay), with no restart.
 */
import type { Command } from "commander";
import type { AdminPrincipal } from "../resources/admin.ts";
import { ROLE_DEFINITIONS } from "../../registry.ts";
import { findRoleIn, scopeCovers } from "../../roles.ts";
import { azDate, type Run, usage } from "../../az/shell.ts";
import type { RoleAssignment } from "./rbac.ts";

const findRole = (nameOrId: string) => findRoleIn(ROLE_DEFINITIONS, nameOrId);

type Assignment = RoleAssignment & { readonly principal?: AdminPrincipal };

/** The shape `az role assignment create/list` prints. */
function assignmentJson(assignment: Assignment, subscriptionId: string, withNames: boolean) {
  const principal = assignment.principal;
  return {
    condition: null,
    conditionVersion: null,
    createdBy: null,
    createdOn: azDate(assignment.createdOn),
    delegatedManagedIdentityResourceId: null,
    description: null,
    id: `${assignment.scope}/providers/Microsoft.Authorization/roleAssignments/${assignment.id}`,
    name: assignment.id,
    principalId: assignment.principalId,
    // Graph's name: a user's UPN, a service principal's first servicePrincipalName (its appId).
    ...(withNames
      ? { principalName: (principal?.type === "User" ? principal.displayName : principal?.appId) ?? null }
      : {}),
    principalType: assignment.principalType,
    resourceGroup: /\/resourceGroups\/([^/]+)/i.exec(assignment.scope)?.[1] ?? null,
    roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${assignment.roleDefinitionId}`,
    ...(withNames ? { roleDefinitionName: assignment.roleDefinitionName } : {}),
    scope: assignment.scope,
    type: "Microsoft.Authorization/roleAssignments",
    updatedBy: null,
    updatedOn: azDate(assignment.createdOn),
  };
}

/** az resolves the role before calling Resource Manager, and fails the same way. */
function roleOrFail(role: string | undefined): string | undefined {
  if (role !== undefined && !findRole(role)) throw new Error(`Role '${role}' doesn't exist.`);
  return role;
}

async function assigneeOf(options: { assignee?: string; assigneeObjectId?: string }): Promise<string | undefined> {
  if (options.assignee && options.assigneeObjectId)
    throw usage("usage error: --assignee STRING | --assignee-object-id GUID");
  return options.assignee ?? options.assigneeObjectId;
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
      "represent a user or service principal: object id, client id, user principal name or display name",
    )
    .option("--assignee-object-id <guid>", "the assignee's object id (skips the directory lookup)")
    .option("--assignee-principal-type <type>", "User, Group, ServicePrincipal or ForeignGroup")
    .requiredOption("--role <role>", 'role name or id, e.g. "Key Vault Secrets User"')
    .requiredOption("--scope <scope>", "scope at which the role assignment applies, e.g. the vault's resource id")
    .option("--description <text>", "description of the role assignment")
    .action((options: { assignee?: string; assigneeObjectId?: string; role: string; scope: string }) =>
      run(async (connection) => {
        const assignee = await assigneeOf(options);
        if (!assignee) throw usage("usage error: --assignee STRING | --assignee-object-id GUID");
        const role = roleOrFail(options.role);
        const created = await connection.admin<Assignment>("POST", "/role-assignments", {
          assignee,
          role,
          scope: options.scope,
        });
        return assignmentJson(created, (await connection.account()).subscription.id, false);
      }),
    );

  assignment
    .command("delete")
    .description("Delete role assignments.")
    .option("--assignee <assignee>", "represent a user or service principal")
    .option("--assignee-object-id <guid>", "the assignee's object id")
    .option("--role <role>", "role name or id")
    .option("--scope <scope>", "scope at which the role assignment applies")
    .option("-g, --resource-group <group>", "use the resource group as scope")
    .option("--ids <ids...>", "space-separated role assignment ids")
    .action(
      (options: {
        assignee?: string;
        assigneeObjectId?: string;
        role?: string;
        scope?: string;
        resourceGroup?: string;
        ids?: string[];
      }) =>
        run(async (connection) => {
          const assignee = await assigneeOf(options);
          const role = roleOrFail(options.role);
          const scope =
            options.scope ??
            (options.resourceGroup
              ? `/subscriptions/${(await connection.account()).subscription.id}/resourceGroups/${options.resourceGroup}`
              : undefined);
          const ids = (options.ids ?? []).map((id) => id.split("/").at(-1) ?? id);
          if (ids.length > 0 && (assignee || role || scope))
            throw usage("usage error: When assignment ids are used, other parameter values are not required");
          if (ids.length === 0 && !assignee && !role && !scope)
            throw usage("usage error: please provide at least one of --assignee, --role, --scope, --ids");
          const deleted: Assignment[] = [];
          if (ids.length > 0)
            for (const id of ids)
              deleted.push(...(await connection.admin<Assignment[]>("DELETE", "/role-assignments", { id })));
          else
            deleted.push(
              ...(await connection.admin<Assignment[]>("DELETE", "/role-assignments", { assignee, role, scope })),
            );
          if (deleted.length === 0) process.stderr.write("WARNING: No matched assignments were found to delete\n");
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
        run(
          async (connection) => {
            const account = await connection.account();
            if (options.all && (options.scope || options.resourceGroup))
              throw usage("usage error: group or scope are not required when --all is used");
            const subscriptionScope = `/subscriptions/${account.subscription.id}`;
            const scope = options.all
              ? undefined
              : (options.scope ??
                (options.resourceGroup
                  ? `${subscriptionScope}/resourceGroups/${options.resourceGroup}`
                  : subscriptionScope));
            const role = options.role ? findRole(roleOrFail(options.role) ?? "") : undefined;
            let principalId: string | undefined;
            if (options.assignee) {
              const wanted = options.assignee.toLowerCase();
              const principals = await connection.admin<AdminPrincipal[]>("GET", "/principals");
              principalId = principals.find(
                (p) => p.objectId === wanted || p.appId === wanted || p.displayName.toLowerCase() === wanted,
              )?.objectId;
              if (!principalId)
                throw new Error(`Cannot find user or service principal in graph database for '${options.assignee}'.`);
            }
            const all = await connection.admin<Assignment[]>("GET", "/role-assignments");
            return all
              .filter(
                (a) =>
                  !scope ||
                  a.scope.toLowerCase() === scope.toLowerCase() ||
                  (options.includeInherited === true && scopeCovers(a.scope, scope)),
              )
              .filter((a) => !role || a.roleDefinitionId === role.id)
              .filter((a) => !principalId || a.principalId === principalId)
              .map((a) => assignmentJson(a, account.subscription.id, true));
          },
          {
            table: (rows) =>
              (rows as ReturnType<typeof assignmentJson>[]).map((row) => ({
                Principal: row.principalName,
                Role: row.roleDefinitionName,
                Scope: row.scope,
              })),
          },
        ),
    );
}
