/** The live view's page: its regions as they are now, and the SSE connection that keeps them so. */
import { html, type Html } from "./html.ts";

export type Region = "apps" | "traces" | "identities" | "secrets" | "queue" | "audit";

/** Each region: its heading, what it shows, and whether a screen reader hears its changes as they come. */
export const REGIONS: readonly {
  readonly region: Region;
  readonly title: string;
  readonly intro: string;
  readonly polite: boolean;
  readonly column: "main" | "side" | "wide";
}[] = [
  {
    region: "apps",
    title: "Apps",
    intro: "What npm start runs, each as its App Service app. Call one to see a request's path below.",
    polite: true,
    column: "main",
  },
  {
    region: "traces",
    title: "Requests, traced",
    intro:
      "Every request of every app, from its OpenTelemetry spans joined with what each Azure service recorded: the token (which credential of DefaultAzureCredential's chain answered, fetched or cached), Key Vault's challenge and RBAC's decision, the third party, the queue. Newest first. Every denial opens its explanation.",
    polite: false,
    column: "main",
  },
  {
    region: "identities",
    title: "Identities and roles",
    intro: "Who can sign in, and what Azure RBAC lets each do. A new assignment counts only once it has propagated.",
    polite: true,
    column: "side",
  },
  {
    region: "secrets",
    title: "Key Vault secrets",
    intro: "The vault's secrets. Values stay hidden: revealing one is a SecretGet, recorded like any other.",
    polite: true,
    column: "side",
  },
  {
    region: "queue",
    title: "Queue Storage",
    intro: "The queue step 04 sends one message to for each code, live.",
    polite: true,
    column: "side",
  },
  {
    region: "audit",
    title: "Audit log",
    intro:
      "What Azure would have logged: sign-ins (Entra ID), Key Vault's AuditEvent, StorageQueueLogs and the Activity log. Newest first.",
    polite: false,
    column: "wide",
  },
];

export function page(options: {
  regions: Readonly<Record<Region, Html>>;
  csrf: string;
  since: number;
  result?: string;
}): Html {
  const { regions, csrf, since } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"selfRequestsOnly":true}'>
<title>keyless · live view</title>
<link rel="stylesheet" href="/static/page.css">
<link rel="icon" href="data:,">
<script src="/vendor/htmx.min.js" defer></script>
<script src="/vendor/sse.min.js" defer></script>
<script src="/static/page.js" defer></script>
</head>
<body hx-headers='{"x-keyless-csrf": "${csrf}"}' hx-ext="sse" sse-connect="/events?since=${since}">
<a class="skip" href="#traces">Skip to the traces</a>
<header class="top">
  <h1>keyless · live view</h1>
  <p>The sandbox as the apps meet it: who they are, what Azure RBAC allows them, the vault, the queue, and the path of every request, with every denial explained.</p>
  <nav aria-label="Sections"><ul>${REGIONS.map(({ region, title }) => html`<li><a href="#${region}">${title}</a></li>`)}</ul></nav>
  <p id="live-state" class="live-state" role="status">Live updates: connecting…</p>
</header>
<p id="result" class="result" role="status" aria-live="polite">${options.result ?? ""}</p>
<p id="announce" class="visually-hidden" role="status" aria-live="polite" sse-swap="announce"></p>
<main>
${(["main", "side", "wide"] as const).map(
  (column) =>
    html`<div class="column ${column}">${REGIONS.filter((entry) => entry.column === column).map(
      ({ region, title, intro, polite }) => html`<section id="${region}" aria-labelledby="${region}-title">
  <h2 id="${region}-title">${title}</h2>
  <p class="intro">${intro}</p>
  <div id="${region}-live" class="live" sse-swap="${region}" hx-swap="innerHTML" aria-live="${polite ? "polite" : "off"}">${regions[region]}</div>
</section>`,
    )}</div>`,
)}
</main>
</body>
</html>`;
}

/** A page of its own, for the forms when script is off: the answer, and the way back. */
export function plainPage(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>${title} · keyless</title><link rel="stylesheet" href="/static/page.css"></head>
<body><main><h1>${title}</h1>${body}<p><a href="/">Back to the live view</a></p></main></body></html>`;
}
