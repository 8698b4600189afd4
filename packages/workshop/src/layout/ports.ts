/** Whether a port is free before the launcher takes it (platform.ts in @keyless/app-process says how to find who holds it). */
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
