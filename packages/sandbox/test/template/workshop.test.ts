/**
 * End to end: the workshop's kind of template (a vault with RBAC and a secret
 * read from the third party's function keys, a storage account with a queue,
 * a Linux plan, the third party's function app, four apps with identities,
 * role assignments on the vault and on the queue, outputs) validated,
 * what-if'd, deployed and what-if'd again against the fake host.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deploy, guid, uniqueString, validate, whatIf } from "../../src/arm/template/index.ts";
import { createFakeHost, FUNCTION_KEY, GROUP_ID } from "./fakeHost.ts";
import { allStrings } from "./helpers.ts";

const TEMPLATE = readFileSync(new URL("./fixtures/workshop.json", import.meta.url), "utf8");
const STEP_ONE_KEY = "step-one-key-in-settings-9f3c";
const parameters = { stepOneApiKey: { value: STEP_ONE_KEY } };
const SECRETS = [FUNCTION_KEY, STEP_ONE_KEY, "mk-secret-master-key-1234"];

const suffix = uniqueString([GROUP_ID]).slice(0, 6);
const vaultId = `${GROUP_ID}/providers/Microsoft.KeyVault/vaults/keyless-kv-${suffix}`;
const queueId = `${GROUP_ID}/providers/Microsoft.Storage/storageAccounts/keylessst${suffix}/queueServices/default/queues/code-requests`;
const appId = (step: string) => `${GROUP_ID}/providers/Microsoft.Web/sites/keyless-${step}-${suffix}`;
const KEY_VAULT_SECRETS_USER =
  "/subscriptions/00000000-0000-0000-0000-0000000000aa/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6";
const QUEUE_CONTRIBUTOR =
  "/subscriptions/00000000-0000-0000-0000-0000000000aa/providers/Microsoft.Authorization/roleDefinitions/974c5e8b-45b9-4653-ba55-5f855dd0fb88";

const expectNoSecret = (value: unknown) => {
  for (const text of allStrings(value)) for (const secret of SECRETS) expect(text).not.toContain(secret);
};

describe("the workshop's template, end to end", () => {
  it("validates: every resource, its id, and what it waits for", () => {
    const host = createFakeHost();
    const answer = validate({ template: TEMPLATE, parameters }, host);
    const ids = (answer["properties"] as { validatedResources: { id: string }[] }).validatedResources.map(
      (resource) => resource.id,
    );
    expect(ids).toHaveLength(15);
    expect(ids).toContain(
      `${vaultId}/providers/Microsoft.Authorization/roleAssignments/${guid([vaultId, appId("02-key-vault"), KEY_VAULT_SECRETS_USER])}`,
    );
    expect(ids).toContain(
      `${queueId}/providers/Microsoft.Authorization/roleAssignments/${guid([queueId, appId("04-queue"), QUEUE_CONTRIBUTOR])}`,
    );
    expectNoSecret(answer);
    expect(host.calls).toEqual([]);
  });

  it("what-if before anything exists: everything to create, values read from resources not yet there left as expressions", async () => {
    const host = createFakeHost();
    const result = await whatIf({ template: TEMPLATE, parameters }, host);
    expect(result.status).toBe("Succeeded");
    const changes = result.properties.changes;
    expect(changes.map((change) => change.changeType)).toEqual(Array(15).fill("Create"));
    const api = changes.find((change) => change.resourceId === appId("02-key-vault"));
    expect(api?.after).toMatchObject({
      apiVersion: "2023-12-01",
      identity: { type: "SystemAssigned" },
      properties: {
        siteConfig: {
          appSettings: [
            { name: "STEP", value: "02-key-vault" },
            {
              name: "KEY_VAULT_URL",
              value: "[reference(resourceId('Microsoft.KeyVault/vaults', variables('vaultName'))).vaultUri]",
            },
            expect.anything(),
            expect.anything(),
            { name: "THIRD_PARTY_API_KEY", value: "" },
          ],
        },
      },
    });
    expectNoSecret(result);
    expect(host.calls.filter((call) => call.startsWith("put") || call.startsWith("invoke"))).toEqual([]);
  });

  it("deploys in dependency order, the secret from the function keys, and answers no secret", async () => {
    const host = createFakeHost();
    const { deployment, operations } = await deploy({ template: TEMPLATE, parameters }, host);
    expect(deployment["properties"]).toMatchObject({ provisioningState: "Succeeded" });
    expect(operations).toHaveLength(15);
    const order = host.puts.map((put) => put.type.split("/").slice(1).join("/"));
    const first = (type: string) => order.indexOf(type);
    expect(first("vaults")).toBeLessThan(first("vaults/secrets"));
    expect(first("sites")).toBeLessThan(first("vaults/secrets"));
    expect(first("serverfarms")).toBeLessThan(first("sites"));
    expect(order.lastIndexOf("sites")).toBeLessThan(first("roleAssignments"));

    // The host (and only the host) receives the secret's value.
    const secret = host.puts.find((put) => put.type === "Microsoft.KeyVault/vaults/secrets");
    expect(secret?.body).toEqual({ properties: { value: FUNCTION_KEY } });

    const api = host.puts.find((put) => put.id === appId("04-queue"));
    expect(api?.body["properties"]).toMatchObject({
      siteConfig: {
        appSettings: [
          { name: "STEP", value: "04-queue" },
          { name: "KEY_VAULT_URL", value: `https://keyless-kv-${suffix}.vault.localhost/` },
          {
            name: "THIRD_PARTY_API_ENDPOINT",
            value: `https://keyless-third-party-${suffix}.azurewebsites.localhost/api/getvalue`,
          },
          { name: "STORAGE_QUEUE_URL", value: `https://keylessst${suffix}.queue.localhost/code-requests` },
          { name: "THIRD_PARTY_API_KEY", value: "" },
        ],
      },
    });
    const assignment = host.puts.find((put) =>
      put.id.startsWith(`${queueId}/providers/Microsoft.Authorization/roleAssignments/`),
    );
    const identity = host.resources.get(appId("04-queue").toLowerCase())?.["identity"] as
      | { principalId: string }
      | undefined;
    const principal = identity?.principalId;
    expect(assignment?.body["properties"]).toEqual({
      roleDefinitionId: QUEUE_CONTRIBUTOR,
      principalId: principal,
      principalType: "ServicePrincipal",
    });

    expect((deployment["properties"] as { outputs: unknown }).outputs).toEqual({
      keyVaultUrl: { type: "String", value: `https://keyless-kv-${suffix}.vault.localhost/` },
      storageQueueUrl: { type: "String", value: `https://keylessst${suffix}.queue.localhost/code-requests` },
      appNames: {
        type: "Array",
        value: ["01-keys-in-code", "02-key-vault", "03-managed-identity", "04-queue"].map(
          (step) => `keyless-${step}-${suffix}`,
        ),
      },
      thirdPartyKey: { type: "SecureString" },
    });
    expectNoSecret(deployment);
    expectNoSecret(operations);
  });

  it("what-if after deploying the same template: no change at all", async () => {
    const host = createFakeHost();
    await deploy({ template: TEMPLATE, parameters }, host);
    const result = await whatIf({ template: TEMPLATE, parameters }, host);
    expect(result.properties.changes.map((change) => change.changeType)).toEqual(Array(15).fill("NoChange"));
    expectNoSecret(result);
  });

  it("what-if after a parameter changes: the apps to modify, with the property that changes", async () => {
    const host = createFakeHost();
    await deploy({ template: TEMPLATE, parameters }, host);
    const result = await whatIf(
      { template: TEMPLATE, parameters: { ...parameters, nodeVersion: { value: "NODE|22-lts" } } },
      host,
    );
    const modified = result.properties.changes.filter((change) => change.changeType === "Modify");
    expect(modified.map((change) => change.resourceId)).toHaveLength(5);
    expect(modified[0]?.delta).toEqual([
      {
        path: "properties.siteConfig.linuxFxVersion",
        propertyChangeType: "Modify",
        before: "NODE|24-lts",
        after: "NODE|22-lts",
      },
    ]);
  });
});
