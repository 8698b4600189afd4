/**
 * The live view's regions, each rendered on the server from the sandbox's
 * state: the page renders them all once, and Server-Sent Events replace one
 * when it changes. Every action is a real form (it works without script);
 * htmx posts it in place.
 */
import {
  ROLE_DEFINITIONS,
  explainDenial,
  isChallenge,
  isDenial,
  type AuditEvent,
  type DenialContext,
  type Explanation,
  type Sandbox,
} from "@keyless/sandbox";
import { html, type Html } from "./html.ts";
import type { Trace, TraceNode } from "./traces.ts";

/** A running (or not) app of the launcher: a step, or a learner's own app. */
export interface AppRun {
  /** The App Service app it runs as: keyless-step-03. */
  readonly app: string;
  readonly step?: string;
  readonly title: string;
  readonly url?: string;
  readonly state: "running" | "starting" | "not running" | "did not start";
  /** Why it did not start, in its own words. */
  readonly error?: string;
}

/** A message of the queue, as Peek Messages shows it. */
export interface QueueMessage {
  readonly messageId: string;
  readonly messageText: string;
  readonly insertedOn: string;
}

export interface QueueView {
  readonly name: string;
  readonly state: string;
  readonly messages?: readonly QueueMessage[];
  readonly count?: number;
}

/** What every region needs: the sandbox, the time, and the token that proves a form came from this page. */
export interface ViewContext {
  readonly sandbox: Sandbox;
  readonly now: number;
  readonly csrf: string;
}

export const time = (at: number | string) => new Date(at).toLocaleTimeString("en-GB", { hour12: false });
const ms = (value: number) => `${Math.round(value)} ms`;
const id = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, "-");

/** A scope as the lesson names it: the vault, the queue, the resource group... */
export function scopeName(sandbox: Sandbox, scope: string): string {
  const { scopes, world, tenant } = sandbox;
  const lower = scope.toLowerCase();
  if (lower === scopes.vault.toLowerCase()) return `Key Vault ${world.keyVault}`;
  if (lower.startsWith(`${scopes.vault.toLowerCase()}/secrets/`))
    return `secret ${scope.split("/").at(-1)} in ${world.keyVault}`;
  for (const queue of world.queues) if (lower === scopes.queue(queue).toLowerCase()) return `queue ${queue}`;
  if (lower === scopes.storageAccount.toLowerCase()) return `storage account ${world.storageAccount}`;
  if (lower === scopes.resourceGroup.toLowerCase()) return `resource group ${tenant.deployment.resourceGroup}`;
  if (lower === scopes.subscription.toLowerCase()) return "the subscription";
  return scope.split("/").slice(-2).join(" ");
}

/** The forms' hidden fields: the page's token (htmx also sends it as a header). */
const csrfField = (context: ViewContext) => html`<input type="hidden" name="_csrf" value="${context.csrf}">`;

/** A form that posts an action: in place with htmx (the answer goes to the status line), or as a page without script. */
function actionForm(
  context: ViewContext,
  action: string,
  fields: Html,
  button: Html,
  options: { confirm?: string; className?: string } = {},
): Html {
  return html`<form class="${options.className ?? "inline"}" method="post" action="${action}" hx-post="${action}" hx-target="#result" hx-swap="innerHTML"${options.confirm ? html` hx-confirm="${options.confirm}"` : ""}>${csrfField(context)}${fields}${button}</form>`;
}

export function denialContext(sandbox: Sandbox, now: number): DenialContext {
  return {
    now,
    tenantId: sandbox.tenant.tenant.id,
    principals: sandbox.directory.all().map(({ objectId, displayName, type, appId }) => ({
      objectId,
      displayName,
      type:
        sandbox.directory.describe(objectId)?.type === "ManagedIdentity"
          ? "managed identity"
          : type === "User"
            ? "user"
            : "service principal",
      ...(appId ? { appId } : {}),
    })),
    assignments: sandbox.rbac.list(),
  };
}

