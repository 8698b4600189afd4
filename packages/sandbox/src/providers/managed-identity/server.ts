/**
 * The hosts' identity endpoints: how App Service (and Functions), Container
 * Apps, a virtual machine (IMDS) and an AKS cluster (workload identity) each
 * hand an app the token of its managed identity. Only the environment differs
 * between them, never the app's code (hosts.ts).
 */
import { closing, host, interruptible, type Interruptible } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import type { Directory } from "../entra/directory.ts";
import { createManagedIdentityEndpoint, managedIdentityErrors } from "./appService.ts";
import { containerAppsIdentityErrors, createContainerAppsIdentityEndpoint } from "./containerApps.ts";
import { IMDS_TOKEN_PATH, createImdsEndpoint, imdsErrors } from "./imds.ts";
import { KubernetesCluster, ProjectedTokens, clusterIssuerErrors } from "./kubernetes.ts";
import { managedIdentityTypes } from "./resourceTypes.ts";

export interface ManagedIdentityRunning extends RunningProvider {
  /** App Service's (and Functions') IDENTITY_ENDPOINT: plain HTTP on the app's own machine, as on Azure. */
  readonly appService: { readonly endpoint: string } & Interruptible;
  /** Container Apps' IDENTITY_ENDPOINT, and each container app's IDENTITY_HEADER. */
  readonly containerApps: { readonly endpoint: string; headerOf(app: string): string };
  /** The VM's Instance Metadata Service: what replaces http://169.254.169.254. */
  readonly imds: { readonly vm: string; readonly address: string; readonly endpoint: string };
  /** The AKS cluster's OIDC issuer, and the service-account tokens it projects into the apps' pods. */
  readonly kubernetes: { readonly cluster: KubernetesCluster; tokenFile(app: string): string };
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly "managed-identity": ManagedIdentityRunning;
  }
}

/** The apps that can run on the other hosts: those whose site has a user-assigned identity attached, to sign in as. */
const appsWithUserAssignedIdentities = (directory: Directory) =>
  [...directory.apps.keys()].filter((app) => directory.userAssignedOf(app).length > 0);

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<ManagedIdentityRunning> {
    const { tenant } = context;
    context.arm.register(
      ...managedIdentityTypes({
        resources: context.resourceStore,
        directory: context.directory,
        tenantId: tenant.tenant.id,
      }),
    );
    const identity = {
      issuer: context.tokens,
      directory: context.directory,
      resources: context.resources,
      audit: context.audit,
    };

    const appService = await host(createManagedIdentityEndpoint(identity), {
      name: "Managed identity endpoint",
      errors: managedIdentityErrors,
      port: context.ports.identity,
    });

    // App Service's protocol, each container app with its own header and its user-assigned identities.
    const containerAppsEndpoint = createContainerAppsIdentityEndpoint({
      ...identity,
      apps: () => appsWithUserAssignedIdentities(context.directory),
    });
    const containerApps = await host(containerAppsEndpoint.app, {
      name: "Container Apps identity endpoint",
      errors: containerAppsIdentityErrors,
      port: context.ports.containerApps ?? 0,
    });

    // A VM's IMDS: tokens for the VM's identities, to any process on it that sends `Metadata: true`.
    const vm = tenant.hosts.virtualMachine;
    const imds = await host(createImdsEndpoint({ ...identity, vm }), {
      name: "IMDS",
      errors: imdsErrors,
      port: context.ports.imds ?? 0,
    });
    const imdsAddress = `http://127.0.0.1:${imds.port}`;

    // AKS: the cluster's OIDC issuer signs the service-account tokens that apps exchange at Entra ID.
    const cluster = new KubernetesCluster({ ...tenant.hosts.kubernetesCluster, tenantId: tenant.tenant.id });
    const issuer = await host(cluster.issuerApp(), {
      name: "AKS OIDC issuer",
      errors: clusterIssuerErrors,
      tls: { cert: context.certificates.certPem, key: context.certificates.keyPem },
      port: context.ports.cluster ?? 0,
    });
    cluster.listensAt(`https://localhost:${issuer.port}`);
    const projected = new ProjectedTokens(cluster, context.stateDir);

    return {
      appService: { endpoint: `http://127.0.0.1:${appService.port}/msi/token`, ...interruptible(appService) },
      containerApps: {
        endpoint: `http://127.0.0.1:${containerApps.port}/msi/token`,
        headerOf: containerAppsEndpoint.headerOf,
      },
      imds: { vm: vm.name, address: imdsAddress, endpoint: `${imdsAddress}${IMDS_TOKEN_PATH}` },
      kubernetes: { cluster, tokenFile: (app) => projected.fileFor(app) },
      stop: async () => {
        projected.stop();
        await closing(appService, containerApps, imds, issuer)();
      },
    };
  },
};
