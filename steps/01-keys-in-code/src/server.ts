/**
 * The entry point: read the environment once, build the clients, listen.
 * Everything that can fail does so here, at start-up, with one clear line.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { createLogger } from "./log.ts";
import { describeStartupError } from "./startupError.ts";
import { ThirdPartyApi } from "./thirdPartyApi.ts";
import { thirdPartyKey } from "./thirdPartyKey.ts";

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL);

  const thirdPartyApi = new ThirdPartyApi({
    endpoint: config.THIRD_PARTY_API_ENDPOINT,
    accessKey: thirdPartyKey,
    timeoutMs: config.THIRD_PARTY_API_TIMEOUT_MS,
  });

  const server = createServer(createApp({ thirdPartyApi, log }));
  server.listen(config.PORT, config.HOST);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  log.info(`listening on http://localhost:${port}`);

  // App Service (and Ctrl-C) stop the app with a signal: finish what is in flight, then exit.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log.info(`${signal}: shutting down`);
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      setTimeout(() => process.exit(0), 5000).unref();
    });
  }
}

main().catch((error: unknown) => {
  console.error(`Did not start: ${describeStartupError(error)}`);
  process.exit(1);
});