// ——— Why denied ———

/** One denial, explained: open by default, its parts labelled. */
export function explanationView(explanation: Explanation, key: string, open = true): Html {
  const { azure, claims, fix } = explanation;
  return html`<details class="explain" id="why-${id(key)}"${open ? " open" : ""}>
  <summary><span class="badge denied">${azure.status} ${azure.code}</span> <strong>Why denied?</strong> ${explanation.title}</summary>
  <dl>
    <dt>Azure answered</dt><dd><code>${azure.status} ${azure.code}</code>${azure.message ? html`<pre class="azure">${azure.message.trim()}</pre>` : ""}</dd>
    ${explanation.caller ? html`<dt>Caller</dt><dd>${explanation.caller.displayName} <span class="muted">(${explanation.caller.type}, object id <code>${explanation.caller.objectId}</code>)</span></dd>` : ""}
    ${
      claims.length > 0
        ? html`<dt>The token's claims that mattered</dt><dd><ul class="claims">${claims.map(
            (claim) =>
              html`<li><strong>${claim.label}</strong> <span class="muted">(${claim.claim})</span>: <code>${claim.found}</code> ${
                claim.ok
                  ? html`<span class="badge allowed">as wanted</span>`
                  : html`<span class="badge denied">not as wanted</span> <span>wanted: ${claim.expected ?? "another value"}</span>`
              }</li>`,
          )}</ul></dd>`
        : ""
    }
    ${explanation.action ? html`<dt>The action it needed</dt><dd><code>${explanation.action}</code>${explanation.resource ? html` on <code class="scope">${explanation.resource}</code>` : ""}</dd>` : ""}
    ${explanation.grantingRoles.length > 0 ? html`<dt>Roles that grant it</dt><dd>${explanation.grantingRoles.join(", ")} <span class="muted">(least privilege first)</span></dd>` : ""}
    ${
      explanation.assignments.length > 0
        ? html`<dt>The caller's assignments of those roles</dt><dd><ul>${explanation.assignments.map(
            (assignment) =>
              html`<li>${assignment.role} at <code class="scope">${assignment.scope}</code>: ${assignment.coversResource ? "covers the resource" : "does not cover the resource"}, ${assignment.state === "propagating" ? `propagating until ${time(assignment.effectiveFrom)}` : "in effect"}</li>`,
          )}</ul></dd>`
        : ""
    }
    ${explanation.missing ? html`<dt>Missing</dt><dd>${explanation.missing.role} at <code class="scope">${explanation.missing.scope}</code></dd>` : ""}
    ${explanation.propagating ? html`<dt>Still propagating</dt><dd>${explanation.propagating.role}: takes effect at <time datetime="${explanation.propagating.takesEffectAt}">${time(explanation.propagating.takesEffectAt)}</time>${explanation.propagating.inSeconds > 0 ? ` (in ${explanation.propagating.inSeconds} s)` : " (in effect now)"}</dd>` : ""}
    <dt>Why</dt><dd>${explanation.reasons.map((reason) => html`<p>${reason}</p>`)}</dd>
    <dt>Fix</dt><dd><p>${fix.text}</p>${fix.command ? html`<pre class="fix"><code>${fix.command}</code></pre><p class="muted">In the sandbox: <code>npm run --silent az -- ${fix.command.replace(/^az /, "")}</code></p>` : ""}</dd>
  </dl>
</details>`;
}

// ——— Traces ———

