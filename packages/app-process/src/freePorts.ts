import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";

/**
 * `--port <name>=<a free port>` for each name, as npm start's launcher takes them: a test or the bench that
 * starts npm start more than once gives each start the same ports, as npm start's own are fixed too.
 */
export async function freePortArgs(names: readonly string[]): Promise<string[]> {
  const servers = await Promise.all(
    names.map(async () => {
      const server = createServer().listen(0, "127.0.0.1");
      await once(server, "listening");
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return names.flatMap((name, index) => ["--port", `${name}=${ports[index]}`]);
}
