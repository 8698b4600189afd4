/**
 * `az sandbox …`: commands the Azure CLI does not have, clearly labelled as the
 * sandbox's own. On Azure, the same facts are in the portal's sign-in logs
 * (Microsoft Entra ID) and diagnostic logs (Key Vault's AuditEvent, Storage's
 * StorageQueueLogs), or in Log Analytics.
 */
import type { Command } from "commander";
import type { AdminPrincipal } from "../providers/resources/admin.ts";
import type { AuditEvent } from "../audit/log.ts";
import { AUDIT_CATEGORY_INFO } from "../registry.ts";
import { explainDenial, isDenial, type Explanation } from "../denials/explain.ts";
import type { RoleAssignment } from "../contracts.ts";
import type { Connection } from "./connection.ts";
import type { Run } from "./shell.ts";

/** One row of `-o table`: when, which log, who, what, and what was decided. */
const row = (event: AuditEvent) => ({
  Time: event.time.slice(11, 19),
  Log: event.category,
  Caller: event.caller?.displayName ?? event.caller?.appId ?? event.caller?.objectId ?? "",
  Operation: event.operationName,
  Result: `${event.statusCode}${event.errorCode ? ` ${event.errorCode}` : ""}`,
  Authorization: event.authorization
    ? `${event.authorization.decision}${event.authorization.roleDefinitionName ? ` (${event.authorization.roleDefinitionName})` : ""}`
    : "",
});

/** Settings as lines a shell or a runtime reads: POSIX `export`, a `.env` file, or PowerShell. */
function asLines(settings: readonly { name: string; value: string }[], format: string): string {
  const single = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  const line = {
    sh: ({ name, value }: { name: string; value: string }) => `export ${name}=${single(value)}`,
    dotenv: ({ name, value }: { name: string; value: string }) => `${name}=${JSON.stringify(value)}`,
    powershell: ({ name, value }: { name: string; value: string }) => `$env:${name} = '${value.replace(/'/g, "''")}'`,
  }[format];
  if (!line)
    throw Object.assign(new Error(`--format must be sh, dotenv or powershell, not ${format}.`), { usage: true });
  return settings.map(line).join("\n");
}

/** Microsoft.Web's api-version the lookups below send. */
const WEB_API = "2024-11-01";

interface Site {
  readonly id: string;
  readonly name: string;
  readonly identity?: { readonly principalId?: string };
}

/**
 * Who an app signs in as, read from Resource Manager as on Azure: its managed identity, or the
 * service principal whose client id its settings hold (AZURE_CLIENT_ID); or a principal named directly.
 */
async function principalOf(connection: Connection, app: string): Promise<AdminPrincipal> {
  const principals = await connection.admin<AdminPrincipal[]>("GET", "/principals");
  const subscription = `/subscriptions/${await connection.subscriptionId()}`;
  const { value: sites } = await connection.arm<{ value: Site[] }>(
    "GET",
    `${subscription}/providers/Microsoft.Web/sites`,
    WEB_API,
  );
  const site = sites.find((candidate) => candidate.name.toLowerCase() === app.toLowerCase());
  const settings = site
    ? (
        await connection.arm<{ properties: Record<string, string> }>(
          "POST",
          `${site.id}/config/appsettings/list`,
          WEB_API,
        )
      ).properties
    : {};
  const wanted = (site?.identity?.principalId || settings["AZURE_CLIENT_ID"] || app).toLowerCase();
  const found = principals.find(
    (principal) =>
      principal.objectId === wanted || principal.appId === wanted || principal.displayName.toLowerCase() === wanted,
  );
  if (!found)
    throw Object.assign(
      new Error(`No app or principal named ${app}: try keyless-step-03, or az sandbox audit list to see who called.`),
      { code: "ResourceNotFound" },
    );
  return found;
}