function auditNote(event: AuditEvent, context: ViewContext): Html {
  if (isChallenge(event)) {
    return html`<span class="badge challenge" title="${event.resultDescription ?? ""}">${event.statusCode} challenge</span> <span class="muted">no token yet: the service says where to get one, the SDK gets it and retries</span>`;
  }
  if (event.category.endsWith("SignInLogs")) {
    return event.resultType === "Success"
      ? html`<span class="badge signin">sign-in</span> <span class="muted">${event.category}: a token for ${event.resource ?? "a resource"}, issued to ${event.caller?.displayName ?? "the caller"}</span>`
      : html`<span class="badge denied">sign-in ${event.statusCode} ${event.errorCode ?? ""}</span> ${event.failureReason ?? ""}`;
  }
  const authorization = event.authorization;
  const rbac = authorization
    ? authorization.decision === "Allowed"
      ? html`<span class="badge allowed">RBAC: allowed</span> <span class="muted">by ${authorization.roleDefinitionName ?? "a role"} at ${scopeName(context.sandbox, authorization.roleAssignmentScope ?? authorization.scope)}</span>`
      : html`<span class="badge denied">RBAC: denied</span>`
    : "";
  const result = html`<span class="badge ${event.resultType === "Success" ? "ok" : "denied"}">${event.operationName} ${event.statusCode}${event.errorCode ? ` ${event.errorCode}` : ""}</span>`;
  return html`${result} ${rbac}`;
}

function nodeView(node: TraceNode, trace: Trace, context: ViewContext): Html {
  const width = trace.durationMs > 0 ? Math.max(0.5, (node.durationMs / trace.durationMs) * 100) : 100;
  const left = trace.durationMs > 0 ? Math.min(99.5, (node.offsetMs / trace.durationMs) * 100) : 0;
  const credential =
    node.credential === "answered"
      ? html` <span class="badge allowed">answered</span>`
      : node.credential === "unavailable"
        ? html` <span class="badge muted-badge">not available here</span>`
        : node.credential === "failed"
          ? html` <span class="badge denied">failed</span>`
          : "";
  const status =
    node.kind !== "credential" && node.kind !== "audit" && node.status !== undefined
      ? html` <span class="badge ${node.failed ? "denied" : node.status === 401 ? "challenge" : "ok"}">${node.status}</span>`
      : "";
  const denials = node.audit.filter(isDenial);
  return html`<li class="node ${node.kind}${node.failed ? " failed" : ""}">
  <div class="row"><span class="label">${node.label}</span>${status}${credential} <span class="timing">+${ms(node.offsetMs)} · ${ms(node.durationMs)}</span></div>
  <div class="bar" aria-hidden="true"><span style="margin-left:${left.toFixed(1)}%;width:${Math.min(width, 100 - left).toFixed(1)}%"></span></div>
  ${node.audit.length > 0 ? html`<ul class="audit">${node.audit.map((event) => html`<li>${auditNote(event, context)}</li>`)}</ul>` : ""}
  ${node.message && node.failed && denials.length === 0 && node.credential !== "unavailable" ? html`<p class="error-message">${node.message}</p>` : ""}
  ${denials.map((event) => explanationView(explainDenial(event, denialContext(context.sandbox, context.now)), `${trace.traceId}-${event.id}`))}
  ${node.children.length > 0 ? html`<ol>${node.children.map((child) => nodeView(child, trace, context))}</ol>` : ""}
</li>`;
}

