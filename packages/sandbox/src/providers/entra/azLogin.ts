/**
 * `az login`, `az logout`, `az account set|clear`: who the sandbox's `az`
 * acts as (az/session.ts).
 *
 * `az login --service-principal -u <client id> --tenant <tenant> --federated-token <jwt>`
 * is what azure/login runs in a workflow: it exchanges the job's GitHub token
 * at Entra ID for a Resource Manager token, lists the subscriptions that
 * principal can see (its role assignments decide), and keeps the login; later
 * commands act as that principal. Refusals are Entra ID's own (AADSTS700213:
 * a subject no federated credential names) and the Azure CLI's ("No
 * subscriptions found for …", for a principal with no role).
 *
 * `az login` without arguments is the developer again (on Azure, a browser
 * sign-in; here, the tenant's user).
 */
import type { Command } from "commander";
import { AzError, type Connection } from "../../az/connection.ts";
import { servicePrincipalToken } from "../../az/servicePrincipal.ts";
import type { ProfileSubscription, ServicePrincipalLogin } from "../../az/session.ts";
import { type Run, usage } from "../../az/shell.ts";
import { MANAGEMENT_RESOURCE } from "../resources/audiences.ts";
import { send } from "../../az/http.ts";

interface LoginOptions {
  servicePrincipal?: boolean;
  username?: string;
  password?: string;
  tenant?: string;
  federatedToken?: string;
  allowNoSubscriptions?: boolean;
  identity?: boolean;
}

/** `az login`'s output: the subscriptions, `environmentName` shown as `cloudName`. */
const listed = (subscriptions: readonly ProfileSubscription[]) =>
  subscriptions.map(({ environmentName, ...rest }) => ({ cloudName: environmentName, ...rest }));

/** The subscriptions Resource Manager shows a principal (those its role assignments lie in), as `az login` keeps them. */
async function subscriptionsOf(
  connection: Connection,
  accessToken: string,
  clientId: string,
): Promise<ProfileSubscription[]> {
  const response = await send(`${connection.endpoints.resourceManager}/subscriptions?api-version=2022-12-01`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const body = (await response.json()) as {
    value?: { subscriptionId: string; displayName: string; state: string; tenantId: string; managedByTenants?: [] }[];
    error?: { code?: string; message?: string };
  };
  if (!response.ok)
    throw new AzError(body.error?.code, body.error?.message ?? `Resource Manager answered ${response.status}.`);
  return (body.value ?? []).map((subscription, index) => ({
    id: subscription.subscriptionId,
    name: subscription.displayName,
    state: subscription.state,
    tenantId: subscription.tenantId,
    homeTenantId: subscription.tenantId,
    isDefault: index === 0,
    managedByTenants: subscription.managedByTenants ?? [],
    environmentName: "AzureCloud",
    user: { name: clientId, type: "servicePrincipal" },
  }));
}

async function loginServicePrincipal(connection: Connection, options: LoginOptions) {
  const clientId = options.username ?? "";
  if (!clientId || !options.tenant || (options.password === undefined && options.federatedToken === undefined))
    throw usage("usage error: --service-principal --username NAME --password SECRET --tenant TENANT");
  if (options.password !== undefined && options.federatedToken !== undefined)
    throw usage("usage error: --password and --federated-token cannot be used together");
  const login: ServicePrincipalLogin = {
    clientId,
    tenant: options.tenant,
    ...(options.federatedToken !== undefined
      ? { clientAssertion: options.federatedToken }
      : { clientSecret: options.password ?? "" }),
  };
  // The login in progress is not kept until it worked: the former one (or the developer) stays otherwise.
  const token = await servicePrincipalToken(connection.endpoints, login, MANAGEMENT_RESOURCE);
  const subscriptions = await subscriptionsOf(connection, token.accessToken, clientId);
  const tenantId = subscriptions[0]?.tenantId ?? (await connection.account()).tenantId;
  const kept =
    subscriptions.length > 0 || !options.allowNoSubscriptions
      ? subscriptions
      : [
          {
            id: tenantId,
            name: "N/A(tenant level account)",
            state: "Enabled",
            tenantId,
            homeTenantId: tenantId,
            isDefault: true,
            managedByTenants: [],
            environmentName: "AzureCloud",
            user: { name: clientId, type: "servicePrincipal" as const },
          },
        ];
  if (kept.length === 0) throw new AzError(undefined, `No subscriptions found for ${clientId}.`);
  connection.profile.save(login, kept);
  connection.profile.cacheToken(MANAGEMENT_RESOURCE, token);
  return listed(kept);
}

export function registerLogin(az: Command, account: Command, run: Run): void {
  az.command("login")
    .description("Log in to Azure: as the developer (no arguments), or as a service principal.")
    .option("--service-principal", "the credential representing a service principal")
    .option("-u, --username <name>", "the service principal's client id")
    .option("-p, --password <secret>", "the service principal's client secret")
    .option("-t, --tenant <tenant>", "the Microsoft Entra tenant, required with --service-principal")
    .option("--federated-token <token>", "a federated token (a GitHub Actions job's) for the OIDC token exchange")
    .option("--allow-no-subscriptions", "log in even if the principal sees no subscription")
    .option("--identity", "log in with a managed identity (not in the sandbox)")
    .action((options: LoginOptions) =>
      run(async (connection) => {
        if (options.identity)
          throw new AzError(
            undefined,
            "The sandbox's az cannot log in with --identity: the learner's machine has no managed identity.",
          );
        if (options.servicePrincipal) return loginServicePrincipal(connection, options);
        if (options.username || options.password || options.federatedToken)
          throw usage("usage error: --service-principal --username NAME --password SECRET --tenant TENANT");
        // The developer again: no service principal's login is kept.
        connection.profile.clear();
        const details = await connection.account();
        return [
          {
            cloudName: "AzureCloud",
            homeTenantId: details.tenantId,
            id: details.subscription.id,
            isDefault: true,
            managedByTenants: [],
            name: details.subscription.name,
            state: "Enabled",
            tenantId: details.tenantId,
            user: { name: details.user.name, type: "user" },
          },
        ];
      }),
    );

  az.command("logout")
    .description("Log out to remove access to Azure subscriptions (the sandbox's az is the developer again).")
    .option("--username <name>", "account user, if missing, logout the current active account")
    .action(() =>
      run(async (connection) => {
        connection.profile.clear();
        return undefined;
      }),
    );

  account
    .command("clear")
    .description("Clear all subscriptions from the CLI's local cache (the sandbox's az is the developer again).")
    .action(() =>
      run(async (connection) => {
        connection.profile.clear();
        return undefined;
      }),
    );

  account
    .command("set")
    .description("Set a subscription to be the current active subscription.")
    .requiredOption("-s, --subscription <subscription>", "name or ID of subscription")
    .action((options: { subscription: string }) =>
      run(async (connection) => {
        const known = connection.login
          ? connection.profile.setDefault(options.subscription)
          : [(await connection.account()).subscription.id, (await connection.account()).subscription.name]
              .map((value) => value.toLowerCase())
              .includes(options.subscription.toLowerCase());
        if (!known)
          throw new AzError(
            undefined,
            `The subscription of '${options.subscription}' doesn't exist in cloud 'AzureCloud'.`,
          );
        return undefined;
      }),
    );
}