/** The latest denials of one principal, each explained (see denials/explain.ts). */
export async function denialsOf(connection: Connection, app: string, last: number): Promise<Explanation[]> {
  const principal = await principalOf(connection, app);
  const [events, assignments, principals, account] = await Promise.all([
    connection.admin<AuditEvent[]>("GET", "/audit?last=10000"),
    // RBAC as the sandbox keeps it: with when each assignment takes effect, which Azure never shows.
    connection.admin<RoleAssignment[]>("GET", "/role-assignments"),
    connection.admin<AdminPrincipal[]>("GET", "/principals"),
    connection.account(),
  ]);
  const theirs = events.filter(
    (event) => isDenial(event) && [event.caller?.objectId, event.tokenClaims?.oid].includes(principal.objectId),
  );
  const context = { now: Date.now(), tenantId: account.tenantId, principals, assignments };
  return theirs.slice(-last).map((event) => explainDenial(event, context));
}

export function registerSandbox(az: Command, run: Run): void {
  const sandbox = az.command("sandbox").description("The sandbox's own commands (not in the Azure CLI).");
  sandbox
    .command("app-env")
    .description(
      "An app's application settings as lines to load: run an app of your own, in any language, as that sandbox app.",
    )
    .requiredOption("-n, --name <name>", "the app, e.g. keyless-step-03 or keyless-workspace-03")
    .option("--format <format>", "sh (export lines), dotenv (a .env file) or powershell", "sh")
    .action((options: { name: string; format: string }) =>
      run(async (connection, shell) => {
        // What the app runs with: its settings, and what App Service's platform adds at run time (no ARM API shows those).
        const environment = await connection.admin<Record<string, string>>(
          "GET",
          `/webapps/${encodeURIComponent(options.name)}/environment`,
        );
        const settings = Object.entries(environment).map(([name, value]) => ({ name, value }));
        shell.out(`${asLines(settings, options.format)}\n`);
        return undefined;
      }),
    );
  sandbox
    .command("github-issuer")
    .description(
      "The issuer of the tokens the sandbox's GitHub provider signs for a rehearsal's jobs: what a federated credential names. On GitHub: https://token.actions.githubusercontent.com.",
    )
    .action(() =>
      run(async (connection, shell) => {
        shell.out(`${connection.endpoints.github.issuer}\n`);
        return undefined;
      }),
    );
  sandbox
    .command("denials")
    .description(
      "The latest denials of an app, explained: Azure's error, the token's claims that mattered, the action needed, the roles that grant it, the assignment missing or still propagating (and when it takes effect), and the az command that fixes it. On Azure: the sign-in and diagnostic logs, read by you.",
    )
    .requiredOption(
      "--app <name>",
      "the app, e.g. keyless-step-03 or keyless-workspace-03 (or a principal's name, client id or object id)",
    )
    .option("--last <n>", "at most the last n denials", "5")
    .action((options: { app: string; last: string }) =>
      run((connection) => denialsOf(connection, options.app, Math.max(1, Number(options.last) || 5)), {
        table: (explanations) =>
          (explanations as Explanation[]).map((explanation) => ({
            Time: explanation.time.slice(11, 19),
            Service: explanation.service,
            Azure: `${explanation.azure.status} ${explanation.azure.code}`,
            Why: explanation.title,
            Fix: explanation.fix.command ?? explanation.fix.text,
          })),
      }),
    );
  const audit = sandbox
    .command("audit")
    .description(
      "The sandbox's audit log: sign-ins, Key Vault and Queue Storage requests, with Azure RBAC's decisions.",
    );
  audit
    .command("list")
    .description("List audit events, newest last. On Azure: Entra ID sign-in logs and the services' diagnostic logs.")
    .option("--caller <name>", "only this caller: display name, client id or object id")
    .option(
      "--category <category>",
      `only this log: ${AUDIT_CATEGORY_INFO.map((category) => category.name).join(", ")}`,
    )
    .option("--last <n>", "at most the last n events", "50")
    .action((options: { caller?: string; category?: string; last: string }) =>
      run(
        (connection) => {
          const query = new URLSearchParams({
            last: options.last,
            ...(options.caller ? { caller: options.caller } : {}),
            ...(options.category ? { category: options.category } : {}),
          });
          return connection.admin<AuditEvent[]>("GET", `/audit?${query}`);
        },
        { table: (events) => (events as AuditEvent[]).map(row) },
      ),
    );
}
