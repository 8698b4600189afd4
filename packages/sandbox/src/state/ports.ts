/**
 * The sandbox's ports, kept with its state: Azure's endpoints do not move when
 * Azure restarts, and a site's settings name them (KEY_VAULT_URL carries the
 * vault's port in the sandbox). A port chosen freely the first time is asked
 * for again at the next start; if something else holds it by then, the
 * service takes any free port, and says so.
 */
import { createServer } from "node:net";
import type { StateStore } from "./store.ts";

/** Whether a port on loopback can be listened on now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once("error", () => resolve(false))
      .listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/**
 * The ports to start on: the caller's, where it names one; else the one this
 * state used last, if it is free; else 0 (any free port). `moved` names the
 * services whose remembered port was taken.
 */
export async function portsToUse<Ports extends object>(
  state: StateStore,
  given: Partial<Ports>,
  defaults: Ports,
): Promise<{ ports: Ports; moved: string[] }> {
  const remembered = Object.fromEntries(state.collection<number>("ports").entries());
  const asGiven = given as Record<string, number | undefined>;
  const asDefaults = defaults as Record<string, number | undefined>;
  const ports: Record<string, number | undefined> = { ...asDefaults };
  const moved: string[] = [];
  for (const name of new Set([...Object.keys(defaults), ...Object.keys(remembered), ...Object.keys(given)])) {
    const asked = asGiven[name];
    if (asked !== undefined && asked !== 0) ports[name] = asked;
    else if (remembered[name] && (await isFree(remembered[name]))) ports[name] = remembered[name];
    else {
      if (remembered[name]) moved.push(name);
      ports[name] = asked ?? asDefaults[name] ?? 0;
    }
  }
  return { ports: ports as Ports, moved };
}

/** Keeps the ports the services listen on, for the next start. */
export function rememberPorts(state: StateStore, ports: Readonly<Record<string, number>>): void {
  const kept = state.collection<number>("ports");
  state.transaction(() => {
    for (const [name, port] of Object.entries(ports)) if (port > 0) kept.put(name, port);
  });
}
