/**
 * Collects what the grader of a deployment exercise judges, the way a learner
 * would look: the sandbox's `az` (the deployer, its credentials and roles, the
 * sign-in log), the rehearsal's record, and one GET of the deployed app.
 */
import { existsSync, readFileSync } from "node:fs";
import tls from "node:tls";
import { join, resolve } from "node:path";
import type { AuditEvent } from "@keyless/sandbox";
import { REPO_ROOT } from "../../layout/repo.ts";
import { shownPath, workspaceAppDir, type PipelineExercise } from "../exercises.ts";
import type { DeployFacts } from "./facts.ts";
import { learnerWorkflowPath } from "./workflowFile.ts";

const readJson = <T>(path: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
};

export async function collectDeployFacts(exercise: PipelineExercise, stateDir: string): Promise<DeployFacts> {
  // The sandbox's `az`, in this process: the answer `npm run az` gives, without a Node process per question.
  const { azAnswer } = await import("@keyless/sandbox/az");
  const az = async <T>(...args: string[]): Promise<T | undefined> => {
    const { code, stdout } = await azAnswer([...args, "--output", "json"], {
      env: { ...process.env, KEYLESS_SANDBOX_DIR: stateDir },
      cwd: process.cwd(),
    });
    try {
      return code === 0 ? (JSON.parse(stdout) as T) : undefined;
    } catch {
      return undefined;
    }
  };
  const endpoints = readJson<{ caFile: string; github: { issuer: string } }>(join(stateDir, "endpoints.json"));
  const dir = workspaceAppDir(exercise.step);
  const workflowPath = learnerWorkflowPath(exercise);
  const group = "keyless-rg";
  // The rehearsal's record (packages/pipeline): `file` is the learner's copy it ran as the workflow.
  const lastRun = readJson<{
    workflow: string;
    file?: string;
    repository: string;
    conclusion: string;
    at: string;
    jobs: { id: string; conclusion: string; subject?: string }[];
  }>(join(stateDir, "pipeline", "last-run.json"));

  const [apps, site, account] = await Promise.all([
    az<{ appId: string; passwordCredentials?: unknown[] }[]>("ad", "app", "list", "--display-name", exercise.deployer),
    az<{ id: string; defaultHostName: string; identity?: { principalId?: string } }>(
      "webapp",
      "show",
      "--name",
      exercise.site,
      "--resource-group",
      group,
    ),
    az<{ id: string }>("account", "show"),
  ]);
  const app = apps?.find((candidate) => candidate.appId);
  const [credentials, roles, audit] = await Promise.all([
    app ? az<DeployFacts["credentials"]>("ad", "app", "federated-credential", "list", "--id", app.appId) : undefined,
    app
      ? az<{ roleDefinitionName: string; scope: string }[]>(
          "role",
          "assignment",
          "list",
          "--assignee",
          app.appId,
          "--all",
        )
      : undefined,
    az<AuditEvent[]>("sandbox", "audit", "list", "--last", "500"),
  ]);
  const events = audit ?? [];
  const subscription = `/subscriptions/${account?.id ?? ""}`;

  // The deployed app's answer, as a user gets it; and whether its managed identity signed in since it was deployed.
  let answer: DeployFacts["app"];
  if (site?.defaultHostName && endpoints) {
    tls.setDefaultCACertificates([...tls.getCACertificates("default"), readFileSync(endpoints.caFile, "utf8")]);
    await import("@keyless/sandbox/dns-preload").catch(() => undefined);
    const before = events.at(-1)?.id ?? 0;
    try {
      const response = await fetch(`https://${site.defaultHostName}/api/v1/getcode`, {
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await response.json().catch(() => ({}))) as { code?: string };
      const principal = site.identity?.principalId;
      const all = (await az<AuditEvent[]>("sandbox", "audit", "list", "--last", "500")) ?? [];
      const managedIdentitySignIn =
        all.some(
          (event) =>
            event.clientCredentialType === "managedIdentity" &&
            event.caller?.objectId === principal &&
            event.resultType === "Success",
        ) ||
        all.some(
          (event) => event.id > before && event.caller?.objectId === principal && event.resultType === "Success",
        );
      answer = { status: response.status, ...(body.code ? { code: body.code } : {}), managedIdentitySignIn };
    } catch {
      answer = { status: 0, managedIdentitySignIn: false };
    }
  }

  return {
    ...(existsSync(workflowPath)
      ? { workflow: { shown: shownPath(workflowPath), text: readFileSync(workflowPath, "utf8") } }
      : {}),
    ...(existsSync(join(dir, ".env")) ? { dotenv: readFileSync(join(dir, ".env"), "utf8") } : {}),
    variables: readJson<Record<string, string>>(join(stateDir, "github-variables.json")) ?? {},
    ...(app ? { deployer: { appId: app.appId, secrets: app.passwordCredentials?.length ?? 0 } } : {}),
    credentials: (credentials ?? []).map(({ name, issuer, subject, audiences }) => ({
      name,
      issuer,
      subject,
      audiences,
    })),
    roles: (roles ?? []).map((held) => ({ role: held.roleDefinitionName, scope: held.scope })),
    scopes: { subscription, resourceGroup: `${subscription}/resourceGroups/${group}`, site: site?.id ?? "" },
    issuer: endpoints?.github.issuer ?? "",
    ...(lastRun
      ? {
          lastRun: {
            ofThisWorkflow: resolve(REPO_ROOT, lastRun.file ?? lastRun.workflow) === resolve(workflowPath),
            repository: lastRun.repository,
            conclusion: lastRun.conclusion,
            at: lastRun.at,
            jobs: lastRun.jobs,
          },
        }
      : {}),
    signIns: events
      .filter(
        (event) =>
          event.category === "ServicePrincipalSignInLogs" && app !== undefined && event.caller?.appId === app.appId,
      )
      .map((event) => ({
        time: event.time,
        ok: event.resultType === "Success",
        ...(event.clientCredentialType ? { credential: event.clientCredentialType } : {}),
        ...(event.errorCode ? { errorCode: event.errorCode } : {}),
        ...(event.properties?.["assertionSubject"] ? { subject: event.properties["assertionSubject"] } : {}),
      })),
    ...(answer ? { app: answer } : {}),
  };
}
