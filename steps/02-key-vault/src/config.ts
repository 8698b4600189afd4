import { z } from "zod";

/**
 * The environment this step reads, validated once at start-up.
 * On Azure App Service these are the app's application settings.
 */
const Environment = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe("the port to listen on"),
  // On App Service, the platform's front ends forward requests to the app's
  // container from outside it, so by default the app listens on every interface.
  // 127.0.0.1 keeps it to this machine: npm start sets it, so nobody else on the
  // network (a workshop's Wi-Fi, say) can call the step.
  HOST: z
    .enum(["0.0.0.0", "127.0.0.1"])
    .default("0.0.0.0")
    .describe(
      "the address to listen on: 0.0.0.0, every interface (what App Service needs), or 127.0.0.1, this machine only",
    ),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("pino log level"),
  THIRD_PARTY_API_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .describe("the third-party API's URL, e.g. https://<function-app>.azurewebsites.net/api/RandomNumber"),
  THIRD_PARTY_API_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(5000)
    .describe("milliseconds to wait for the third-party API"),
  // Where the key lives now: a secret in Azure Key Vault.
  KEY_VAULT_URL: z.url({ protocol: /^https$/ }).describe("the vault's URL, e.g. https://<vault-name>.vault.azure.net"),
  THIRD_PARTY_API_SECRET_NAME: z
    .string()
    .regex(/^[0-9a-zA-Z-]{1,127}$/)
    .describe("the name of the Key Vault secret that holds the third party's key"),
  // Who the app is: a service principal. DefaultAzureCredential reads these three itself;
  // they are checked here only so that a missing one is named at start-up.
  AZURE_TENANT_ID: z.string().min(1).describe("the directory (tenant) id of the app registration"),
  AZURE_CLIENT_ID: z.string().min(1).describe("the app registration's application (client) id"),
  AZURE_CLIENT_SECRET: z.string().min(1).describe("the app registration's client secret"),
});

export type Config = z.infer<typeof Environment>;

/** A start-up failure caused by the environment: its message names the variable and what it should hold. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = Environment.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const description = Environment.shape[name as keyof typeof Environment.shape]?.description;
    const state = env[name] === undefined ? "is not set" : "is not valid";
    return `${name} ${state} (${description})`;
  });
  throw new ConfigError(`Environment: ${problems.join("; ")}.`);
}
