/**
 * Loaded with `node --import` (through NODE_OPTIONS): makes every `*.localhost`
 * name resolve to loopback, as RFC 6761 says and browsers and curl already do,
 * but some system resolvers don't. The vault's URL is
 * `https://<vault>.vault.localhost:<port>` because the Key Vault SDK checks that
 * the vault's host ends with the resource it is challenged for
 * (`vault.localhost`, like `vault.azure.net` on Azure).
 *
 * Plain JavaScript on purpose: a shell that exports this preload in NODE_OPTIONS
 * starts every Node with it, an older one (Node 20, npm's own) included, and
 * only the project's Node runs TypeScript. Other languages do not read it: they
 * need the operating system to resolve `*.localhost` (see
 * docs/appendix-other-clients.md).
 */
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";

/** @param {string} hostname */
const isLocalhost = (hostname) => hostname === "localhost" || hostname.endsWith(".localhost");
/** @param {unknown} family */
const loopback = (family) =>
  family === 6 || family === "IPv6" ? { address: "::1", family: 6 } : { address: "127.0.0.1", family: 4 };

const original = dns.lookup;
/**
 * dns.lookup(hostname[, options], callback), with `*.localhost` answered here.
 * @param {string} hostname
 * @param {unknown} options
 * @param {unknown} [callback]
 */
function lookup(hostname, options, callback) {
  const done = /** @type {(error: Error | null, address: unknown, family?: number) => void} */ (
    typeof options === "function" ? options : callback
  );
  const settings = /** @type {{ family?: unknown; all?: boolean }} */ (
    typeof options === "object" && options !== null ? options : typeof options === "number" ? { family: options } : {}
  );
  if (!isLocalhost(hostname)) {
    /** @type {Function} */ (original)(hostname, options, callback);
    return;
  }
  const { address, family } = loopback(settings.family);
  process.nextTick(() => (settings.all ? done(null, [{ address, family }]) : done(null, address, family)));
}

dns.lookup = /** @type {typeof dns.lookup} */ (/** @type {unknown} */ (lookup));
const originalPromise = dns.promises.lookup;
dns.promises.lookup = /** @type {typeof dns.promises.lookup} */ (
  /** @type {unknown} */ (
    /**
     * @param {string} hostname
     * @param {{ family?: unknown; all?: boolean }} [options]
     */
    (hostname, options) => {
      if (!isLocalhost(hostname))
        return originalPromise(hostname, /** @type {import("node:dns").LookupOptions} */ (options ?? {}));
      const answer = loopback(options?.family);
      return Promise.resolve(options?.all ? [answer] : answer);
    }
  )
);
syncBuiltinESMExports();
