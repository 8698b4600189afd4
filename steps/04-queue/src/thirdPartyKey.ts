import type { SecretClient } from "@azure/keyvault-secrets";
import { HttpError } from "./errors.ts";
import type { AccessKeySource } from "./thirdPartyApi.ts";

/**
 * The third party's key lives in Azure Key Vault, not in the code.
 *
 * The app reads it once at start-up (a vault is not meant to be called on
 * every request) and keeps it in memory. When the third party rotates the
 * key, someone updates the secret in the vault; the app's next call gets a
 * 401, and the app reads the secret again: no redeploy, no restart.
 */
export async function thirdPartyKeyFromKeyVault(secrets: SecretClient, secretName: string): Promise<AccessKeySource> {
  async function readKey(): Promise<string> {
    const secret = await secrets.getSecret(secretName);
    if (!secret.value) throw new Error(`The Key Vault secret ${secretName} has no value.`);
    return secret.value;
  }

  let key = await readKey();
  let reading: Promise<string> | undefined;

  return {
    current: () => key,
    refresh(rejected) {
      // Another request already fetched a newer key: use it.
      if (key !== rejected) return Promise.resolve(key);
      // Many requests may see the 401 at once; they all share one read.
      reading ??= readKey()
        .then((fresh) => (key = fresh))
        .catch((error: unknown) => {
          throw new HttpError(502, {
            error: "Could not get you a code.",
            upstreamStatus: 401,
            hint: `The third-party API rejected the key, and reading it again from Key Vault failed (${describe(error)}).`,
          });
        })
        .finally(() => (reading = undefined));
      return reading;
    },
  };
}

function describe(error: unknown): string {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  return [statusCode, code].filter(Boolean).join(" ") || "no answer";
}
