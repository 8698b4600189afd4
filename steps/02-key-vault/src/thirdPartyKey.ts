import type { SecretClient } from "@azure/keyvault-secrets";
import { withDeadline } from "./deadline.ts";
import { HttpError } from "./errors.ts";
import type { AccessKeySource } from "./thirdPartyApi.ts";

/**
 * How long callers wait for Key Vault when the key is read again, at most.
 * The SDK sets no client-side timeout: against a vault that accepts
 * connections and never answers, the read (and every caller) would hang.
 */
export const REREAD_TIMEOUT_MS = 5000;

/**
 * The third party's key lives in Azure Key Vault, not in the code.
 *
 * The app reads it once at start-up (a vault is not meant to be called on
 * every request) and keeps it in memory. When the third party rotates the
 * key, someone updates the secret in the vault; the app's next call gets a
 * 401, and the app reads the secret again: no redeploy, no restart.
 */
export async function thirdPartyKeyFromKeyVault(secrets: SecretClient, secretName: string): Promise<AccessKeySource> {
  async function readKey(abortSignal?: AbortSignal): Promise<string> {
    const secret = await secrets.getSecret(secretName, { abortSignal });
    if (!secret.value) throw new Error(`The Key Vault secret ${secretName} has no value.`);
    return secret.value;
  }

  /** The read after a 401: callers are waiting on it, so it has a deadline and a failure they can act on. */
  async function readAgain(): Promise<string> {
    const deadline = AbortSignal.timeout(REREAD_TIMEOUT_MS);
    try {
      key = await withDeadline(readKey(deadline), deadline);
      return key;
    } catch (error) {
      throw new HttpError(502, {
        error: "Could not get you a code.",
        upstreamStatus: 401,
        hint: deadline.aborted
          ? `The third-party API rejected the key, and Key Vault, or the app's sign-in to it, did not answer within ${REREAD_TIMEOUT_MS / 1000} s when the app read the key again. Try again later.`
          : `The third-party API rejected the key, and reading it again from Key Vault failed (${describe(error)}).`,
      });
    }
  }

  // At start-up, server.ts bounds the wait.
  let key = await readKey();
  let reading: Promise<string> | undefined;

  return {
    current: () => key,
    refresh(rejected) {
      // Another request already fetched a newer key: use it.
      if (key !== rejected) return Promise.resolve(key);
      // Many requests may see the 401 at once; they all share one read.
      reading ??= readAgain().finally(() => (reading = undefined));
      return reading;
    },
  };
}

function describe(error: unknown): string {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  return [statusCode, code].filter(Boolean).join(" ") || "no answer";
}
