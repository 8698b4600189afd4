/**
 * The sandbox's world comes from two places: tenant.json (what lives outside
 * Resource Manager, checked when read) and the deployment it names. The
 * sandbox knows no step number: a site says which code it runs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CODE_TAG } from "../src/deployment.ts";
import { loadTenant, parseTenant, TenantFileError } from "../src/tenant.ts";
import { startTestSandbox, type TestSandbox } from "./helpers.ts";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));
const tenantFile = () =>
  JSON.parse(readFileSync(new URL("../tenant.json", import.meta.url), "utf8")) as Record<string, unknown>;

/** Every source file of the sandbox, as paths under src/. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : /\.(ts|mts|mjs|js)$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

describe("the sandbox's sources", () => {
  it("name no step number: no '01' to '05' literal, no site name built from one in a template literal", () => {
    const found = sources().flatMap((file) => {
      const text = readFileSync(file, "utf8");
      const literals = [...text.matchAll(/(["'`])0[1-5]\1|`[^`\n]*keyless-step-0?\$\{/g)].map((match) => match[0]);
      return literals.map((literal) => `${relative(SRC, file)}: ${literal}`);
    });
    expect(found).toEqual([]);
  });
});

describe("tenant.json", () => {
  it("holds only what lives outside Resource Manager", () => {
    expect(
      Object.keys(tenantFile())
        .filter((key) => !key.startsWith("$"))
        .sort(),
    ).toEqual(["apps", "deployment", "hosts", "servicePrincipals", "subscription", "tenant", "thirdParty", "users"]);
    const tenant = loadTenant();
    expect(tenant.deployment).toMatchObject({
      template: "infra/main.json",
      parameters: "infra/sandbox.parameters.json",
    });
    // What the template says the deployer passes at deploy time, tenant.json says where it comes from.
    const template = JSON.parse(readFileSync(new URL("../../../infra/main.json", import.meta.url), "utf8")) as {
      parameters: Record<string, { metadata?: { suppliedAtDeployTime?: string } }>;
    };
    const atDeployTime = Object.entries(template.parameters).filter(
      ([, parameter]) => parameter.metadata?.suppliedAtDeployTime,
    );
    expect(Object.keys(tenant.deployment.deployTime).sort()).toEqual(atDeployTime.map(([name]) => name).sort());
  });

  it("is checked when read: a wrong field is named, with what it should be", () => {
    const broken = (change: (file: Record<string, unknown>) => void) => {
      const file = tenantFile();
      change(file);
      return () => parseTenant(file);
    };
    expect(
      broken((file) => {
        (file["tenant"] as Record<string, unknown>)["id"] = "not-a-guid";
      }),
    ).toThrow(new TenantFileError("tenant.json: tenant.id is not valid: a lower-case GUID."));
    expect(
      broken((file) => {
        delete (file["deployment"] as Record<string, unknown>)["template"];
      }),
    ).toThrow(/^tenant\.json: deployment\.template is not valid: /);
    expect(
      broken((file) => {
        (file["apps"] as Record<string, unknown>[])[1] = { name: "keyless-workspace-03", like: "keyless-step-03" };
      }),
    ).toThrow(
      'tenant.json: apps[1] is not valid: give it either identity: "system" or signsInAs: <a service principal>.',
    );
    expect(
      broken((file) => {
        (file["users"] as Record<string, unknown>[])[0] = { userPrincipalName: "learner", objectId: "x" };
      }),
    ).toThrow("tenant.json: users[0].userPrincipalName is not valid: a user principal name (name@domain).");
    expect(() => parseTenant([])).toThrow(/^tenant\.json: the file is not valid: /);
  });
});

describe("a provisioned sandbox", () => {
  let test: TestSandbox;
  beforeAll(async () => {
    test = await startTestSandbox({ queue: false, hosts: { "KEYLESS-STEP-04": "vm" } });
  });
  afterAll(() => test?.stop());

  it("lists its sites from the template: each with the code its keyless-code tag names, and the exercises' apps", () => {
    expect(test.sandbox.sites()).toEqual([
      { name: "keyless-step-01", code: "steps/01-keys-in-code", identity: "none" },
      { name: "keyless-step-02", code: "steps/02-key-vault", identity: "service-principal" },
      { name: "keyless-step-03", code: "steps/03-managed-identity", identity: "system" },
      { name: "keyless-step-04", code: "steps/04-queue", identity: "system" },
      { name: "keyless-workspace-02", like: "keyless-step-02", identity: "service-principal" },
      { name: "keyless-workspace-03", like: "keyless-step-03", identity: "system" },
      { name: "keyless-workspace-04", like: "keyless-step-04", identity: "system" },
    ]);
    // Every steps/ folder is some site's code.
    const folders = readdirSync(fileURLToPath(new URL("../../../steps/", import.meta.url))).filter((name) =>
      /^\d\d-/.test(name),
    );
    const codes = test.sandbox.sites().flatMap((site) => (site.code ? [site.code] : []));
    expect(codes).toEqual(folders.map((folder) => `steps/${folder}`));
    expect(CODE_TAG).toBe("keyless-code");
  });

  it("names its vault, storage account and queues as the deployment made them", () => {
    expect(test.sandbox.world).toMatchObject({ keyVault: "keyless-kv", storageAccount: "devstoreaccount1" });
    expect(test.sandbox.world.queues).toEqual(["code-requests"]);
    expect(test.sandbox.secrets.get("third-party-api-key")?.versions.at(-1)?.value).toBe(
      test.sandbox.tenant.thirdParty.keys[0],
    );
  });

  it("gives a site its settings and its host's identity, the hosts option keyed by site name", () => {
    const step02 = test.sandbox.siteEnvironment("keyless-step-02");
    expect(step02["AZURE_CLIENT_ID"]).toBe(test.sandbox.tenant.servicePrincipals[0]?.appId);
    expect(test.sandbox.hostOf("keyless-step-04")).toBe("vm");
    expect(test.sandbox.hostOf("keyless-step-03")).toBe("app-service");
    expect(test.sandbox.siteEnvironment("keyless-step-04")["AZURE_POD_IDENTITY_AUTHORITY_HOST"]).toBeDefined();
    expect(test.sandbox.siteEnvironment("keyless-step-03")["IDENTITY_HEADER"]).toBeDefined();
    // An exercise's app gets the settings of the site it is like, and its own identity.
    const yours = test.sandbox.siteEnvironment("keyless-workspace-02");
    expect(yours["AZURE_CLIENT_ID"]).toBe(test.sandbox.tenant.servicePrincipals[1]?.appId);
    expect(yours["KEY_VAULT_URL"]).toBe(step02["KEY_VAULT_URL"]);
  });
});
