/**
 * Where an app with a managed identity can run, and how each host hands it its
 * identity: only the environment differs, never the code. `npm start -- 03
 * --host 03=aks` runs step 03 on that host.
 *
 * | host             | how DefaultAzureCredential gets a token                                         |
 * |------------------|----------------------------------------------------------------------------------|
 * | `app-service`    | ManagedIdentityCredential: IDENTITY_ENDPOINT + IDENTITY_HEADER (system-assigned) |
 * | `functions`      | the same: Azure Functions runs on App Service's platform                        |
 * | `container-apps` | ManagedIdentityCredential: the same protocol, a user-assigned identity by AZURE_CLIENT_ID |
 * | `vm`             | ManagedIdentityCredential: IMDS, a user-assigned identity by AZURE_CLIENT_ID     |
 * | `aks`            | WorkloadIdentityCredential: the cluster's token file, exchanged at Entra ID      |
 */
import type { Directory } from "../entra/directory.ts";
import type { Tenant } from "../../tenant.ts";

export const HOSTS = ["app-service", "functions", "container-apps", "vm", "aks"] as const;
export type HostName = (typeof HOSTS)[number];

/** Each host in the learner's words. */
export const HOST_TITLES: Readonly<Record<HostName, string>> = {
  "app-service": "Azure App Service",
  functions: "Azure Functions",
  "container-apps": "Azure Container Apps",
  vm: "an Azure virtual machine (IMDS)",
  aks: "Azure Kubernetes Service (workload identity)",
};

export const isHost = (name: string): name is HostName => (HOSTS as readonly string[]).includes(name);

/** What the hosts' services serve, once they run. */
export interface HostEndpoints {
  /** App Service's (and Functions') IDENTITY_ENDPOINT. */
  readonly appService: string;
  /** Container Apps' IDENTITY_ENDPOINT, and each container app's IDENTITY_HEADER. */
  readonly containerApps: { readonly endpoint: string; headerOf(app: string): string };
  /** The VM's IMDS address: what replaces http://169.254.169.254. */
  readonly imds: string;
  /** The AKS cluster: each app's projected service-account token file. */
  readonly aks: { tokenFile(app: string): string };
  /** Microsoft Entra ID (AZURE_AUTHORITY_HOST). */
  readonly authorityHost: string;
}

/** An app cannot run on this host: it has no identity that host could give it. */
export class HostNotAvailableError extends Error {
  override name = "HostNotAvailableError";
}

/**
 * The variables through which a host gives an app its identity: what the
 * platform sets, plus AZURE_CLIENT_ID where the app's author must name a
 * user-assigned identity. `undefined` for an app without a managed identity.
 */
export function identityEnvironment(
  host: HostName,
  app: string,
  { tenant, directory, endpoints }: { tenant: Tenant; directory: Directory; endpoints: HostEndpoints },
): Record<string, string> | undefined {
  const systemAssigned = directory.apps.get(app);
  if (!systemAssigned) return undefined;
  if (host === "app-service" || host === "functions") {
    // App Service sets these when the app's managed identity is on (Functions too: the same platform).
    return { IDENTITY_ENDPOINT: endpoints.appService, IDENTITY_HEADER: systemAssigned.identityHeader };
  }
  const [userAssigned] = directory.userAssignedOf(app);
  if (!userAssigned)
    throw new HostNotAvailableError(
      `${app} has no user-assigned identity, which ${HOST_TITLES[host]} needs here (its site's identity.userAssignedIdentities, in infra/main.json).`,
    );
  if (host === "container-apps") {
    // Container Apps sets the first three; AZURE_CLIENT_ID is the app's own setting (the identity it uses).
    const endpoint = endpoints.containerApps.endpoint;
    return {
      IDENTITY_ENDPOINT: endpoint,
      MSI_ENDPOINT: endpoint,
      IDENTITY_HEADER: endpoints.containerApps.headerOf(app),
      AZURE_CLIENT_ID: userAssigned.appId,
    };
  }
  if (host === "vm") {
    // Sandbox only: on a VM the SDKs call IMDS at 169.254.169.254 by default. AZURE_CLIENT_ID: which of the VM's identities.
    return { AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoints.imds, AZURE_CLIENT_ID: userAssigned.appId };
  }
  // AKS's workload identity webhook sets all four, from the service account's azure.workload.identity/client-id annotation.
  return {
    AZURE_CLIENT_ID: userAssigned.appId,
    // The tenant alias the SDK trusts offline; on AKS, the directory's GUID.
    AZURE_TENANT_ID: tenant.tenant.alias,
    AZURE_FEDERATED_TOKEN_FILE: endpoints.aks.tokenFile(app),
    AZURE_AUTHORITY_HOST: endpoints.authorityHost,
  };
}
