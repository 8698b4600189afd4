/**
 * `az ad app create|show|list|delete`, `az ad sp create|show` and
 * `az ad app federated-credential create|list|show|delete`: app registrations
 * through Microsoft Graph, as the Azure CLI sends them (an `--id` resolved
 * from a client id first, `--parameters` as inline JSON or a JSON file).
 *
 * The lesson's deployer is an app registration with no secret at all: its one
 * credential is federated, and trusts one repository's branch.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { AzError, type Connection } from "../../az/connection.ts";
import { graph } from "../../az/rest.ts";
import { type Run, type Shell, usage } from "../../az/shell.ts";

interface GraphApplication {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
}

const isGuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
const quoted = (value: string) => value.replace(/'/g, "''");

/** The application's object id, from its client id or its object id, as the Azure CLI resolves `--id`. */
async function applicationId(connection: Connection, identifier: string): Promise<string> {
  if (isGuid(identifier)) {
    const found = await graph<GraphApplication[]>(
      connection,
      "GET",
      `/applications?$filter=${encodeURIComponent(`appId eq '${identifier}'`)}`,
    );
    return found[0]?.id ?? identifier;
  }
  const found = await graph<GraphApplication[]>(
    connection,
    "GET",
    `/applications?$filter=${encodeURIComponent(`identifierUris/any(s:s eq '${quoted(identifier)}')`)}`,
  );
  if (!found[0]) throw new AzError(undefined, `Application with identifier URI '${identifier}' doesn't exist`);
  return found[0].id;
}

/** `--parameters`: inline JSON, a JSON file's path, or `@path`. */
function parametersOf(value: string, shell: Shell): unknown {
  const path = shell.file(value.startsWith("@") ? value.slice(1) : value);
  const text = value.startsWith("@") || existsSync(path) ? readFileSync(path, "utf8") : value;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw usage(`Failed to parse string as JSON:\n${text.slice(0, 200)}\nError detail: ${(error as Error).message}`);
  }
}

