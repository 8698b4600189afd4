/**
 * Same code, other hosts: step 03, unchanged, passes the contract every step
 * keeps on each host that hands an app its identity differently from App
 * Service (contract.test.ts runs it there). Only the environment differs; the
 * sign-in logs show that each host's own way was used.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractTargetInSandbox, describeStepContract } from "@keyless/contract-tests";
import { HOST_TITLES, startSandbox, type HostName, type Sandbox } from "@keyless/sandbox";
import { afterAll, describe, expect, it } from "vitest";

const dir = new URL("..", import.meta.url);
/** One sandbox for every host: the step runs on each in turn. */
let started: Promise<Sandbox> | undefined;
const sandbox = () =>
  (started ??= startSandbox({ stateDir: mkdtempSync(join(tmpdir(), "keyless-03-hosts-")), queue: false }));
afterAll(async () => (await started)?.stop());

/** App Service's protocol with a user-assigned identity; IMDS; workload identity. */
const OTHER_HOSTS: readonly HostName[] = ["container-apps", "vm", "aks"];

for (const host of OTHER_HOSTS) {
  describeStepContract(`step 03 (managed identity) on ${HOST_TITLES[host]}`, async () => {
    const running = await sandbox();
    // The sandbox stays for the next host: only the step stops.
    return contractTargetInSandbox({
      sandbox: {
        thirdParty: running.thirdParty,
        sites: () => running.sites(),
        siteEnvironment: (site) => running.siteEnvironment(site, host),
        stop: async () => {},
      },
      step: "03",
      dir,
    });
  });
}

describe("step 03 on every host: each host's own way in, and nothing else", () => {
  it("got its tokens from Container Apps' endpoint, the VM's IMDS and Entra ID's federated exchange, as keyless-id-03", async () => {
    const signIns = (await sandbox()).audit
      .list({ caller: "keyless-id-03" })
      .filter((event) => event.category.endsWith("SignInLogs") && event.statusCode === 200);
    const ways = [
      ...new Set(signIns.map((event) => `${event.category} ${event.clientCredentialType} ${event.requestUri}`)),
    ].sort();
    expect(ways).toEqual([
      // AKS: the projected token, exchanged at Entra ID's token endpoint (the tenant alias's path).
      expect.stringMatching(/^ManagedIdentitySignInLogs federatedIdentityCredential \/adfs\/oauth2\/(v2\.0\/)?token$/),
      // The VM: IMDS.
      expect.stringMatching(/^ManagedIdentitySignInLogs managedIdentity \/metadata\/identity\/oauth2\/token\/?$/),
      // Container Apps: its identity endpoint.
      "ManagedIdentitySignInLogs managedIdentity /msi/token",
    ]);
  });

  it("runs on Functions with App Service's environment: the same platform", async () => {
    const running = await sandbox();
    expect(running.siteEnvironment("keyless-step-03", "functions")).toEqual(
      running.siteEnvironment("keyless-step-03", "app-service"),
    );
  });
});
