/**
 * App Service's part of the sandbox: its resource types (plans, sites and
 * their settings, identities, host keys; functions and their keys); the front ends that answer for every
 * site at `https://<site>.azurewebsites.localhost:<port>`, with each site's
 * deployment service (zip deployments, kept in the state store, the latest
 * run by the sandbox); and the scenario's third party, an Azure Function that
 * wants its key in `x-functions-key`, with the keys Azure Functions keeps.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { startThirdPartyApi, type RunningThirdPartyApi } from "@keyless/third-party-api";
import { closing, host } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { MANAGEMENT_AUDIENCES } from "../resources/audiences.ts";
import { createFrontDoor, frontDoorErrors, HOST_SUFFIX } from "./frontDoor.ts";
import { FunctionKeys } from "./functionKeys.ts";
import { SITE_TYPE, webTypes } from "./resourceTypes.ts";
import { KUDU_FAILED, KUDU_SUCCESS, type SiteDeployment, SiteDeployments } from "./siteDeployments.ts";
import { PackageError, SiteRunner, unpack } from "./siteRunner.ts";
import { functionTypes } from "./functionTypes.ts";
import { THIRD_PARTY_APP, THIRD_PARTY_FUNCTION } from "./thirdParty.ts";

export interface WebRunning extends RunningProvider {
  readonly api: RunningThirdPartyApi;
  readonly functionKeys: FunctionKeys;
  /** Where a site answers: `<name>.azurewebsites.localhost:<port>`. */
  hostNameOf(site: string): string;
  /**
   * Where a site's code runs when something else than a deployment runs it (`npm start` runs the steps' apps
   * as their sites' code); undefined when it stops. A deployment's code takes its place.
   */
  setBackend(site: string, port: number | undefined): void;
  /** Every zip deployment of a site, newest first. */
  deploymentsOf(site: string): SiteDeployment[];
  /** What a site's deployed code printed. */
  logOf(site: string): string;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly web: WebRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<WebRunning> {
    const { arm, resourceStore } = context;
    const tls = { cert: context.certificates.certPem, key: context.certificates.keyPem };
    const api = await startThirdPartyApi({
      keys: context.tenant.thirdParty.keys,
      port: context.ports.thirdParty,
      tls,
      hostName: `${THIRD_PARTY_APP}.${HOST_SUFFIX}`,
    });
    const functionKeys = new FunctionKeys({ function: api, state: context.state, journal: context.journal });
    const deployments = new SiteDeployments(context.state, context.journal);
    const runner = new SiteRunner({
      root: join(context.stateDir, "sites"),
      environmentOf: (site) => context.siteEnvironment(site),
      onEvent: (text) => context.onEvent(text),
    });
    const backends = new Map<string, number>();
    /** A site runs its latest deployment that started, if it has one. */
    async function runLatest(site: string): Promise<void> {
      const latest = deployments.latest(site);
      const zip = latest ? deployments.packageOf(latest.id) : undefined;
      if (!latest || !zip) return runner.stop(site);
      await runner
        .run(site, latest.id, zip)
        .catch((error: unknown) =>
          context.onEvent(
            `${site} did not start its deployed code: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
          ),
        );
    }
    const siteNamed = (name: string) => {
      const found = resourceStore.ofType(SITE_TYPE).find((site) => site.name.toLowerCase() === name.toLowerCase());
      return found ? { id: found.id, name: found.name } : undefined;
    };

    const frontDoor = await host(
      createFrontDoor({
        site: siteNamed,
        backendOf: (site) => runner.portOf(site) ?? backends.get(site.toLowerCase()),
        basicAuthAllowed: (siteId) =>
          (
            resourceStore.get(`${siteId}/basicPublishingCredentialsPolicies/scm`)?.properties as
              | { allow?: boolean }
              | undefined
          )?.allow !== false,
        tokens: context.tokens.validator(),
        audiences: MANAGEMENT_AUDIENCES,
        rbac: context.rbac,
        audit: context.audit,
        deploy: async (site, zip, deployer) => {
          const who = {
            name: context.directory.describe(deployer.objectId)?.displayName ?? deployer.objectId,
            objectId: deployer.objectId,
          };
          const id = randomUUID().replaceAll("-", "");
          try {
            unpack(zip);
          } catch (error) {
            // A package App Service cannot take changes nothing: the site keeps what it runs.
            if (!(error instanceof PackageError)) throw error;
            return {
              status: KUDU_FAILED,
              status_text: "Failed",
              message: error.message,
              complete: true,
              active: false,
            };
          }
          // Kept with its package, then run: acknowledged once kept, it runs again after a restart.
          const outcome = deployments.record(
            id,
            site.name,
            zip,
            { status: KUDU_SUCCESS, statusText: "Success", message: "Deployed from a zip package." },
            who,
          );
          await runLatest(site.name);
          context.audit.record({
            category: "AzureActivity",
            operationName: "Microsoft.Web/sites/publish/Action",
            resultType: "Success",
            statusCode: 200,
            caller: { objectId: deployer.objectId, ...(deployer.appId ? { appId: deployer.appId } : {}) },
            resource: site.id,
            properties: { activityCategory: "Administrative", deploymentId: outcome.id, deployer: who.name },
          });
          return kuduStatus(outcome, `https://${site.name}.scm.${HOST_SUFFIX}:${frontDoor.port}`);
        },
        deployments: (site) => deployments.list(site).map((deployment) => kuduStatus(deployment, "")),
      }),
      { name: "App Service front ends", errors: frontDoorErrors, tls, port: context.ports.web ?? 0 },
    );

    const hostNameOf = (site: string) =>
      site.toLowerCase() === THIRD_PARTY_APP
        ? `${THIRD_PARTY_APP}.${HOST_SUFFIX}:${api.port}`
        : `${site.toLowerCase()}.${HOST_SUFFIX}:${frontDoor.port}`;
    arm.register(
      ...webTypes({
        resources: resourceStore,
        directory: context.directory,
        tenantId: context.tenant.tenant.id,
        hostNameOf,
        thirdParty: { name: THIRD_PARTY_APP, keys: functionKeys, issued: context.tenant.thirdParty.keys },
      }),
      ...functionTypes({
        resources: context.resourceStore,
        thirdParty: { name: THIRD_PARTY_APP, functionName: THIRD_PARTY_FUNCTION, keys: functionKeys },
        hostNameOf,
      }),
    );

    let stopped = false;
    /** Each site runs its latest deployment again (after a restart, or a reset that took them away). */
    const runDeployed = async () => {
      await runner.stopAll();
      for (const site of resourceStore.ofType(SITE_TYPE)) {
        // The sandbox may stop while a site starts: its state is closed then, and nothing more is started.
        if (stopped) return;
        const latest = deployments.latest(site.name);
        const zip = latest ? deployments.packageOf(latest.id) : undefined;
        if (latest && zip)
          await runner
            .run(site.name, latest.id, zip)
            .catch((error: unknown) =>
              context.onEvent(
                `${site.name} did not start its deployed code: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
              ),
            );
      }
    };
    // The sites' settings are written by provisioning, after every provider started: run them once it is done.
    const first = setImmediate(() => void (stopped || runDeployed()));
    return {
      api,
      functionKeys,
      hostNameOf,
      setBackend: (site, port) => {
        if (port === undefined) backends.delete(site.toLowerCase());
        else backends.set(site.toLowerCase(), port);
      },
      deploymentsOf: (site) => deployments.list(site),
      logOf: (site) => runner.logOf(site),
      reload: async () => {
        functionKeys.reload();
        api.setFault(null);
        await api.start();
        await runDeployed();
      },
      stop: async () => {
        stopped = true;
        clearImmediate(first);
        await runner.stopAll();
        await Promise.all([api.stop(), closing(frontDoor)()]);
      },
    };
  },
};

/** A deployment as Kudu's `/api/deployments` shows it. */
function kuduStatus(deployment: SiteDeployment, scm: string) {
  return {
    id: deployment.id,
    status: deployment.status,
    status_text: deployment.statusText,
    author: deployment.deployer,
    deployer: deployment.deployer,
    message: deployment.message,
    progress: "",
    received_time: deployment.receivedTime,
    start_time: deployment.receivedTime,
    end_time: deployment.endTime,
    last_success_end_time: deployment.status === KUDU_SUCCESS ? deployment.endTime : null,
    complete: true,
    active: deployment.status === KUDU_SUCCESS,
    is_temp: false,
    is_readonly: false,
    url: scm ? `${scm}/api/deployments/${deployment.id}` : null,
    site_name: deployment.site,
  };
}
