/**
 * The live view (packages/dashboard), which `npm start` serves at :3000: its
 * page, its vendored files, an app's log, and the lessons' actions (grant,
 * revoke, rotate, stop or start Queue Storage, reveal a secret). Generated
 * requests carry no form token: an action without it must change nothing.
 * The live event stream (/events) never ends by design, so it is not generated.
 */
import fc from "fast-check";
import type { DashboardLauncher } from "@keyless/dashboard";
import type { Shape } from "./checks.ts";
import { expectStatus, type Surface } from "./harness.ts";
import { form, httpRequest, utf8, weighted, type Header } from "./arbitraries.ts";
import type { World } from "./world.ts";

/** A launcher that runs nothing: the live view's other half, recorded. */
export function stubDashboardLauncher(): DashboardLauncher & { readonly restarts: string[] } {
  const restarts: string[] = [];
  return {
    restarts,
    apps: () => [],
    logs: () => "",
    restart: async (app) => {
      restarts.push(app);
      return { error: "not running in this test" };
    },
  };
}

/** The live view answers what it refuses with a sentence (text/plain) or a page (text/html), never JSON or a stack. */
const liveViewShape: Shape = (answer) => {
  const type = answer.headers["content-type"]?.[0] ?? "";
  return /^text\/(plain|html)/.test(type) ? [] : [`content-type ${JSON.stringify(type)}, not text/plain or text/html`];
};

export function liveViewSurface(world: World, view: { readonly url: string; readonly port: number }): Surface {
  const pages = fc.constantFrom(
    "/",
    "/vendor/htmx.min.js",
    "/apps/keyless-step-03/logs",
    "/secrets/third-party-api-key/reveal",
    "/secrets/third-party-api-key/hidden",
    "/secrets/nope/reveal",
    "/nope",
    "/vendor/../package.json",
  );
  const actions = fc.constantFrom(
    "/actions/grant",
    "/actions/revoke",
    "/actions/rotate-key",
    "/actions/queue/stop",
    "/actions/queue/start",
    "/secrets/third-party-api-key/reveal",
  );
  const fields = fc
    .tuple(
      fc.constantFrom("keyless-step-03", "keyless-workspace-03", "nobody"),
      fc.constantFrom("Key Vault Secrets User", "Owner", ""),
      fc.constantFrom("vault", "queue", "/subscriptions/x"),
      fc.string({ maxLength: 40 }),
    )
    .map(([principal, role, scope, token]) =>
      form([
        ["principal", principal],
        ["role", role],
        ["scope", scope],
        ["csrf", token],
      ]),
    );
  return {
    name: "the live view",
    endpoint: { port: view.port },
    requests: httpRequest({
      operations: fc.oneof(
        weighted(3, fc.tuple(fc.constant("GET"), pages)),
        weighted(3, fc.tuple(fc.constant("POST"), actions)),
      ),
      methods: ["GET", "POST"],
      targets: pages,
      queryNames: ["app", "region"],
      host: `localhost:${view.port}`,
      credentials: fc.constant<Header[]>([]),
      badCredentials: fc.constantFrom<Header[]>(
        [["Cookie", "csrf=guess"]],
        [["Origin", "http://evil.example"]],
        [["Referer", "http://evil.example/"]],
      ),
      bodies: fc.oneof(weighted(3, fields.map(utf8)), weighted(1, fc.constant(undefined))),
      contentType: "application/x-www-form-urlencoded",
    }),
    shape: liveViewShape,
    no5xx: true,
    state: () => world.fullState({ functionKeys: true }),
    knownGood: () => expectStatus(fetch(`${view.url}/`), 200, "the live view's page"),
  };
}
