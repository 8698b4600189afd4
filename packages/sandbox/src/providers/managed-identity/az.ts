/**
 * `az identity …` and `az identity federated-credential …`: user-assigned
 * managed identities (the ids a lesson grants roles to, the client id an app
 * names in AZURE_CLIENT_ID) and the federated identity credentials through
 * which Entra ID trusts another issuer's tokens for them (an AKS cluster's),
 * as Resource Manager serves them:
 *
 *   {group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}
 *   …/userAssignedIdentities/{name}/federatedIdentityCredentials/{credential}
 */
import type { Command } from "commander";
import type { Connection } from "../../az/connection.ts";
import { groupScope, type Run } from "../../az/shell.ts";

/** Microsoft.ManagedIdentity's api-version the commands send. */
const API = "2023-01-31";
const IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities";
const AUDIENCE = "api://AzureADTokenExchange";

interface Resource {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly location?: string;
  readonly tags?: Record<string, string>;
  readonly properties?: Record<string, unknown>;
}

/** `az identity show`'s shape: the identity's properties flattened, as the SDK's model holds them. */
const identityJson = (identity: Resource) => ({
  clientId: identity.properties?.["clientId"] ?? null,
  id: identity.id,
  location: identity.location ?? null,
  name: identity.name,
  principalId: identity.properties?.["principalId"] ?? null,
  tags: identity.tags ?? null,
  tenantId: identity.properties?.["tenantId"] ?? null,
  type: identity.type,
});

/** `az identity federated-credential show`'s shape. */
const credentialJson = (credential: Resource) => ({
  audiences: credential.properties?.["audiences"] ?? [],
  id: credential.id,
  issuer: credential.properties?.["issuer"] ?? null,
  name: credential.name,
  subject: credential.properties?.["subject"] ?? null,
  type: credential.type,
});

const identityId = async (connection: Connection, group: string, name: string) =>
  `${groupScope(await connection.subscriptionId(), group)}/providers/${IDENTITY_TYPE}/${name}`;

/** `--tags a=b c`: az's tags, each `key[=value]`. */
const tagsOf = (pairs: readonly string[] | undefined) =>
  pairs
    ? Object.fromEntries(pairs.map((pair) => [pair.split("=")[0] ?? "", pair.split("=").slice(1).join("=")]))
    : undefined;

const named = (command: Command) =>
  command
    .requiredOption("-n, --name <name>", "the identity resource name")
    .requiredOption("-g, --resource-group <group>", "name of resource group");

export function register(az: Command, run: Run): void {
  const group = az.command("identity").description("Managed Identities.");

  named(group.command("show").description("Show a user-assigned managed identity.")).action(
    (options: { name: string; resourceGroup: string }) =>
      run(async (connection) =>
        identityJson(
          await connection.arm<Resource>("GET", await identityId(connection, options.resourceGroup, options.name), API),
        ),
      ),
  );

  named(group.command("create").description("Create an identity."))
    .option("-l, --location <location>", "location; the resource group's when not given")
    .option("--tags <tags...>", "space-separated tags: key[=value]")
    .action((options: { name: string; resourceGroup: string; location?: string; tags?: string[] }) =>
      run(async (connection) => {
        const scope = groupScope(await connection.subscriptionId(), options.resourceGroup);
        // Like az, the location defaults to the group's.
        const location =
          options.location ?? (await connection.arm<Resource>("GET", scope, "2022-09-01")).location ?? "";
        const tags = tagsOf(options.tags);
        const created = await connection.arm<Resource>(
          "PUT",
          await identityId(connection, options.resourceGroup, options.name),
          API,
          { location, ...(tags ? { tags } : {}) },
        );
        return identityJson(created);
      }),
    );

  named(group.command("delete").description("Delete an identity.")).action(
    (options: { name: string; resourceGroup: string }) =>
      run(async (connection) => {
        await connection.arm("DELETE", await identityId(connection, options.resourceGroup, options.name), API);
        return undefined;
      }),
  );

  group
    .command("list")
    .description("List user assigned identities.")
    .option("-g, --resource-group <group>", "name of resource group; the whole subscription when not given")
    .action((options: { resourceGroup?: string }) =>
      run(
        async (connection) => {
          const subscription = `/subscriptions/${await connection.subscriptionId()}`;
          const scope = options.resourceGroup
            ? groupScope(await connection.subscriptionId(), options.resourceGroup)
            : subscription;
          const { value } = await connection.arm<{ value: Resource[] }>(
            "GET",
            `${scope}/providers/${IDENTITY_TYPE}`,
            API,
          );
          return value.map(identityJson);
        },
        {
          table: (rows) =>
            (rows as (ReturnType<typeof identityJson> & { resourceGroup?: string })[]).map((row) => ({
              ClientId: row.clientId,
              Location: row.location,
              Name: row.name,
              PrincipalId: row.principalId,
              ResourceGroup: row.resourceGroup,
            })),
        },
      ),
    );

  registerFederatedCredentials(group, run);
}

