/**
 * Every stop finishes, whatever sockets a test left half-open: the sandbox's
 * `stop()` (what the property suite's `world.stop` calls), the launcher's
 * control server and the live view (what npm start's launcher stops). For
 * each run, fast-check opens a mix of sockets against every surface and
 * leaves them in the middle of something: connected and silent (a TLS
 * handshake never begun: Node waits 120 s for one), a request line or headers
 * half sent, a body shorter than its Content-Length, a CONNECT, a whole
 * request kept alive, a TLS ClientHello cut short, a request half-closed.
 * Then everything stops, and every one of those sockets must be closed by the
 * servers: none may hold a stop until its own timeouts.
 */
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { startDashboard } from "@keyless/dashboard";
import { startControlServer } from "@keyless/launcher";
import { describe, expect, it } from "vitest";
import { stubLauncher } from "../src/sandboxSurfaces.ts";
import { stubDashboardLauncher } from "../src/liveViewSurface.ts";
import { startWorld } from "../src/world.ts";

/** How a test can leave a socket: the bytes it sends (none for silent), and whether it then half-closes. */
const HALF_OPEN = {
  silent: { bytes: undefined, end: false },
  "half a request line": { bytes: "GET /api/Random", end: false },
  "headers without their end": { bytes: "GET / HTTP/1.1\r\nHost: localhost\r\nx-a: b\r\n", end: false },
  "a body shorter than its length": {
    bytes: "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{",
    end: false,
  },
  "a CONNECT": { bytes: "CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\n\r\n", end: false },
  "a whole request, kept alive": { bytes: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", end: false },
  // The first bytes of a TLS 1.2 ClientHello record, announcing 512 bytes that never come.
  "a ClientHello cut short": { bytes: Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]), end: false },
  "half a request, half-closed": { bytes: "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab", end: true },
} as const satisfies Record<string, { bytes: string | Buffer | undefined; end: boolean }>;
type HalfOpenKind = keyof typeof HALF_OPEN;

/** A bound far above any stop's own time (well under a second here): only a hang reaches it. */
const HANG_GUARD_MS = 30_000;

interface Opened {
  readonly name: string;
  readonly socket: Socket;
  closed: boolean;
}

/** Connects, sends what the kind sends, and resolves once it is on the wire. */
function open(port: number, name: string, kind: HalfOpenKind): Promise<Opened> {
  const { bytes, end } = HALF_OPEN[kind];
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const opened: Opened = { name: `${name}: ${kind}`, socket, closed: false };
    socket.on("error", () => {});
    socket.on("data", () => {});
    socket.once("close", () => {
      opened.closed = true;
      resolve(opened);
    });
    socket.once("connect", () => {
      if (bytes === undefined) return resolve(opened);
      socket.write(bytes, () => {
        if (end) socket.end();
        resolve(opened);
      });
    });
  });
}

const portOf = (url: string) => Number(new URL(url).port);

describe("every stop finishes, whatever sockets were left half-open", () => {
  it("the sandbox (world.stop), the launcher's control server and the live view close every socket, and stop", async () => {
    const kinds = Object.keys(HALF_OPEN) as HalfOpenKind[];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ surface: fc.nat(), kind: fc.constantFrom(...kinds) }), {
          minLength: 1,
          maxLength: 24,
        }),
        async (picks) => {
          const world = await startWorld();
          const control = await startControlServer(world.sandbox, stubLauncher(world).view);
          const view = await startDashboard({ sandbox: world.sandbox, launcher: stubDashboardLauncher(), port: 0 });
          const { endpoints } = world.sandbox;
          const surfaces: [string, number][] = [
            ["Entra ID", portOf(endpoints.authorityHost)],
            ["Key Vault", portOf(endpoints.keyVaultUrl)],
            ["Queue Storage", portOf(endpoints.queueUrl ?? "")],
            ["Resource Manager", portOf(endpoints.resourceManager)],
            ["the managed identity endpoint", portOf(endpoints.identityEndpoint)],
            ["Container Apps' identity endpoint", portOf(endpoints.identityHosts.containerApps)],
            ["IMDS", portOf(`http://${endpoints.identityHosts.imds}`)],
            ["the AKS issuer", portOf(endpoints.identityHosts.clusterIssuer)],
            ["the OpenTelemetry collector", portOf(endpoints.telemetry)],
            ["the third-party API", portOf(endpoints.thirdPartyApi)],
            ["the control server", portOf(control.url)],
            ["the live view", view.port],
          ];
          const sockets = await Promise.all(
            picks.map(({ surface, kind }) => {
              const [name, port] = surfaces[surface % surfaces.length] ?? ["?", 0];
              return open(port, name, kind);
            }),
          );
          const stopped = Promise.all([view.stop(), control.stop(), world.stop()]).then(() => true);
          const ended = await Promise.race([stopped, sleep(HANG_GUARD_MS).then(() => false)]);
          // The servers ended them: give the last close events a moment to arrive.
          for (let wait = 0; wait < 50 && sockets.some((opened) => !opened.closed); wait++) await sleep(20);
          const open_ = sockets.filter((opened) => !opened.closed).map((opened) => opened.name);
          for (const opened of sockets) opened.socket.destroy();
          expect(ended, `a stop hung with these sockets open: ${open_.join("; ")}`).toBe(true);
          expect(open_, "sockets the servers left open after they stopped").toEqual([]);
        },
      ),
      // A failing run already waited out the hang guard: report it as found, without shrinking (each try would wait again).
      { numRuns: 3, endOnFailure: true },
    );
  }, 120_000);
});
