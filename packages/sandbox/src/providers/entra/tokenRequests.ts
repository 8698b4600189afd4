/**
 * What every way of signing in to Microsoft Entra ID shares (client secret, federated assertion, a user's
 * password): reading the token request's form, naming its resource, and saying what the sign-in log records.
 */
import { decodeJwt } from "jose/jwt/decode";
import type { Directory } from "./directory.ts";
import { entraError } from "./errors.ts";

/** `https://vault.localhost/.default` → `https://vault.localhost` */
export function resourceOfScope(scope: string): string {
  return scope.replace(/\/\.default$/, "").replace(/\/$/, "");
}

/**
 * An OAuth 2.0 form's parameters, each sent at most once (Entra ID refuses a
 * repeated one), or the name of the first that is repeated or not text.
 */
export function formParameters(
  body: unknown,
): { ok: true; values: Readonly<Record<string, string>> } | { ok: false; repeated: string } {
  const values: Record<string, string> = {};
  if (body === null || typeof body !== "object") return { ok: true, values };
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== "string") return { ok: false, repeated: name.slice(0, 64) };
    values[name] = value;
  }
  return { ok: true, values };
}

/**
 * AADSTS7000229: the client id names an application that has no service principal in this tenant
 * (`az ad app create` without `az ad sp create`); undefined when it names no application at all.
 */
export function missingServicePrincipal(directory: Directory, clientId: string, tenantId: string) {
  const application = directory.registrations.find(clientId);
  if (!application || application.appId !== clientId.toLowerCase()) return undefined;
  return entraError(
    "invalid_client",
    7000229,
    `The client application ${application.appId} is missing service principal in the tenant ${tenantId}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
    `az ad sp create --id ${application.appId}`,
  );
}

/** A token's `uti`: how the sign-in log names the token without holding it. */
export function tokenIdOf(token: string): string | undefined {
  try {
    const uti = decodeJwt(token)["uti"];
    return typeof uti === "string" ? uti : undefined;
  } catch {
    return undefined;
  }
}

/** Entra ID's AADSTS code and the first sentence of its description: the sign-in log's errorCode and failureReason. */
export function failureOf(body: object): { errorCode?: string; failureReason?: string } {
  const description = (body as { error_description?: unknown }).error_description;
  if (typeof description !== "string") return {};
  const match = /^(AADSTS\d+): (.*?)(?: \(sandbox hint| Trace ID)/.exec(description);
  return match ? { errorCode: match[1] ?? "", failureReason: match[2] ?? "" } : {};
}
