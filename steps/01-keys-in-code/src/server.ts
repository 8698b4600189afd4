/**
 * The entry point: read the environment once, build the clients, listen.
 * Everything that can fail does so here, at start-up, with one clear line.
 */
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
import { thirdPartyKey } from "./thirdPartyKey.ts";

/** How long a stopping app waits for requests in flight. */
const SHUTDOWN_TIMEOUT_MS = 5000;

/** What the home page says about this step. */
const ABOUT_THIS_APP = {
  title: "step 01: keys in code",
  about: "In this step the key is written in the source code: the anti-pattern the workshop removes.",
};

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL);

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
  console.error(`Did not start: ${describeStartupError(error)}`);
  process.exit(1);
});
