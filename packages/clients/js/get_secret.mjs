/**
 * The same read as python/get_secret.py, with the Azure SDK for JavaScript: the steps' own code
 * path (DefaultAzureCredential + SecretClient), every setting from the environment. Plain
 * JavaScript, so that any Node runs it. Prints one JSON line.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";

const client = new SecretClient(process.env["KEY_VAULT_URL"] ?? "", new DefaultAzureCredential());
try {
  const secret = await client.getSecret(process.env["THIRD_PARTY_API_SECRET_NAME"] ?? "third-party-api-key");
  console.log(JSON.stringify({ ok: true, name: secret.name, value: secret.value, version: secret.properties.version }));
} catch (error) {
  console.log(
    JSON.stringify({
      ok: false,
      error: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? error.message.split(/\s+/).join(" ") : String(error),
    }),
  );
  process.exitCode = 1;
}
