/**
 * The entry point: read the environment once, build the clients, listen.
 * Everything that can fail does so here, at start-up, with one clear line.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { QueueClient } from "@azure/storage-queue";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { withDeadline } from "./deadline.ts";
import { homePage } from "./homePage.ts";
import { createLogger } from "./log.ts";
import { CodeQueue } from "./queue.ts";
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
  title: "step 04: queue",
  about:
    "In this step the key is a secret in Azure Key Vault, and every code is also sent to an Azure Storage queue for a back-end, before you get it. The app signs in to both with its managed identity.",
};

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL);

  // DefaultAzureCredential works out who the app is from its environment. In
  // this step it is the app's managed identity: Azure issues its tokens, so
  // there is no client secret to keep, leak or rotate. Same code as step 02.
  // The one credential serves every Azure client: Key Vault and Storage alike.
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

  // No connection string: the queue client signs in with the same identity.
  // A caller waits for its code, so the queue gets two tries. What each option does:
  // - maxTries: 2 means one retry, after a network error or a 500 or 503 answer.
  // - retryDelayInMs (default 4 s) sets the back-off: after failed try n the client
  //   waits (2^(n - 1) - 1) x retryDelayInMs, which is 0 ms after the first try.
  // - tryTimeoutInMs is not a client timeout: it only becomes Storage's `timeout` query
  //   parameter, which asks the service to give up on a try after 5 s. What bounds the
  //   caller's wait is the deadline CodeQueue gives each send.
  const codeQueue = new CodeQueue(
    new QueueClient(config.STORAGE_QUEUE_URL, credential, { retryOptions: { maxTries: 2, tryTimeoutInMs: 5000 } }),
    credential,
  );

  const server = createApiServer(createApp({ thirdPartyApi, codeQueue, log, homePage: homePage(ABOUT_THIS_APP) }));
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
