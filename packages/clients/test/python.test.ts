/**
 * The Azure SDK for Python, unchanged, against the sandbox: the SDK's own
 * samples (python/), run with an app's settings and nothing else, as a service
 * principal (step 02's app) and as a managed identity (step 04's app on App
 * Service). The audit log shows each sign-in and request as Azure's logs would.
 */
import { join } from "node:path";
import { vaultResourceOf, type AuditEvent, type HostName } from "@keyless/sandbox";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  PYTHON_SAMPLES,
  baseEnvironment,
  clientSuite,
  findPython,
  lastJson,
  resolves,
  run,
  startTestSandbox,
  withoutNodeSettings,
  type TestSandbox,
} from "../src/index.ts";

const python = findPython();
const vaultHost = "keyless-kv.vault.localhost";
const resolution = python.ok ? resolves(python.path, vaultHost) : python;

clientSuite(
  `the Azure SDK for Python${python.ok ? ` (azure-identity ${python.versions["azure-identity"]}, azure-keyvault-secrets ${python.versions["azure-keyvault-secrets"]}, azure-storage-queue ${python.versions["azure-storage-queue"]})` : ""}`,
  [python, resolution],
  () => {
    let test: TestSandbox;
    beforeAll(async () => {
      test = await startTestSandbox();
    });
    afterAll(() => test?.stop());

    const interpreter = () => (python.ok ? python.path : "python3");
    /** Runs one of the SDK's samples with an app's settings (and a queue URL) as its whole environment. */
    const sample = async (script: string, app: string, extra: Record<string, string> = {}, args: string[] = []) => {
      const { sandbox } = test;
      const env = {
        ...baseEnvironment(test.folder("home")),
        ...withoutNodeSettings(sandbox.siteEnvironment(app)),
        ...extra,
      };
      const after = sandbox.audit.list().at(-1)?.id ?? 0;
      const result = await run(interpreter(), [join(PYTHON_SAMPLES, script), ...args], env);
      return {
        result,
        answer: lastJson<{ ok: boolean; value?: string; content?: string; code?: string; message?: string }>(result),
        events: sandbox.audit.list({ after }),
      };
    };
    const queueUrl = () => test.sandbox.endpoints.queueUrl ?? "";
    const find = (events: AuditEvent[], category: AuditEvent["category"], resource?: string) =>
      events.find((event) => event.category === category && (resource === undefined || event.resource === resource));

    it("reads the vault's secret as a service principal (step 02's settings): the challenge names the vault's port, as Python's check wants", async () => {
      const { result, answer, events } = await sample("get_secret.py", "keyless-step-02");
      expect(answer, result.stderr).toMatchObject({
        ok: true,
        name: "third-party-api-key",
        value: test.sandbox.tenant.thirdParty.keys[0],
      });
      const sp = test.sandbox.directory.servicePrincipals.find(
        (candidate) => candidate.displayName === "keyless-app-sp",
      );
      const signIn = find(events, "ServicePrincipalSignInLogs");
      expect(signIn).toMatchObject({
        resultType: "Success",
        clientCredentialType: "clientSecret",
        resource: vaultResourceOf(test.sandbox.endpoints.keyVaultUrl),
        caller: { displayName: "keyless-app-sp", appId: sp?.appId },
      });
      expect(find(events, "AuditEvent", undefined)).toMatchObject({ operationName: "Authentication", statusCode: 401 });
      expect(events.find((event) => event.category === "AuditEvent" && event.statusCode === 200)).toMatchObject({
        operationName: "SecretGet",
        uniqueTokenIdentifier: signIn?.uniqueTokenIdentifier,
        authorization: { decision: "Allowed", roleDefinitionName: "Key Vault Secrets User" },
      });
    });

    it("sends a queue message as a service principal: refused until a role grants it, then sent", async () => {
      const { sandbox } = test;
      const refused = await sample("send_message.py", "keyless-step-02", { STORAGE_QUEUE_URL: queueUrl() }, [
        "python-sp-refused",
      ]);
      expect(refused.answer).toMatchObject({
        ok: false,
        error: "HttpResponseError",
        code: "AuthorizationPermissionMismatch",
      });
      expect(find(refused.events, "StorageQueueLogs")).toMatchObject({
        operationName: "PutMessage",
        statusCode: 403,
        authorization: { decision: "Denied" },
      });

      const sp = sandbox.directory.servicePrincipals.find((candidate) => candidate.displayName === "keyless-app-sp");
      sandbox.rbac.add(
        {
          principalId: sp?.objectId ?? "",
          role: "Storage Queue Data Message Sender",
          scope: sandbox.scopes.queue("code-requests"),
        },
        { immediately: true },
      );
      const sent = await sample("send_message.py", "keyless-step-02", { STORAGE_QUEUE_URL: queueUrl() }, [
        "python-sp-sent",
      ]);
      expect(sent.answer, sent.result.stderr).toMatchObject({ ok: true, content: "python-sp-sent" });
      expect(find(sent.events, "StorageQueueLogs")).toMatchObject({
        operationName: "PutMessage",
        statusCode: 201,
        caller: { displayName: "keyless-app-sp" },
        authorization: { decision: "Allowed", roleDefinitionName: "Storage Queue Data Message Sender" },
      });
      expect(await sandbox.queue.peekAll("code-requests")).toContain("python-sp-sent");
    });

    it("reads the secret and sends a message as a managed identity (step 04's App Service settings): no secret anywhere", async () => {
      const { sandbox } = test;
      const read = await sample("get_secret.py", "keyless-step-04");
      expect(read.answer, read.result.stderr).toMatchObject({
        ok: true,
        value: sandbox.tenant.thirdParty.keys[0],
      });
      expect(find(read.events, "ManagedIdentitySignInLogs")).toMatchObject({
        resultType: "Success",
        resource: vaultResourceOf(sandbox.endpoints.keyVaultUrl),
        caller: { displayName: "keyless-step-04", type: "ManagedIdentity" },
      });

      const sent = await sample("send_message.py", "keyless-step-04", {}, ["python-managed-identity"]);
      expect(sent.answer, sent.result.stderr).toMatchObject({ ok: true, content: "python-managed-identity" });
      expect(find(sent.events, "ManagedIdentitySignInLogs")).toMatchObject({
        resultType: "Success",
        resource: "https://storage.azure.com",
        caller: { displayName: "keyless-step-04" },
      });
      expect(find(sent.events, "StorageQueueLogs")).toMatchObject({
        operationName: "PutMessage",
        statusCode: 201,
        caller: { displayName: "keyless-step-04" },
      });
      expect(await sandbox.queue.peekAll("code-requests")).toContain("python-managed-identity");
    });

    // Every identity host: only the environment differs. On the VM, Python's ImdsCredential takes IMDS's address from
    // AZURE_POD_IDENTITY_AUTHORITY_HOST, as @azure/identity does; on AKS, the projected token file is the credential.
    it.each<HostName>(["container-apps", "vm", "aks"])(
      "reads the secret and sends a message as step 04's app on %s, with that host's environment alone",
      async (host) => {
        const { sandbox } = test;
        const env = {
          ...baseEnvironment(test.folder("home")),
          ...withoutNodeSettings(sandbox.siteEnvironment("keyless-step-04", host)),
        };
        const after = sandbox.audit.list().at(-1)?.id ?? 0;
        const read = await run(interpreter(), [join(PYTHON_SAMPLES, "get_secret.py")], env);
        expect(lastJson(read), read.stderr).toMatchObject({
          ok: true,
          value: sandbox.tenant.thirdParty.keys[0],
        });
        const sent = await run(interpreter(), [join(PYTHON_SAMPLES, "send_message.py"), `python-on-${host}`], env);
        expect(lastJson(sent), sent.stderr).toMatchObject({ ok: true, content: `python-on-${host}` });
        const signIns = sandbox.audit.list({ after, category: "ManagedIdentitySignInLogs" });
        expect(signIns.length).toBeGreaterThan(0);
        for (const signIn of signIns) {
          expect(signIn).toMatchObject({
            statusCode: 200,
            clientCredentialType: host === "aks" ? "federatedIdentityCredential" : "managedIdentity",
            caller: { displayName: "keyless-id-04" },
          });
        }
        expect(await sandbox.queue.peekAll("code-requests")).toContain(`python-on-${host}`);
      },
    );

    it("a wrong client secret fails with Entra ID's code, in Python's error as in the sign-in log", async () => {
      const { answer, events } = await sample("get_secret.py", "keyless-step-02", {
        AZURE_CLIENT_SECRET: "not-the-secret",
      });
      expect(answer).toMatchObject({
        ok: false,
        error: "ClientAuthenticationError",
        message: expect.stringContaining("AADSTS7000215"),
      });
      expect(find(events, "ServicePrincipalSignInLogs")).toMatchObject({
        resultType: "Failure",
        errorCode: "AADSTS7000215",
      });
    });
  },
);
