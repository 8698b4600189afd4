/**
 * The real Azure CLI, unchanged, through the keyless deploy's whole set-up
 * against the sandbox: the cloud read from Resource Manager's metadata
 * (ARM_CLOUD_METADATA_URL, which names Microsoft Graph), the deployer's app
 * registration, service principal and federated credential made through
 * Graph as the learner, then `az login --service-principal --federated-token`
 * with a GitHub job's token, as azure/login runs it: no secret anywhere.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { MANAGEMENT_RESOURCE } from "@keyless/sandbox";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  azEnvironment,
  clientSuite,
  findAzureCli,
  run,
  seedCommandIndex,
  startTestSandbox,
  type TestSandbox,
} from "../src/index.ts";

const cli = findAzureCli();
/** The cloud the sandbox's metadata names. */
const CLOUD = "KeylessSandbox";
const REPOSITORY = "octo-learner/keyless";

clientSuite(
  `the Azure CLI${cli.ok ? ` ${cli.version}` : ""}, deploying with workload identity federation`,
  [cli],
  () => {
    let test: TestSandbox;
    let config = "";
    let app = { id: "", appId: "" };
    beforeAll(async () => {
      test = await startTestSandbox();
      config = seedCommandIndex(cli, test.folder("azure-config-federation"));
      // This process asks GitHub's provider for the job's token, as a runner would: it trusts the sandbox's CA.
      tls.setDefaultCACertificates([...tls.getCACertificates("default"), test.sandbox.certificates.caPem]);
    });
    afterAll(() => test?.stop());

    const env = () =>
      azEnvironment(config, {
        REQUESTS_CA_BUNDLE: test.sandbox.endpoints.caBundle,
        // The metadata is read with Python's own urllib, which trusts what OpenSSL reads: SSL_CERT_FILE.
        SSL_CERT_FILE: test.sandbox.endpoints.caBundle,
        ARM_CLOUD_METADATA_URL: `${test.sandbox.endpoints.resourceManager}/metadata/endpoints?api-version=2022-09-01`,
      });
    const az = async (...args: string[]) => run(cli.ok ? cli.path : "az", [...args, "--output", "json"], env());
    const expectOk = (result: { code: number; stderr: string }) => expect(result.code, result.stderr).toBe(0);

    /** A GitHub job's token, as azure/login gets it from the sandbox's GitHub provider. */
    async function jobToken(run: Record<string, string> = {}): Promise<string> {
      const { runner } = test.sandbox.endpoints.github;
      const registered = await fetch(`${runner.url}/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-keyless-runner-key": runner.key },
        body: JSON.stringify({
          repository: REPOSITORY,
          ref: "refs/heads/main",
          sha: "0123456789abcdef0123456789abcdef01234567",
          eventName: "push",
          workflow: "Deploy",
          workflowPath: ".github/workflows/deploy.yml",
          actor: "octo-learner",
          runId: "1",
          ...run,
        }),
      });
      const job = (await registered.json()) as { requestUrl: string; requestToken: string };
      const answer = await fetch(`${job.requestUrl}&audience=api%3A%2F%2FAzureADTokenExchange`, {
        headers: { authorization: `Bearer ${job.requestToken}` },
      });
      return ((await answer.json()) as { value: string }).value;
    }

    it("the cloud read from ARM_CLOUD_METADATA_URL names Microsoft Graph: the sandbox's microsoftGraphResourceId", async () => {
      expectOk(await az("cloud", "set", "--name", CLOUD));
      const show = await az("cloud", "show");
      expectOk(show);
      expect(JSON.parse(show.stdout)).toMatchObject({
        name: CLOUD,
        endpoints: {
          microsoftGraphResourceId: `${test.sandbox.endpoints.graph}/`,
          resourceManager: `${test.sandbox.endpoints.resourceManager}/`,
          activeDirectoryResourceId: `${MANAGEMENT_RESOURCE}/`,
        },
      });
    });

    it("as the learner: az ad app create, az ad sp create and az ad app federated-credential create, through Graph", async () => {
      const learner = test.sandbox.tenant.users[0];
      expectOk(
        await az("login", "--username", learner?.userPrincipalName ?? "", "--password", learner?.password ?? ""),
      );
      const created = await az("ad", "app", "create", "--display-name", "keyless-deployer");
      expectOk(created);
      app = JSON.parse(created.stdout) as typeof app;
      expect(app).toMatchObject({ displayName: "keyless-deployer", passwordCredentials: [] });
      expectOk(await az("ad", "sp", "create", "--id", app.appId));
      const parameters = join(config, "credential.json");
      writeFileSync(
        parameters,
        JSON.stringify({
          name: "github-main",
          issuer: test.sandbox.endpoints.github.issuer,
          subject: `repo:${REPOSITORY}:ref:refs/heads/main`,
          audiences: ["api://AzureADTokenExchange"],
        }),
      );
      const credential = await az(
        "ad",
        "app",
        "federated-credential",
        "create",
        "--id",
        app.appId,
        "--parameters",
        parameters,
      );
      expectOk(credential);
      expect(JSON.parse(credential.stdout)).toMatchObject({
        name: "github-main",
        subject: `repo:${REPOSITORY}:ref:refs/heads/main`,
      });
      const listed = await az("ad", "app", "federated-credential", "list", "--id", app.appId);
      expect((JSON.parse(listed.stdout) as { name: string }[]).map((entry) => entry.name)).toEqual(["github-main"]);
    });

    it("az login --service-principal --federated-token: the deployer signs in with a GitHub job's token, and a pull request's is refused", async () => {
      const principal = test.sandbox.directory.registrations.servicePrincipalOf(app.appId);
      test.sandbox.rbac.add(
        {
          principalId: principal?.objectId ?? "",
          role: "Website Contributor",
          scope: test.sandbox.scopes.resourceGroup,
        },
        { immediately: true },
      );
      const { tenant, subscription } = test.sandbox.tenant;
      const login = (token: string) =>
        az("login", "--service-principal", "--username", app.appId, "--tenant", tenant.id, "--federated-token", token);

      const refused = await login(await jobToken({ eventName: "pull_request", ref: "refs/pull/1/merge" }));
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(
        `AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:${REPOSITORY}:pull_request'`,
      );

      const after = test.sandbox.audit.list().at(-1)?.id ?? 0;
      const signedIn = await login(await jobToken());
      expectOk(signedIn);
      expect(JSON.parse(signedIn.stdout)).toEqual([
        expect.objectContaining({ id: subscription.id, user: { name: app.appId, type: "servicePrincipal" } }),
      ]);
      expect(test.sandbox.audit.list({ after, category: "ServicePrincipalSignInLogs" })).toContainEqual(
        expect.objectContaining({
          resultType: "Success",
          clientCredentialType: "federatedIdentityCredential",
          caller: expect.objectContaining({ appId: app.appId, displayName: "keyless-deployer" }),
        }),
      );
      expectOk(await az("account", "set", "--subscription", subscription.id));
    });
  },
);