export function traceView(trace: Trace, context: ViewContext): Html {
  const outcome =
    trace.status !== undefined
      ? html`<span class="badge ${trace.failed ? "denied" : "ok"}">${trace.status}</span>`
      : html`<span class="badge ${trace.failed ? "denied" : "ok"}">${trace.failed ? "failed" : "ok"}</span>`;
  const tokens = trace.tokens.map(
    (token) =>
      html`<li>Token for ${token.forService}: ${
        token.source === "client cache"
          ? "the client's cached token (no credential asked)"
          : token.source === "failed"
            ? "no credential could get one"
            : html`<strong>${token.credential ?? "a credential"}</strong> answered${token.unavailable.length > 0 ? ` (${token.unavailable.join(", ")} not available here)` : ""}, <strong>${token.source === "fetched" ? "fetched" : "cached"}</strong>${token.source === "fetched" ? (token.signIn ? " (a sign-in in the audit log)" : " (a request to the token endpoint)") : " (from its own cache: no sign-in)"}`
      }</li>`,
  );
  return html`<article class="trace${trace.failed ? " failed" : ""}" id="trace-${trace.traceId}" aria-labelledby="trace-${trace.traceId}-title">
  <header>
    <h3 id="trace-${trace.traceId}-title"><span class="app">${trace.app}</span> ${trace.title}${trace.background ? html` <span class="muted">(not in a request: start-up)</span>` : ""}</h3>
    <p class="summary">${outcome} <span>${ms(trace.durationMs)}</span> <time datetime="${new Date(trace.start).toISOString()}">${time(trace.start)}</time> <span class="muted">Key Vault reads: <span class="vault-reads">${trace.vaultReads}</span></span> <code class="muted trace-id">trace ${trace.traceId.slice(0, 8)}</code></p>
  </header>
  ${rotationNote(trace)}
  ${tokens.length > 0 ? html`<ul class="tokens">${tokens}</ul>` : trace.audit.length === 0 && !trace.background ? html`<p class="muted">No call to Azure in this request: ${context.sandbox.sites().find((site) => site.name === trace.app)?.identity === "none" ? "the key is written in the app's code" : "the app uses the key it read from Key Vault at start-up, kept in memory"}.</p>` : ""}
  <ol class="tree">${trace.roots.map((node) => nodeView(node, trace, context))}</ol>
</article>`;
}

const flatten = (nodes: readonly TraceNode[]): TraceNode[] =>
  nodes.flatMap((node) => [node, ...flatten(node.children)]);

/** The key-rotation lesson, when a request shows it: the third party refused the key, the app read the vault once and tried again. */
function rotationNote(trace: Trace): Html {
  const nodes = flatten(trace.roots);
  const refused = nodes.findIndex((node) => node.kind === "fetch" && node.status === 401);
  const reread = nodes.findIndex(
    (node, index) => index > refused && node.kind === "operation" && /getSecret/.test(node.label),
  );
  if (refused < 0 || reread < 0) return html``;
  const retried = nodes.slice(reread).some((node) => node.kind === "fetch" && node.status === 200);
  return html`<p class="story">The third party refused the key it had (401): the app read the secret from Key Vault again, ${trace.vaultReads === 1 ? "once" : `${trace.vaultReads} times`}, and ${retried ? "tried again with the new key: 200" : "its retry did not succeed"}.</p>`;
}

export function tracesRegion(traces: readonly Trace[], context: ViewContext): Html {
  if (traces.length === 0) {
    return html`<p class="empty">No traces yet. Call an app (the <em>Call getcode</em> buttons above), or restart one: its start-up read of the vault is a trace too.</p>`;
  }
  return html`${traces.map((trace) => traceView(trace, context))}`;
}

// ——— Apps ———

/** The service principal a site signs in as with a client secret (its settings name its client id), if it does. */
function servicePrincipalOf(sandbox: Sandbox, app: string): string | undefined {
  if (!sandbox.sites().some((site) => site.name === app && site.identity === "service-principal")) return undefined;
  const clientId = sandbox.siteEnvironment(app)["AZURE_CLIENT_ID"] ?? "";
  return sandbox.directory.servicePrincipalByClientId(clientId)?.displayName;
}

