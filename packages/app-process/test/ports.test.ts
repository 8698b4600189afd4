import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { FREE_PORT_RANGE, freePortArgs, portInUse } from "../src/index.ts";

describe("ports", () => {
  it("portInUse: true while a server listens on the port, false once it has closed", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    expect(await portInUse(port)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    expect(await portInUse(port)).toBe(false);
  });

  it("freePortArgs: a --port <name>=<port> pair per name, distinct free ports below the system's own range", async () => {
    const names = ["thirdParty", "vault", "login", "queue", "identity", "management"];
    const args = await freePortArgs(names);
    expect(args.filter((_, index) => index % 2 === 0)).toEqual(names.map(() => "--port"));
    const pairs = args.filter((_, index) => index % 2 === 1).map((pair) => pair.split("="));
    expect(pairs.map(([name]) => name)).toEqual(names);
    const ports = pairs.map(([, port]) => Number(port));
    expect(new Set(ports).size).toBe(names.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(FREE_PORT_RANGE.first);
      expect(port).toBeLessThanOrEqual(FREE_PORT_RANGE.last);
      expect(await portInUse(port)).toBe(false);
    }
  });
});
