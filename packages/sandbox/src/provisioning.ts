/**
 * What the sandbox is provisioned with, as a new subscription would be:
 *
 *   1. what lives outside Resource Manager (the tenant: its users, the app
 *      registrations, the subscription's owner), from seed.json;
 *   2. the workshop's resource group, and `infra/main.json` deployed into it
 *      with `infra/sandbox.parameters.json`: the same template a learner
 *      deploys to Azure, through the same Resource Manager as `az deployment
 *      group create`;
 *   3. the exercises' own apps (sandbox only: a learner's app runs on their
 *      machine), beside the steps' apps, with the same settings.
 *
 * It runs on a new state store, and at `npm run reset`, on a store emptied
 * first. A deployment is not one transaction (on Azure neither): a kill half
 * way leaves no marker, and the next start empties the store and provisions
 * again.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ArmResource } from "./arm/resourceType.ts";
import { guid } from "./arm/template/index.ts";
import type { ProviderContext } from "./provider.ts";

/** The template and its sandbox parameters, in the repository's infra/ folder. */
export const TEMPLATE_FILE = fileURLToPath(new URL("../../../infra/main.json", import.meta.url));
export const PARAMETERS_FILE = fileURLToPath(new URL("../../../infra/sandbox.parameters.json", import.meta.url));
/** The deployment's name in the sandbox's resource group. */
export const DEPLOYMENT_NAME = "keyless-sandbox";

const OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/** The marker a provisioned store holds: when, and from what. */
export interface Provisioned {
  readonly at: string;
  readonly from: string;
  /** The deployment's outputs: the names, URLs and ids the template says it made. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

const MARKER = "provisioned";

/** Whether this state store was provisioned already (a restart keeps what callers changed since). */
export function provisionedOf(context: Pick<ProviderContext, "state">): Provisioned | undefined {
  return context.state.collection<Provisioned>("sandbox").get(MARKER);
}

/** Writes the provisioned state, on an empty store. */
export async function provision(context: ProviderContext): Promise<Provisioned> {
  const { seed, directory, rbac, arm, scopes, running } = context;

  // 1. The tenant: whoever signs in as the developer owns the subscription (as the learner owns theirs on Azure).
  for (const user of seed.users) {
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
  arm.put(scopes.resourceGroup, { location: seed.subscription.location }, undefined);
  const parameters = JSON.parse(readFileSync(PARAMETERS_FILE, "utf8")) as { parameters: Record<string, unknown> };
  const step02 = directory.servicePrincipals.find((sp) => sp.appId === parameterValue(parameters, "step02ClientId"));
  const { deployment } = await running.resources.deployments.create(
    `${scopes.resourceGroup}/providers/Microsoft.Resources/deployments/${DEPLOYMENT_NAME}`,
    {
      properties: {
        mode: "Incremental",
        template: JSON.parse(readFileSync(TEMPLATE_FILE, "utf8")) as unknown,
        parameters: {
          ...parameters.parameters,
          // What a pipeline passes at deploy time: a secret from the directory, a URL that carries a port.
          step02ClientSecret: { value: step02?.secret ?? "" },
          aksOidcIssuerUrl: { value: running["managed-identity"].kubernetes.cluster.issuerUrl },
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
    throw new Error(`infra/main.json did not deploy into the sandbox: ${reason}`);
  }
  const outputs = Object.fromEntries(
    Object.entries(properties.outputs ?? {}).map(([name, output]) => [name, output.value]),
  );

  // 3. The exercises' apps: a site each, beside the step it exercises, with that step's settings and its own identity.
  context.state.transaction(() => {
    for (const app of seed.apps) {
      const siteId = `${scopes.resourceGroup}/providers/Microsoft.Web/sites/${app.name}`;
      if (arm.find(siteId)) continue;
      const step = arm.find(`${scopes.resourceGroup}/providers/Microsoft.Web/sites/keyless-step-${app.step}`);
      if (!step) throw new Error(`seed.json: the app ${app.name} exercises a step the template has no site for.`);
      exerciseSite(context, siteId, step, app.identity !== undefined, app.signsInAs);
    }
    context.state
      .collection<Provisioned>("sandbox")
      .put(MARKER, { at: new Date().toISOString(), from: "infra/main.json", outputs });
    // What provisioning wrote is the starting point, not a change a caller made.
    context.journal.clear();
  });
  return { at: new Date().toISOString(), from: "infra/main.json", outputs };
}

const parameterValue = (file: { parameters: Record<string, unknown> }, name: string) =>
  (file.parameters[name] as { value?: unknown } | undefined)?.value;

/** A learner's app: a site like the step's, its own identity (or its own service principal's secret), no role. */
function exerciseSite(
  context: ProviderContext,
  siteId: string,
  step: ArmResource,
  systemAssigned: boolean,
  signsInAs: string | undefined,
): void {
  const { arm, directory } = context;
  arm.put(
    siteId,
    {
      location: step.location ?? context.seed.subscription.location,
      ...(step.kind ? { kind: step.kind } : {}),
      tags: { "keyless-exercise": step.name },
      ...(systemAssigned ? { identity: { type: "SystemAssigned" } } : {}),
      properties: { serverFarmId: (step.properties as { serverFarmId?: string } | undefined)?.serverFarmId ?? "" },
    },
    undefined,
  );
  const settings = arm.invoke(`${step.id}/config/appsettings`, "list", undefined) as ArmResource;
  const servicePrincipal = signsInAs
    ? directory.servicePrincipals.find((sp) => sp.displayName === signsInAs)
    : undefined;
  const own = { ...(settings.properties as Record<string, string>) };
  if (servicePrincipal) {
    own["AZURE_CLIENT_ID"] = servicePrincipal.appId ?? "";
    own["AZURE_CLIENT_SECRET"] = servicePrincipal.secret;
  }
  arm.put(`${siteId}/config/appsettings`, { properties: own }, undefined);
}