export function registerApplications(app: Command, sp: Command, run: Run): void {
  app
    .command("create")
    .description("Create an application (no service principal: az ad sp create --id makes one).")
    .requiredOption("--display-name <name>", "the display name of the application")
    .action((options: { displayName: string }) =>
      run(async (connection, shell) => {
        // Idempotent by display name, as the Azure CLI is: an existing application of that name is returned.
        const existing = (
          await graph<GraphApplication[]>(
            connection,
            "GET",
            `/applications?$filter=${encodeURIComponent(`startswith(displayName,'${quoted(options.displayName)}')`)}`,
          )
        ).filter((candidate) => candidate.displayName === options.displayName);
        if (existing.length > 1)
          throw new AzError(
            undefined,
            `More than one application have the same display name '${options.displayName}': (id) ${existing.map((found) => found.id).join(", ")}, please remove them first.`,
          );
        if (existing[0]) {
          shell.err(`WARNING: Found an existing application instance: (id) ${existing[0].id}. We will patch it.\n`);
          return graph(connection, "GET", `/applications/${existing[0].id}`);
        }
        return graph(connection, "POST", "/applications", { displayName: options.displayName });
      }),
    );

  app
    .command("show")
    .description("Get the details of an application.")
    .requiredOption("--id <id>", "identifier uri, application id, or object id")
    .action((options: { id: string }) =>
      run(async (connection) =>
        graph(connection, "GET", `/applications/${await applicationId(connection, options.id)}`),
      ),
    );

  app
    .command("list")
    .description("List applications.")
    .option("--display-name <name>", "the display name or its prefix")
    .option("--app-id <appId>", "application id")
    .option("--all", "list all entities")
    .action((options: { displayName?: string; appId?: string }) =>
      run(async (connection) => {
        const filters = [
          ...(options.appId ? [`appId eq '${quoted(options.appId)}'`] : []),
          ...(options.displayName ? [`startswith(displayName,'${quoted(options.displayName)}')`] : []),
        ];
        const query = filters.length > 0 ? `?$filter=${encodeURIComponent(filters.join(" and "))}` : "";
        return graph(connection, "GET", `/applications${query}`);
      }),
    );

  app
    .command("delete")
    .description("Delete an application, its service principal and its credentials.")
    .requiredOption("--id <id>", "identifier uri, application id, or object id")
    .action((options: { id: string }) =>
      run(async (connection) => {
        await graph(connection, "DELETE", `/applications/${await applicationId(connection, options.id)}`);
        return undefined;
      }),
    );

  sp.command("create")
    .description("Create a service principal for an application: what signs in, and what roles are assigned to.")
    .requiredOption("--id <id>", "the application's client (app) id or object id")
    .action((options: { id: string }) =>
      run(async (connection) => {
        const found = isGuid(options.id)
          ? await graph<GraphApplication[]>(
              connection,
              "GET",
              `/applications?$filter=${encodeURIComponent(`appId eq '${options.id}'`)}`,
            )
          : [];
        const byObjectId = found[0]
          ? undefined
          : await graph<GraphApplication>(connection, "GET", `/applications/${options.id}`).catch(() => undefined);
        const appId = found[0]?.appId ?? byObjectId?.appId ?? options.id;
        return graph(connection, "POST", "/servicePrincipals", { appId });
      }),
    );

  sp.command("show")
    .description("Get the details of a service principal.")
    .requiredOption("--id <id>", "the service principal name (its application's client id), or its object id")
    .action((options: { id: string }) =>
      run(async (connection) => {
        const found = await graph<{ id: string }[]>(
          connection,
          "GET",
          `/servicePrincipals?$filter=${encodeURIComponent(`servicePrincipalNames/any(c:c eq '${quoted(options.id)}')`)}`,
        );
        const byId = found[0]
          ? found
          : await graph<{ id: string }[]>(
              connection,
              "GET",
              `/servicePrincipals?$filter=${encodeURIComponent(`id eq '${quoted(options.id)}'`)}`,
            );
        if (!byId[0]) throw new AzError(undefined, `Service principal '${options.id}' doesn't exist`);
        return byId[0];
      }),
    );

  const federated = app
    .command("federated-credential")
    .description("Manage application federated identity credentials.");
  federated
    .command("create")
    .description("Create an application federated identity credential.")
    .requiredOption("--id <id>", "the application's appId, identifierUri, or id (formerly known as objectId)")
    .requiredOption("--parameters <json>", "the credential: inline JSON or a JSON file's path")
    .action((options: { id: string; parameters: string }) =>
      run(async (connection, shell) => {
        const parameters = parametersOf(options.parameters, shell);
        const id = await applicationId(connection, options.id);
        return graph(connection, "POST", `/applications/${id}/federatedIdentityCredentials`, parameters);
      }),
    );
  federated
    .command("list")
    .description("List application federated identity credentials.")
    .requiredOption("--id <id>", "the application's appId, identifierUri, or id (formerly known as objectId)")
    .action((options: { id: string }) =>
      run(async (connection) =>
        graph(
          connection,
          "GET",
          `/applications/${await applicationId(connection, options.id)}/federatedIdentityCredentials`,
        ),
      ),
    );
  federated
    .command("show")
    .description("Show an application federated identity credential.")
    .requiredOption("--id <id>", "the application's appId, identifierUri, or id (formerly known as objectId)")
    .requiredOption("--federated-credential-id <idOrName>", "ID or name of the federated identity credential")
    .action((options: { id: string; federatedCredentialId: string }) =>
      run(async (connection) =>
        graph(
          connection,
          "GET",
          `/applications/${await applicationId(connection, options.id)}/federatedIdentityCredentials/${encodeURIComponent(options.federatedCredentialId)}`,
        ),
      ),
    );
  federated
    .command("delete")
    .description("Delete an application federated identity credential.")
    .requiredOption("--id <id>", "the application's appId, identifierUri, or id (formerly known as objectId)")
    .requiredOption("--federated-credential-id <idOrName>", "ID or name of the federated identity credential")
    .action((options: { id: string; federatedCredentialId: string }) =>
      run(async (connection) => {
        await graph(
          connection,
          "DELETE",
          `/applications/${await applicationId(connection, options.id)}/federatedIdentityCredentials/${encodeURIComponent(options.federatedCredentialId)}`,
        );
        return undefined;
      }),
    );
}