export function appsRegion(apps: readonly AppRun[], context: ViewContext): Html {
  if (apps.length === 0) return html`<p class="empty">No app runs in this workshop.</p>`;
  const identityOf = (app: string) => {
    const managed = context.sandbox.directory.apps.get(app);
    if (managed) return `managed identity (${managed.objectId.slice(0, 8)}…)`;
    const principal = servicePrincipalOf(context.sandbox, app);
    return principal ? `service principal ${principal} (client secret)` : "no Azure sign-in";
  };
  return html`<table>
  <caption class="visually-hidden">The apps npm start runs</caption>
  <thead><tr><th scope="col">App</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
  <tbody>${apps.map(
    (app) => html`<tr id="app-${app.app}">
    <th scope="row">${app.app}<span class="kind">${app.step ? `step ${app.step}: ` : ""}${app.title}</span><span class="kind">signs in with: ${identityOf(app.app)}</span></th>
    <td>${app.url ? html`<a href="${app.url}/api/v1/getcode">${app.url}</a>` : html`<span class="badge denied">${app.state}</span>`}${app.error ? html`<p class="error-message">${app.error}</p>` : ""}</td>
    <td class="actions">
      ${app.url ? actionForm(context, `/actions/apps/${app.app}/call`, html``, html`<button type="submit" id="call-${app.app}">Call getcode</button>`) : ""}
      ${actionForm(context, `/actions/apps/${app.app}/restart`, html``, html`<button type="submit" id="restart-${app.app}">Restart</button>`)}
    </td>
  </tr>
  <tr class="logs-row"><td colspan="3"><details class="logs" id="logs-${app.app}"><summary>${app.app}'s logs</summary><pre hx-get="/apps/${app.app}/logs" hx-trigger="toggle from:closest details" hx-swap="innerHTML">Open to load.</pre></details></td></tr>`,
  )}</tbody>
</table>`;
}

// ——— Identities and roles ———

export function identitiesRegion(context: ViewContext): Html {
  const { sandbox, now } = context;
  const { directory } = sandbox;
  const assignments = sandbox.rbac.list();
  const kindOf = (objectId: string) => {
    const described = directory.describe(objectId);
    const managedApp = [...directory.apps.values()].find((app) => app.objectId === objectId);
    if (managedApp) return `managed identity of the App Service app ${managedApp.displayName}`;
    if (described?.type === "User") return "user: you, signed in with az login";
    const usedBy = sandbox
      .sites()
      .filter((site) => servicePrincipalOf(sandbox, site.name) === described?.displayName)
      .map((site) => site.name);
    if (described?.type === "ManagedIdentity") return "user-assigned managed identity";
    return `service principal (app registration)${usedBy.length > 0 ? `, used by ${usedBy.join(", ")} with its client secret` : ""}`;
  };
  const principals = directory.all();
  const rows = principals.map((principal) => {
    const own = assignments.filter((assignment) => assignment.principalId === principal.objectId);
    return html`<tr id="principal-${principal.objectId}">
  <th scope="row">${principal.displayName}<span class="kind">${kindOf(principal.objectId)}</span><span class="kind"><code>${principal.objectId}</code></span></th>
  <td>${
    own.length === 0
      ? html`<span class="muted">no role</span>`
      : html`<ul class="assignments">${own.map((assignment) => {
          const propagating = assignment.effectiveFrom > now;
          const label = `${assignment.roleDefinitionName} on ${scopeName(sandbox, assignment.scope)}`;
          return html`<li><span>${assignment.roleDefinitionName}</span> <span class="muted">on ${scopeName(sandbox, assignment.scope)}</span> ${
            propagating
              ? html`<span class="badge challenge">propagating: takes effect at <time datetime="${new Date(assignment.effectiveFrom).toISOString()}">${time(assignment.effectiveFrom)}</time></span>`
              : html`<span class="badge allowed">effective</span>`
          } ${actionForm(context, "/actions/revoke", html`<input type="hidden" name="id" value="${assignment.id}">`, html`<button type="submit" class="small" id="revoke-${assignment.id}" aria-label="Revoke ${label} from ${principal.displayName}">Revoke</button>`)}</li>`;
        })}</ul>`
  }</td>
