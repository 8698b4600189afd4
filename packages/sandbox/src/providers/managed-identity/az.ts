/**
 * `az identity …`: the user-assigned managed identities (the ids a lesson grants
 * roles to, and the client id an app names in AZURE_CLIENT_ID) and their
 * federated identity credentials (what Entra ID trusts for AKS workload identity).
 */
import type { Command } from "commander";
import type { AdminAccount, AdminUserAssignedIdentity } from "../resources/admin.ts";
import type { Connection } from "../../az/connection.ts";
import { arm } from "../../az/rest.ts";
import type { Run } from "../../az/shell.ts";

const IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities";
/** What the Azure CLI sends for federated identity credentials. */
const FEDERATED_API_VERSION = "2023-01-31";

/** An ARM federated identity credential, as `az identity federated-credential show` flattens it. */
function flattened(resource: {
  id: string;
  name: string;
  type: string;
  properties?: { issuer?: string; subject?: string; audiences?: string[] };
}) {
  return {
    audiences: resource.properties?.audiences ?? [],
    id: resource.id,
    issuer: resource.properties?.issuer ?? "",
    name: resource.name,
    resourceGroup: resource.id.split("/")[4] ?? "",
    subject: resource.properties?.subject ?? "",
    systemData: null,
    type: resource.type,
  };
}

async function identities(
  connection: Connection,
  group: string,
): Promise<{ account: AdminAccount; found: readonly AdminUserAssignedIdentity[] }> {
  const account = await connection.account();
  const found =
    account.resourceGroup.toLowerCase() === group.toLowerCase() ? (account.userAssignedIdentities ?? []) : [];
  return { account, found };
}

async function identity(
  connection: Connection,
  name: string,
  group: string,
): Promise<{ account: AdminAccount; found: AdminUserAssignedIdentity }> {
  const { account, found } = await identities(connection, group);
  const match = found.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (!match)
    throw Object.assign(
      new Error(`The Resource '${IDENTITY_TYPE}/${name}' under resource group '${group}' was not found.`),
      { code: "ResourceNotFound" },
    );
  return { account, found: match };
}

/** `az identity show`'s shape. */
const shown = (account: AdminAccount, found: AdminUserAssignedIdentity) => ({
  clientId: found.clientId,
  id: found.id,
  location: account.location,
  name: found.name,
  principalId: found.principalId,
  resourceGroup: account.resourceGroup,
  systemData: null,
  tags: {},
  tenantId: account.tenantId,
  type: IDENTITY_TYPE,
});

export function register(az: Command, run: Run): void {
  const group = az.command("identity").description("Managed Identities.");

  group
    .command("show")
    .description("Show a user-assigned managed identity.")
    .requiredOption("-n, --name <name>", "the identity resource name")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .action((options: { name: string; resourceGroup: string }) =>
      run(async (connection) => {
        const { account, found } = await identity(connection, options.name, options.resourceGroup);
        return shown(account, found);
      }),
    );

  group
    .command("list")
    .description("List user-assigned managed identities.")
    .option("-g, --resource-group <group>", "name of resource group")
    .action((options: { resourceGroup?: string }) =>
      run(
        async (connection) => {
          const account = await connection.account();
          const { found } = await identities(connection, options.resourceGroup ?? account.resourceGroup);
          return found.map((candidate) => shown(account, candidate));
        },
        {
          table: (rows) =>
            (rows as ReturnType<typeof shown>[]).map((row) => ({
              ClientId: row.clientId,
              Location: row.location,
              Name: row.name,
              PrincipalId: row.principalId,
              ResourceGroup: row.resourceGroup,
            })),
        },
      ),
    );

  const federated = group
    .command("federated-credential")
    .description("Manage federated identity credentials under user assigned identities.");
  federated
    .command("create")
    .description("Create a federated identity credential under an existing user assigned identity.")
    .requiredOption("-n, --name <name>", "the name of the federated identity credential resource")
    .requiredOption("--identity-name <name>", "the name of the identity resource")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .requiredOption("--issuer <url>", "the openId connect metadata URL of the issuer of the identity provider")
    .requiredOption(
      "--subject <subject>",
      "the sub value in the token sent to Azure AD for getting the user-assigned identity token",
    )
    .option("--audiences <audiences...>", "the aud value in the token sent to Azure", ["api://AzureADTokenExchange"])
    .action(
      (options: {
        name: string;
        identityName: string;
        resourceGroup: string;
        issuer: string;
        subject: string;
        audiences: string[];
      }) =>
        run(async (connection) => {
          const { found } = await identity(connection, options.identityName, options.resourceGroup);
          const created = await arm<Parameters<typeof flattened>[0]>(
            connection,
            "PUT",
            `${found.id}/federatedIdentityCredentials/${encodeURIComponent(options.name)}`,
            FEDERATED_API_VERSION,
            { properties: { issuer: options.issuer, subject: options.subject, audiences: options.audiences } },
          );
          return flattened(created);
        }),
    );
  federated
    .command("show")
    .description("Show a federated identity credential under an existing user assigned identity.")
    .requiredOption("-n, --name <name>", "the name of the federated identity credential resource")
    .requiredOption("--identity-name <name>", "the name of the identity resource")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .action((options: { name: string; identityName: string; resourceGroup: string }) =>
      run(async (connection) => {
        const { found } = await identity(connection, options.identityName, options.resourceGroup);
        return flattened(
          await arm(
            connection,
            "GET",
            `${found.id}/federatedIdentityCredentials/${encodeURIComponent(options.name)}`,
            FEDERATED_API_VERSION,
          ),
        );
      }),
    );
  federated
    .command("delete")
    .description("Delete a federated identity credential under an existing user assigned identity.")
    .requiredOption("-n, --name <name>", "the name of the federated identity credential resource")
    .requiredOption("--identity-name <name>", "the name of the identity resource")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .option("-y, --yes", "do not prompt for confirmation")
    .action((options: { name: string; identityName: string; resourceGroup: string }) =>
      run(async (connection) => {
        const { found } = await identity(connection, options.identityName, options.resourceGroup);
        await arm(
          connection,
          "DELETE",
          `${found.id}/federatedIdentityCredentials/${encodeURIComponent(options.name)}`,
          FEDERATED_API_VERSION,
        );
        return undefined;
      }),
    );
  federated
    .command("list")
    .description("List all federated identity credentials under an existing user assigned identity.")
    .requiredOption("--identity-name <name>", "the name of the identity resource")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .action((options: { identityName: string; resourceGroup: string }) =>
      run(async (connection) => {
        const { account, found } = await identity(connection, options.identityName, options.resourceGroup);
        return found.federatedIdentityCredentials.map((credential) => ({
          audiences: credential.audiences,
          id: `${found.id}/federatedIdentityCredentials/${credential.name}`,
          issuer: credential.issuer,
          name: credential.name,
          resourceGroup: account.resourceGroup,
          subject: credential.subject,
          systemData: null,
          type: `${IDENTITY_TYPE}/federatedIdentityCredentials`,
        }));
      }),
    );
}
