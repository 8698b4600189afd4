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

export function registerSandbox(az: Command, run: Run): void {
  const sandbox = az.command("sandbox").description("The sandbox's own commands (not in the Azure CLI).");
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
