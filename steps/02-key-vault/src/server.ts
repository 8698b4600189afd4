/**
 * The entry point: read the environment once, build the clients, listen.
 * Everything that can fail does so here, at start-up, with one clear line.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { withDeadline } from "./deadline.ts";
import { homePage } from "./homePage.ts";
import { createLogger } from "./log.ts";
import { describeStartupError } from "./startupError.ts";
import { ThirdPartyApi } from "./thirdPartyApi.ts";
import { createApiServer } from "./apiServer.ts";
import { thirdPartyKeyFromKeyVault } from "./thirdPartyKey.ts";

/** Start-up must fail fast and clearly, not hang while the SDKs retry (about 19 s without an identity endpoint). */
const STARTUP_TIMEOUT_MS = 6000;
/** How long a stopping app waits for requests in flight. */
const SHUTDOWN_TIMEOUT_MS = 5000;

/** What the home page says about this step. */
const ABOUT_THIS_APP = {
  title: "step 02: Key Vault",
  about:
    "In this step the key is a secret in Azure Key Vault, read at start-up. The app signs in to Azure as a service principal, with a client secret in its environment.",
};

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL);

  // DefaultAzureCredential works out who the app is from its environment. In
  // this step it is a service principal: AZURE_TENANT_ID, AZURE_CLIENT_ID and
  // AZURE_CLIENT_SECRET. That secret is still a secret to keep and rotate.
  const credential = new DefaultAzureCredential();
  const secrets = new SecretClient(config.KEY_VAULT_URL, credential);
  // Read the key now: a missing role or secret stops the app at start-up, not at its first caller.
  const thirdPartyKey = await withDeadline(
    thirdPartyKeyFromKeyVault(secrets, config.THIRD_PARTY_API_SECRET_NAME),
    AbortSignal.timeout(STARTUP_TIMEOUT_MS),
  );

  const thirdPartyApi = new ThirdPartyApi({
    endpoint: config.THIRD_PARTY_API_ENDPOINT,
    accessKey: thirdPartyKey,
    timeoutMs: config.THIRD_PARTY_API_TIMEOUT_MS,
  });

  const server = createApiServer(createApp({ thirdPartyApi, log, homePage: homePage(ABOUT_THIS_APP) }));
  server.listen(config.PORT, config.HOST);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  log.info(`listening on http://localhost:${port}`);

  // App Service (and Ctrl-C) stop the app with a signal: finish what is in flight, then exit.
  // The platform kills an app that takes too long to stop, so that wait has a deadline.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log.info(`${signal}: shutting down`);
      const closed = once(server, "close");
      server.close();
      server.closeIdleConnections();
      withDeadline(closed, AbortSignal.timeout(SHUTDOWN_TIMEOUT_MS))
        .catch(() => log.warn(`requests still in flight after ${SHUTDOWN_TIMEOUT_MS / 1000} s: exiting anyway`))
        .finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(`Did not start: ${describeStartupError(error, process.env)}`);
  process.exit(1);
});
