/**
 * `az account …`, `az ad …`: who you are signed in as, the ids of the
 * identities lessons grant roles to, and a new client secret for an app
 * registration (`az ad app credential reset`).
 * `az account get-access-token` is what AzureCliCredential runs, so the
 * steps' unchanged DefaultAzureCredential can run as the developer.
 */
import type { Command } from "commander";
import type { AdminPrincipal } from "../resources/admin.ts";
import { AzError } from "../../az/connection.ts";
import type { Run } from "../../az/shell.ts";
import { registerApplications } from "./azApplications.ts";
import { registerLogin } from "./azLogin.ts";

/** az's local-time `expiresOn`: "2026-01-02 10:20:30.000000". */
const localDateTime = (epochSeconds: number) => {
  const date = new Date(epochSeconds * 1000);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.000000`;
};

export function register(az: Command, run: Run): void {
  const account = az.command("account").description("Manage Azure subscription information.");

  account
    .command("show")
    .description("Get the details of a subscription.")
    .action(() =>
      run(async (connection) => {
        // A service principal's login: what az keeps in its profile.
        if (connection.login) {
          const current = connection.profile.subscriptions().find((subscription) => subscription.isDefault);
          if (!current) throw new AzError(undefined, "Please run 'az login' to setup account.");
          return { ...current };
        }
        const details = await connection.account();
        return {
          environmentName: "AzureCloud",
          homeTenantId: details.tenantId,
          id: details.subscription.id,
          isDefault: true,
          managedByTenants: [],
          name: details.subscription.name,
          state: "Enabled",
          tenantId: details.tenantId,
          user: { name: details.user.name, type: "user" },
        };
      }),
    );

  account
    .command("get-access-token")
    .description("Get a token for utilities to access Azure (what AzureCliCredential runs).")
    .option("--resource <resource>", "Azure resource endpoints, e.g. https://vault.localhost")
    .option("--scope <scopes...>", "space-separated AAD scopes in AAD v2.0, e.g. https://vault.localhost/.default")
    .option("-t, --tenant <tenant>", "tenant ID for which the token is acquired")
    .option("--subscription <subscription>", "name or ID of subscription")
    .action((options: { resource?: string; scope?: string[]; tenant?: string }) =>
      run(async (connection) => {
        if (options.resource && options.scope)
          throw Object.assign(new Error("usage error: --resource and --scope can't be used together."), {
            usage: true,
          });
        const resource = options.resource ?? options.scope?.[0] ?? "https://management.azure.com";
        if (connection.login) {
          const token = await connection.credential.getToken(resource);
          const current = connection.profile.subscriptions().find((subscription) => subscription.isDefault);
          const expiresOn = Math.floor((token?.expiresOnTimestamp ?? 0) / 1000);
          return {
            accessToken: token?.token ?? "",
            expiresOn: localDateTime(expiresOn),
            expires_on: expiresOn,
            subscription: current?.id ?? "",
            tenant: current?.tenantId ?? "",
            tokenType: "Bearer",
          };
        }
        const token = await connection.admin<{
          accessToken: string;
          expiresOn: number;
          tenant: string;
          subscription: string;
        }>("POST", "/developer-token", {
          resource,
          ...(options.tenant ? { tenant: options.tenant } : {}),
        });
        return {
          accessToken: token.accessToken,
          expiresOn: localDateTime(token.expiresOn),
          expires_on: token.expiresOn,
          subscription: token.subscription,
          tenant: token.tenant,
          tokenType: "Bearer",
        };
      }),
    );

  registerLogin(az, account, run);

  const ad = az.command("ad").description("Manage Microsoft Entra ID (formerly Azure Active Directory) entities.");
  const sp = ad.command("sp").description("Manage Microsoft Entra service principals.");
  sp.command("list")
    .description("List service principals (app registrations and managed identities).")
    .option("--display-name <name>", "object's display name or its prefix")
    .option("--all", "list all entities")
    .action((options: { displayName?: string }) =>
      run(async (connection) => {
        const { tenantId } = await connection.account();
        const principals = await connection.admin<AdminPrincipal[]>("GET", "/principals");
        return principals
          .filter(
            (p) =>
              p.type === "ServicePrincipal" &&
              (!options.displayName || p.displayName.toLowerCase().startsWith(options.displayName.toLowerCase())),
          )
          .map((p) => ({
            accountEnabled: true,
            appDisplayName: p.servicePrincipalType === "Application" ? p.displayName : null,
            appId: p.appId ?? null,
            appOwnerOrganizationId: p.servicePrincipalType === "Application" ? tenantId : null,
            displayName: p.displayName,
            id: p.objectId,
            servicePrincipalNames: [p.appId],
            servicePrincipalType: p.servicePrincipalType ?? "Application",
          }));
      }),
    );
  const app = ad.command("app").description("Manage Microsoft Entra applications.");
  registerApplications(app, sp, run);
  app
    .command("credential")
    .description("Manage an application's password or certificate credentials.")
    .command("reset")
    .description("Reset an application's password credential: a new client secret, which replaces the old ones.")
    .requiredOption("--id <appId>", "the application's client (app) id")
    .option("--display-name <name>", "friendly name for the credential")
    .option("--years <n>", "number of years for which the credentials will be valid", "1")
    .option("--end-date <date>", "finer grain of expiry time, e.g. 2027-12-31")
    .action((options: { id: string }) =>
      run(async (connection, shell) => {
        const reset = await connection.admin<{ appId: string; password: string; tenant: string }>(
          "POST",
          `/applications/${encodeURIComponent(options.id)}/reset-password`,
        );
        // az's own warning, on stderr: the JSON below is the only place the new secret is ever shown.
        shell.err(
          "The output includes credentials that you must protect. Be sure that you do not include these credentials in your code or check the credentials into your source control. For more information, see https://aka.ms/azadsp-cli\n",
        );
        return reset;
      }),
    );
  ad.command("signed-in-user")
    .description("Show graph information about the currently signed-in user.")
    .command("show")
    .description("Get the details for the currently logged-in user.")
    .action(() =>
      run(async (connection) => {
        const { user } = await connection.account();
        return {
          displayName: user.name.split("@")[0] ?? user.name,
          id: user.objectId,
          mail: null,
          userPrincipalName: user.name,
        };
      }),
    );
}
