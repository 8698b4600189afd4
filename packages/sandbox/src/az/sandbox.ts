/**
 * `az sandbox …`: commands the Azure CLI does not have, clearly labelled as the
 * sandbox's own. On Azure, the same facts are in the portal's sign-in logs
 * (Microsoft Entra ID) and diagnostic logs (Key Vault's AuditEvent, Storage's
 * StorageQueueLogs), or in Log Analytics.
 */
import type { Command } from "commander";
import type { AuditEvent } from "../audit/log.ts";
import type { Run } from "./main.ts";

/** One row of `-o table`: when, which log, who, what, and what was decided. */
const row = (event: AuditEvent) => ({
  Time: event.time.slice(11, 19),
  Log: event.category,
  Caller: event.caller?.displayName ?? event.caller?.appId ?? event.caller?.objectId ?? "",
  Operation: event.operationName,
  Result: `${event.statusCode}${event.errorCode ? ` ${event.errorCode}` : ""}`,
  Authorization: event.authorization ? `${event.authorization.decision}${event.authorization.roleDefinitionName ? ` (${event.authorization.roleDefinitionName})` : ""}` : "",
});

/** Settings as lines a shell or a runtime reads: POSIX `export`, a `.env` file, or PowerShell. */
function asLines(settings: readonly { name: string; value: string }[], format: string): string {
  const single = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  const line = {
    sh: ({ name, value }: { name: string; value: string }) => `export ${name}=${single(value)}`,
    dotenv: ({ name, value }: { name: string; value: string }) => `${name}=${JSON.stringify(value)}`,
    powershell: ({ name, value }: { name: string; value: string }) => `$env:${name} = '${value.replace(/'/g, "''")}'`,
  }[format];
  if (!line) throw Object.assign(new Error(`--format must be sh, dotenv or powershell, not ${format}.`), { usage: true });
  return settings.map(line).join("\n");
}

export function registerSandbox(az: Command, run: Run): void {
  const sandbox = az.command("sandbox").description("The sandbox's own commands (not in the Azure CLI).");
  sandbox
    .command("app-env")
    .description("An app's application settings as lines to load: run an app of your own, in any language, as that sandbox app.")
    .requiredOption("-n, --name <name>", "the app, e.g. keyless-step-03 or keyless-workspace-03")
    .option("--format <format>", "sh (export lines), dotenv (a .env file) or powershell", "sh")
    .action((options: { name: string; format: string }) =>
      run(async (connection) => {
        const settings = await connection.admin<{ name: string; value: string }[]>("GET", `/webapps/${encodeURIComponent(options.name)}/appsettings`);
        process.stdout.write(`${asLines(settings, options.format)}\n`);
        return undefined;
      }),
    );
  const audit = sandbox.command("audit").description("The sandbox's audit log: sign-ins, Key Vault and Queue Storage requests, with Azure RBAC's decisions.");
  audit
    .command("list")
    .description("List audit events, newest last. On Azure: Entra ID sign-in logs and the services' diagnostic logs.")
    .option("--caller <name>", "only this caller: display name, client id or object id")
    .option("--category <category>", "only this log: SignInLogs, ServicePrincipalSignInLogs, ManagedIdentitySignInLogs, AuditEvent, StorageQueueLogs")
    .option("--last <n>", "at most the last n events", "50")
    .action((options: { caller?: string; category?: string; last: string }) =>
      run(
        (connection) => {
          const query = new URLSearchParams({ last: options.last, ...(options.caller ? { caller: options.caller } : {}), ...(options.category ? { category: options.category } : {}) });
          return connection.admin<AuditEvent[]>("GET", `/audit?${query}`);
        },
        { table: (events) => (events as AuditEvent[]).map(row) },
      ),
    );
}