/** `az identity federated-credential list|show|create|delete`: the identity's child resources. */
function registerFederatedCredentials(group: Command, run: Run): void {
  const federated = group
    .command("federated-credential")
    .description("Manage federated identity credentials under user assigned identities.");
  const onIdentity = (command: Command) =>
    command
      .requiredOption("--identity-name <name>", "the name of the identity resource")
      .requiredOption("-g, --resource-group <group>", "name of resource group");
  const credentialId = async (
    connection: Connection,
    options: { resourceGroup: string; identityName: string; name: string },
  ) =>
    `${await identityId(connection, options.resourceGroup, options.identityName)}/federatedIdentityCredentials/${options.name}`;
  const credentialName = (command: Command) =>
    command.requiredOption("-n, --name <name>", "the name of the federated identity credential resource");

  onIdentity(
    federated
      .command("list")
      .description("List all federated identity credentials under an existing user assigned identity."),
  ).action((options: { identityName: string; resourceGroup: string }) =>
    run(async (connection) => {
      const identity = await identityId(connection, options.resourceGroup, options.identityName);
      const { value } = await connection.arm<{ value: Resource[] }>(
        "GET",
        `${identity}/federatedIdentityCredentials`,
        API,
      );
      return value.map(credentialJson);
    }),
  );

  credentialName(onIdentity(federated.command("show").description("Show a federated identity credential."))).action(
    (options: { identityName: string; resourceGroup: string; name: string }) =>
      run(async (connection) =>
        credentialJson(await connection.arm<Resource>("GET", await credentialId(connection, options), API)),
      ),
  );

  credentialName(
    onIdentity(
      federated
        .command("create")
        .description("Create a federated identity credential under an existing user assigned identity."),
    ),
  )
    .requiredOption("--issuer <url>", "the OpenID Connect issuer whose tokens Entra ID trusts for this identity")
    .requiredOption("--subject <subject>", "the `sub` of those tokens, e.g. system:serviceaccount:<namespace>:<name>")
    .option("--audiences <audiences...>", `the \`aud\` of those tokens (default ${AUDIENCE})`)
    .action(
      (options: {
        identityName: string;
        resourceGroup: string;
        name: string;
        issuer: string;
        subject: string;
        audiences?: string[];
      }) =>
        run(async (connection) => {
          const created = await connection.arm<Resource>("PUT", await credentialId(connection, options), API, {
            properties: {
              issuer: options.issuer,
              subject: options.subject,
              audiences: options.audiences?.length ? options.audiences : [AUDIENCE],
            },
          });
          return credentialJson(created);
        }),
    );

  credentialName(onIdentity(federated.command("delete").description("Delete a federated identity credential.")))
    .option("-y, --yes", "do not prompt for confirmation")
    .action((options: { identityName: string; resourceGroup: string; name: string; yes?: boolean }) =>
      run(async (connection, shell) => {
        await shell.confirm(options.yes);
        await connection.arm("DELETE", await credentialId(connection, options), API);
        return undefined;
      }),
    );
}