</tr>`;
  });
  const scopes: [string, string][] = [
    [sandbox.scopes.vault, scopeName(sandbox, sandbox.scopes.vault)],
    ...sandbox.world.queues.map((queue): [string, string] => [sandbox.scopes.queue(queue), `queue ${queue}`]),
    [sandbox.scopes.storageAccount, scopeName(sandbox, sandbox.scopes.storageAccount)],
    [sandbox.scopes.resourceGroup, scopeName(sandbox, sandbox.scopes.resourceGroup)],
  ];
  const grant = actionForm(
    context,
    "/actions/grant",
    html`<div class="field"><label for="grant-assignee">Who</label><select id="grant-assignee" name="assignee">${principals.map((principal) => html`<option value="${principal.objectId}">${principal.displayName}</option>`)}</select></div>
<div class="field"><label for="grant-role">Role</label><select id="grant-role" name="role">${ROLE_DEFINITIONS.map((role) => html`<option>${role.name}</option>`)}</select></div>
<div class="field"><label for="grant-scope">On</label><select id="grant-scope" name="scope">${scopes.map(([scope, name]) => html`<option value="${scope}">${name}</option>`)}</select></div>`,
    html`<button type="submit" id="grant-submit">Grant</button>`,
    { className: "grant" },
  );
  return html`<table>
  <caption class="visually-hidden">Identities and their role assignments</caption>
  <thead><tr><th scope="col">Identity</th><th scope="col">Role assignments (Azure RBAC)</th></tr></thead>
  <tbody>${rows}</tbody>
</table>
<h3 id="grant-title">Grant a role</h3>
<p class="muted">As <code>az role assignment create</code> does: recorded in the Activity log${sandbox.rbac.delayMs > 0 ? html`, and in effect only after ${Math.round(sandbox.rbac.delayMs / 1000)} s, as Azure propagates it` : ""}.</p>
${grant}`;
}

// ——— Secrets ———

export function secretsRegion(context: ViewContext): Html {
  const { sandbox } = context;
  const secrets = sandbox.secrets.list();
  return html`<table>
  <caption class="visually-hidden">The vault's secrets</caption>
  <thead><tr><th scope="col">Secret</th><th scope="col">Versions</th><th scope="col">Updated</th><th scope="col">Value</th></tr></thead>
  <tbody>${secrets.map((secret) => {
    const latest = secret.versions.at(-1);
    return html`<tr id="secret-${secret.name}">
    <th scope="row">${secret.name}</th>
    <td>${secret.versions.length} <span class="muted">(current <code>${latest?.version.slice(0, 8) ?? ""}…</code>)</span></td>
    <td>${latest ? html`<time datetime="${new Date(latest.updated * 1000).toISOString()}">${time(latest.updated * 1000)}</time>` : ""}</td>
    <td><span class="masked" aria-label="hidden value">••••••••</span>
      <span id="reveal-${secret.name}"><button type="button" class="small" id="reveal-button-${secret.name}" hx-get="/secrets/${secret.name}/reveal" hx-target="#reveal-${secret.name}" hx-swap="innerHTML">Reveal…</button></span></td>
  </tr>`;
  })}</tbody>
</table>
<h3>Rotate the third party's key</h3>
<p class="muted">The Azure Functions way: a new function key, then the vault secret updated to it, then the old key deleted. The apps' next call gets a 401 from the third party and reads the vault once again.</p>
${actionForm(context, "/actions/rotate-key", html``, html`<button type="submit" id="rotate-key">Rotate the key</button>`)}`;
}

/** The question before a secret is shown: revealing it is recorded. */
export function revealConfirmation(context: ViewContext, name: string): Html {
  const user = context.sandbox.directory.users[0]?.displayName ?? "you";
  return html`<span class="confirm" role="group" aria-labelledby="reveal-question-${name}"><span id="reveal-question-${name}">Show the value of ${name}? Key Vault records it as a SecretGet by ${user}.</span>
