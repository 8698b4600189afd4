import { AggregateAuthenticationError, AuthenticationError, CredentialUnavailableError } from "@azure/identity";
import { ConfigError } from "./config.ts";

/**
 * One line that says why start-up failed and what to do: no stack trace,
 * and never a secret. Most failures here are lessons about identity and
 * access, so each answer names the fix (often the `az` command).
 */
export function describeStartupError(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (error instanceof ConfigError) return `${error.message} Set it and start again.`;
  const { code, statusCode, name } = error as { code?: unknown; statusCode?: unknown; name?: unknown };
  if (code === "EADDRINUSE") return "The port is already in use: stop the other process, or set PORT to a free port.";
  if (code === "EACCES") return "Not allowed to listen on that port: set PORT to a port above 1024.";
  if (name === "TimeoutError" || name === "AbortError") {
    return `Could not reach Key Vault or get a token for it within seconds: check that KEY_VAULT_URL (${env["KEY_VAULT_URL"]}) is reachable and that the app can sign in to Microsoft Entra ID.`;
  }
  if (error instanceof AggregateAuthenticationError) return describeStartupError(error.errors.at(-1), env);
  if (error instanceof AuthenticationError) return describeSignInError(error, env);
  if (error instanceof CredentialUnavailableError) return describeNoIdentity();
  if (name === "RestError" && typeof statusCode === "number")
    return describeKeyVaultAnswer(statusCode, message(error), env);
  if (name === "RestError") return describeUnreachableVault(String(code), env);
  return `Unexpected start-up failure: ${message(error)}`;
}

/** Microsoft Entra ID refused to issue a token. */
function describeSignInError(error: AuthenticationError, env: NodeJS.ProcessEnv): string {
  const description = error.errorResponse.errorDescription ?? "";
  const library = describeLibraryFailure(description, env);
  if (library) return library;
  if (description.includes("AADSTS7000215")) {
    return `Microsoft Entra ID rejected the client secret (AADSTS7000215): AZURE_CLIENT_SECRET is wrong or expired. Create a new one with: az ad app credential reset --id ${env["AZURE_CLIENT_ID"]}`;
  }
  if (description.includes("AADSTS700016")) {
    return `Microsoft Entra ID knows no application ${env["AZURE_CLIENT_ID"]} in tenant ${env["AZURE_TENANT_ID"]} (AADSTS700016): check AZURE_CLIENT_ID and AZURE_TENANT_ID.`;
  }
  return `Could not get a token for Key Vault: ${firstLine(description || error.message)}`;
}

/** Where the identity library signs in when AZURE_AUTHORITY_HOST is not set. */
const PUBLIC_CLOUD_AUTHORITY = "https://login.microsoftonline.com";

/**
 * The identity library (MSAL) failed before Microsoft Entra ID answered: it gives a code and a link, no
 * words ("network_error: See https://aka.ms/msal.js.errors#network_error for details"). Say what it means.
 */
function describeLibraryFailure(description: string, env: NodeJS.ProcessEnv): string | undefined {
  const code = /^(\w+): See https:\/\/aka\.ms\/msal/.exec(description)?.[1];
  if (!code) return undefined;
  const authority = env["AZURE_AUTHORITY_HOST"] || PUBLIC_CLOUD_AUTHORITY;
  if (/^(network_error|endpoints_resolution_error|openid_config_error|untrusted_authority)$/.test(code)) {
    return `Could not reach Microsoft Entra ID at ${authority} to sign in (${code}): check AZURE_AUTHORITY_HOST (unset, it is ${PUBLIC_CLOUD_AUTHORITY}, the public cloud's), AZURE_TENANT_ID and the network.`;
  }
  return `The identity library could not sign in before Microsoft Entra ID answered (${code}): check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_AUTHORITY_HOST.`;
}

/** No credential in the chain could even try. */
function describeNoIdentity(): string {
  return "DefaultAzureCredential found no identity to sign in with: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, the app registration's service principal.";
}

/** Key Vault answered, but not with the secret. */
function describeKeyVaultAnswer(status: number, text: string, env: NodeJS.ProcessEnv): string {
  const secretName = env["THIRD_PARTY_API_SECRET_NAME"];
  if (status === 403) {
    // Azure's 403 names the caller and the resource: enough to write the grant.
    const caller = /oid=([^;\s]+)/.exec(text)?.[1] ?? "<the app's principal id>";
    const resource = /Resource: '([^']+)'/i.exec(text)?.[1];
    const vault = resource?.replace(/\/secrets\/.*$/i, "") ?? "<the vault's resource id>";
    return `The app's identity may not read secrets in this vault (403 ForbiddenByRbac). Grant it a role: az role assignment create --assignee ${caller} --role "Key Vault Secrets User" --scope ${vault} (new role assignments can take a few minutes to apply).`;
  }
  if (status === 404) {
    return `Key Vault has no secret named ${secretName} (THIRD_PARTY_API_SECRET_NAME). Create it: az keyvault secret set --vault-name ${vaultName(env)} --name ${secretName} --value <the third party's key>; or, if it was deleted, recover it: az keyvault secret recover --vault-name ${vaultName(env)} --name ${secretName}`;
  }
  if (status === 401) return `Key Vault rejected the app's token: ${firstLine(text)}`;
  return `Key Vault answered ${status}: ${firstLine(text)}`;
}

function describeUnreachableVault(code: string, env: NodeJS.ProcessEnv): string {
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return `Node does not trust Key Vault's TLS certificate (${code}): if the vault uses a private CA, point NODE_EXTRA_CA_CERTS at it.`;
  }
  return `Could not reach Key Vault at ${env["KEY_VAULT_URL"]} (${code}): check KEY_VAULT_URL and the network.`;
}

function vaultName(env: NodeJS.ProcessEnv): string {
  return new URL(env["KEY_VAULT_URL"] ?? "https://unknown").hostname.split(".")[0] ?? "<vault>";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0]?.trim() ?? "";
}
