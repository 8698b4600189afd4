/**
 * Ports: whether one is free before a server takes it (platform.ts says how to find who holds one), and
 * free ones for a test or the bench to give npm start's launcher.
 */
import { randomInt } from "node:crypto";
import { createServer } from "node:net";

/** Tries to listen on the port: the only sure test. Both loopback and every address, as the steps listen on either. */
export async function portInUse(port: number): Promise<boolean> {
  for (const host of ["127.0.0.1", undefined]) {
    const code = await new Promise<string | undefined>((resolve) => {
      const server = createServer();
      server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
    });
    // EADDRINUSE: someone listens; EACCES: a port this user may not take. Anything else (no IPv6) says nothing.
    if (code === "EADDRINUSE" || code === "EACCES") return true;
  }
  return false;
}

/** The ports of `candidates` that are in use, in order. */
export async function portsInUse(candidates: readonly number[]): Promise<number[]> {
  const busy = await Promise.all(candidates.map(async (port) => ((await portInUse(port)) ? port : undefined)));
  return busy.filter((port) => port !== undefined);
}

/**
 * Free ports are drawn from below every system's ephemeral range (Linux's 32768-60999, macOS's and Windows'
 * 49152-65535). Those are the ports the system hands out by itself: to each outgoing connection, and to a
 * server that listens on port 0. A port chosen there and given to npm start a second later (or kept for its
 * restart, as the sandbox's are) could meanwhile be some connection's of a test running beside it; below the
 * range, only another program that chose the same port itself can take it.
 */
export const FREE_PORT_RANGE = { first: 20_000, last: 32_767 } as const;

/** Enough tries to find a free port in a range where nearly all are (a port in use is tried once at most). */
const TRIES = 200;

/**
 * `--port <name>=<a free port>` for each name, as npm start's launcher takes them: a test or the bench that
 * starts npm start more than once gives each start the same ports, as npm start's own are fixed too.
 */
export async function freePortArgs(names: readonly string[]): Promise<string[]> {
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < names.length; tries++) {
    if (tries === TRIES)
      throw new Error(
        `No free port found in ${FREE_PORT_RANGE.first}-${FREE_PORT_RANGE.last} after ${TRIES} tries: see which programs listen there.`,
      );
    const port = randomInt(FREE_PORT_RANGE.first, FREE_PORT_RANGE.last + 1);
    if (!chosen.has(port) && !(await portInUse(port))) chosen.add(port);
  }
  const ports = [...chosen];
  return names.flatMap((name, index) => ["--port", `${name}=${ports[index]}`]);
}