<form class="inline" method="post" action="/secrets/${name}/reveal" hx-post="/secrets/${name}/reveal" hx-target="#reveal-${name}" hx-swap="innerHTML">${csrfField(context)}<button type="submit" class="small" id="reveal-confirm-${name}">Reveal the value</button></form>
<button type="button" class="small" hx-get="/secrets/${name}/hidden" hx-target="#reveal-${name}" hx-swap="innerHTML">Cancel</button></span>`;
}

export function revealedValue(name: string, value: string): Html {
  return html`<output class="revealed" id="revealed-${name}" aria-live="polite">${value}</output> <button type="button" class="small" hx-get="/secrets/${name}/hidden" hx-target="#reveal-${name}" hx-swap="innerHTML">Hide</button>`;
}

export function hiddenValue(name: string): Html {
  return html`<button type="button" class="small" id="reveal-button-${name}" hx-get="/secrets/${name}/reveal" hx-target="#reveal-${name}" hx-swap="innerHTML">Reveal…</button>`;
}

// ——— Queue ———

export function queueRegion(queue: QueueView, context: ViewContext): Html {
  const running = queue.state === "running";
  return html`<p>Queue Storage: <span class="badge ${running ? "allowed" : "denied"}" id="queue-state">${queue.state}</span>
  ${actionForm(context, running ? "/actions/queue/stop" : "/actions/queue/start", html``, html`<button type="submit" id="${running ? "queue-stop" : "queue-start"}">${running ? "Stop Queue Storage" : "Start Queue Storage"}</button>`)}</p>
<p>Queue <strong>${queue.name}</strong>: <span id="queue-count">${queue.count ?? "?"}</span> messages${queue.messages && queue.count !== undefined && queue.count > queue.messages.length ? html` <span class="muted">(the first ${queue.messages.length} shown)</span>` : ""}.</p>
${
  queue.messages && queue.messages.length > 0
    ? html`<table><caption class="visually-hidden">Messages in ${queue.name}</caption><thead><tr><th scope="col">Inserted</th><th scope="col">Message</th></tr></thead><tbody>${queue.messages.map(
        (message) =>
          html`<tr><td><time datetime="${message.insertedOn}">${time(message.insertedOn)}</time></td><td><code>${message.messageText}</code></td></tr>`,
      )}</tbody></table>`
    : running
      ? html`<p class="empty">No messages: step 04 sends one per code.</p>`
      : html`<p class="empty">While Queue Storage is stopped, its gateway answers 503 ServerBusy, as Azure does when Storage is unavailable.</p>`
}`;
}

// ——— Audit log ———

export function auditRegion(events: readonly AuditEvent[], context: ViewContext): Html {
  if (events.length === 0) return html`<p class="empty">Nothing recorded yet.</p>`;
  const denial = denialContext(context.sandbox, context.now);
  return html`<table class="audit-log">
  <caption class="visually-hidden">The latest audit events, newest first</caption>
  <thead><tr><th scope="col">Time</th><th scope="col">Log</th><th scope="col">Caller</th><th scope="col">Operation</th><th scope="col">Result</th></tr></thead>
  <tbody>${events.map(
    (event) => html`<tr class="${isDenial(event) ? "failed" : ""}" id="event-${event.id}">
    <td><time datetime="${event.time}">${time(event.time)}</time></td>
    <td>${event.category}</td>
    <td>${event.caller?.displayName ?? event.caller?.appId ?? event.tokenClaims?.oid ?? "—"}</td>
    <td>${event.operationName}${
      event.properties
        ? html`<br><span class="muted">${Object.entries(event.properties)
            .filter(([key]) => key !== "activityCategory")
            .map(([key, value]) => `${key}: ${value}`)
            .join("; ")}</span>`
        : ""
    }</td>
    <td>${auditNote(event, context)}${isDenial(event) ? explanationView(explainDenial(event, denial), `audit-${event.id}`, false) : ""}</td>
  </tr>`,
  )}</tbody>
</table>`;
}
