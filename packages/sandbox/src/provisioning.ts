/**
 * What the sandbox is provisioned with, as a new subscription would be:
 *
 *   1. what lives outside Resource Manager (the tenant: its users, the app
 *      registrations, the subscription's owner), from tenant.json;
 *   2. the resource group tenant.json names, and the deployment it names
 *      (`infra/main.json` with `infra/sandbox.parameters.json`) into it: the
 *      same template a learner deploys to Azure, through the same Resource
 *      Manager as `az deployment group create`;
 *   3. the exercises' own apps (sandbox only: a learner's app runs on their
 *      machine), each like one of the template's sites, with its settings.
 *
 * It runs on a new state store, and at `npm run reset`, on a store emptied
 * first. A deployment is not one transaction (on Azure neither): a kill half
 * way leaves no marker, and the next start empties the store and provisions
 * again.
 */
import { readFileSync } from "node:fs";
import type { ArmResource } from "./arm/resourceType.ts";
import { guid } from "./arm/template/index.ts";
import { deploymentFilesOf, EXERCISE_TAG } from "./deployment.ts";
import type { ProviderContext } from "./provider.ts";
import type { TenantApp } from "./tenant.ts";

const OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/** The marker a provisioned store holds: when, and from what. */
export interface Provisioned {
  readonly at: string;
  readonly from: string;
  /** The deployment's outputs: the names, URLs and ids the template says it made. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The queues the deployment made: what Queue Storage goes back to at a reset. */
  readonly queues?: readonly string[];
}

const MARKER = "provisioned";

/** Whether this state store was provisioned already (a restart keeps what callers changed since). */
export function provisionedOf(context: Pick<ProviderContext, "state">): Provisioned | undefined {
  return context.state.collection<Provisioned>("sandbox").get(MARKER);
}

/** Writes the provisioned state, on an empty store. */
export async function provision(context: ProviderContext): Promise<Provisioned> {
  const { tenant, rbac, arm, scopes, running } = context;

  // 1. The tenant: whoever signs in as the developer owns the subscription (as the learner owns theirs on Azure).
  for (const user of tenant.users) {
    rbac.add(
      {
        id: guid([scopes.subscription, user.objectId, OWNER_ROLE]),
        principalId: user.objectId,
        principalType: "User",
        role: OWNER_ROLE,
        scope: scopes.subscription,
      },
      { immediately: true },
    );
  }

  // 2. The resource group, and the template deployed into it, as `az deployment group create` deploys it.
  const { deployment: named } = tenant;
  const files = deploymentFilesOf(tenant);
  arm.put(scopes.resourceGroup, { location: named.location }, undefined);
  const parameters = JSON.parse(readFileSync(files.parameters, "utf8")) as { parameters: Record<string, unknown> };
  const { deployment } = await running.resources.deployments.create(
    `${scopes.resourceGroup}/providers/Microsoft.Resources/deployments/${named.name}`,
    {
      properties: {
        mode: "Incremental",
        template: JSON.parse(readFileSync(files.template, "utf8")) as unknown,
        parameters: {
          ...parameters.parameters,
          // What a pipeline passes at deploy time: a secret from the directory, a URL that carries a port.
          ...deployTimeParameters(context),
        },
      },
    },
    undefined,
  );
  const properties = deployment.properties as {
    provisioningState?: string;
    error?: { message?: string; details?: { code?: string; message?: string }[] };
    outputs?: Record<string, { value: unknown }>;
  };
  if (properties.provisioningState !== "Succeeded") {
    const [first] = properties.error?.details ?? [];
    const reason = first
      ? `${first.code ?? ""}: ${first.message ?? ""}`
      : (properties.error?.message ?? "no reason given");
    throw new Error(`${named.template} did not deploy into the sandbox: ${reason}`);
  }
  const outputs = Object.fromEntries(
    Object.entries(properties.outputs ?? {}).map(([name, output]) => [name, output.value]),
  );

  const provisioned: Provisioned = {
    at: new Date().toISOString(),
    from: named.template,
    outputs,
    queues: running.storage.queues(),
  };

  // 3. The exercises' apps: a site each, like one of the template's, with its settings and an identity of its own.
  context.state.transaction(() => {
    for (const app of tenant.apps) {
      const siteId = `${scopes.resourceGroup}/providers/Microsoft.Web/sites/${app.name}`;
      if (arm.find(siteId)) continue;
      const like = arm.find(`${scopes.resourceGroup}/providers/Microsoft.Web/sites/${app.like}`);
      if (!like)
        throw new Error(`tenant.json: apps ${app.name} is like ${app.like}, a site ${named.template} has not.`);
      exerciseSite(context, siteId, like, app);
    }
    context.state.collection<Provisioned>("sandbox").put(MARKER, provisioned);
    // What provisioning wrote is the starting point, not a change a caller made.
    context.journal.clear();
  });
  return provisioned;
}

/** The values tenant.json says the deployer passes at deploy time: a service principal's secret, the cluster's issuer URL. */
function deployTimeParameters(context: ProviderContext): Record<string, { value: string }> {
  const { tenant, directory, running } = context;
  const cluster = running["managed-identity"].kubernetes.cluster;
  return Object.fromEntries(
    Object.entries(tenant.deployment.deployTime).map(([name, source]) => {
      if ("secretOf" in source) {
        const principal = directory.servicePrincipals.find((sp) => sp.displayName === source.secretOf);
        if (!principal)
          throw new Error(
            `tenant.json: deployment.deployTime.${name} is the secret of ${source.secretOf}, which servicePrincipals does not name.`,
          );
        return [name, { value: principal.secret }];
      }
      if (source.issuerOf !== tenant.hosts.kubernetesCluster.name)
        throw new Error(
          `tenant.json: deployment.deployTime.${name} is the issuer of ${source.issuerOf}, which is not hosts.kubernetesCluster.`,
        );
      return [name, { value: cluster.issuerUrl }];
    }),
  );
}

/** A learner's app: a site like one of the template's, its own identity (or its own service principal's secret), no role. */
function exerciseSite(context: ProviderContext, siteId: string, like: ArmResource, app: TenantApp): void {
  const { arm, directory } = context;
  arm.put(
    siteId,
    {
      location: like.location ?? context.tenant.deployment.location,
      ...(like.kind ? { kind: like.kind } : {}),
      tags: { [EXERCISE_TAG]: like.name },
      ...(app.identity === "system" ? { identity: { type: "SystemAssigned" } } : {}),
      properties: { serverFarmId: (like.properties as { serverFarmId?: string } | undefined)?.serverFarmId ?? "" },
    },
    undefined,
  );
  const settings = arm.invoke(`${like.id}/config/appsettings`, "list", undefined) as ArmResource;
  const servicePrincipal = app.signsInAs
    ? directory.servicePrincipals.find((sp) => sp.displayName === app.signsInAs)
    : undefined;
  if (app.signsInAs && !servicePrincipal)
    throw new Error(
      `tenant.json: apps ${app.name} signs in as ${app.signsInAs}, which servicePrincipals does not name.`,
    );
  const own = { ...(settings.properties as Record<string, string>) };
  if (servicePrincipal) {
    own["AZURE_CLIENT_ID"] = servicePrincipal.appId ?? "";
    own["AZURE_CLIENT_SECRET"] = servicePrincipal.secret;
  }
  arm.put(`${siteId}/config/appsettings`, { properties: own }, undefined);
}
