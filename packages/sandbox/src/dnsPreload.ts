/**
 * Loaded with `node --import` (through NODE_OPTIONS): makes every `*.localhost`
 * name resolve to 127.0.0.1, as RFC 6761 says and browsers and curl already do,
 * but some system resolvers don't. The vault's URL is
 * `https://<vault>.vault.localhost:<port>` because the Key Vault SDK checks that
 * the vault's host ends with the resource it is challenged for
 * (`vault.localhost`, like `vault.azure.net` on Azure).
 */
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

const isLocalhost = (hostname: string) => hostname === "localhost" || hostname.endsWith(".localhost");
const original = dns.lookup;

function lookup(hostname: string, options: unknown, callback?: unknown): void {
  const done = (typeof options === "function" ? options : callback) as LookupCallback;
  const settings = (typeof options === "object" && options !== null ? options : {}) as dns.LookupOptions;
  if (!isLocalhost(hostname)) {
    (original as (...args: unknown[]) => void)(hostname, options, callback);
    return;
  }
  const family = settings.family === 6 || settings.family === "IPv6" ? 6 : 4;
  const address = family === 6 ? "::1" : "127.0.0.1";
  process.nextTick(() => (settings.all ? done(null, [{ address, family }]) : done(null, address, family)));
}

dns.lookup = lookup as typeof dns.lookup;
const originalPromise = dns.promises.lookup;
dns.promises.lookup = ((hostname: string, options?: dns.LookupOptions) => {
  if (!isLocalhost(hostname)) return originalPromise(hostname, options ?? {});
  const family = options?.family === 6 ? 6 : 4;
  const address = family === 6 ? "::1" : "127.0.0.1";
  return Promise.resolve(options?.all ? [{ address, family }] : { address, family });
}) as typeof dns.promises.lookup;
syncBuiltinESMExports();
