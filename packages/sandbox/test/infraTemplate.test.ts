/**
 * infra/main.json, the ARM template that provisions a real subscription and the
 * sandbox alike, checked as data: what the workshop promises of its Azure
 * resources (a vault with Azure RBAC, storage without shared keys, apps without
 * basic auth, least-privilege roles, each app's exact settings), with no
 * subscription and no deployment. What only Azure can tell (that a property is
 * accepted, that a deployment succeeds) is listed in infra/README.md.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROLE_DEFINITIONS } from "../src/registry.ts";
import { findRoleIn } from "../src/roles.ts";

const findRole = (nameOrId: string) => findRoleIn(ROLE_DEFINITIONS, nameOrId);
import { deployedNamesOf } from "../src/deployment.ts";
import { loadTenant } from "../src/tenant.ts";
import {
  allResources,
  allStrings,
  functionsCalled,
  inner,
  type ParametersFile,
  parametersBehind,
  REPO_ROOT,
  readInfraJson,
  readInfraText,
  type Template,
  type TemplateResource,
  variableName,
} from "./armTemplate.ts";

const template = readInfraJson<Template>("main.json");
const resources = allResources(template);
const ofType = (type: string) => resources.filter((resource) => resource.type === type);
const sandboxParameters = readInfraJson<ParametersFile>("sandbox.parameters.json");
const azureExample = readInfraJson<ParametersFile>("azure.parameters.example.json");
const stepFolders = readdirSync(join(REPO_ROOT, "steps"))
  .filter((name) => /^\d\d-/.test(name))
  .sort();

/** The built-in roles the template may grant, by the ids Azure publishes (the same in every tenant). */
const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
  "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
  "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a": "Storage Queue Data Message Sender",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
};

/** The only scopes a role may have, each no wider than one resource, with that resource's id and the roles that make sense on it. */
const SCOPES: Readonly<Record<string, { readonly id: string; readonly pattern: RegExp; readonly roles: string[] }>> = {
  vaultScope: {
    id: "vaultId",
    pattern: /^\[format\('Microsoft\.KeyVault\/vaults\/\{0\}', parameters\('keyVaultName'\)\)\]$/,
    roles: ["Key Vault Secrets User", "Key Vault Secrets Officer"],
  },
  queueScope: {
    id: "queueId",
    pattern:
      /^\[format\('Microsoft\.Storage\/storageAccounts\/\{0\}\/queueServices\/default\/queues\/\{1\}', parameters\('storageAccountName'\), variables\('queueName'\)\)\]$/,
    roles: ["Storage Queue Data Message Sender", "Storage Queue Data Contributor"],
  },
  functionStorageScope: {
    id: "functionStorageAccountId",
    pattern: /^\[format\('Microsoft\.Storage\/storageAccounts\/\{0\}', parameters\('functionStorageAccountName'\)\)\]$/,
    roles: ["Storage Blob Data Owner"],
  },
};

/** The template functions the sandbox's engine evaluates: the template uses no other. */
const ENGINE_FUNCTIONS = new Set([
  "parameters",
  "variables",
  "resourceGroup",
  "subscription",
  "resourceId",
  "subscriptionResourceId",
  "guid",
  "uniqueString",
  "concat",
  "format",
  "toLower",
  "reference",
  "listKeys",
  "copyIndex",
  "length",
  "if",
  "equals",
  "not",
  "empty",
  "union",
  "createArray",
]);

function variable(name: string): unknown {
  expect(template.variables, `variable ${name}`).toHaveProperty(name);
  return template.variables[name];
}

/** `[variables('roles').keyVaultSecretsUser]` → the role's name, through its built-in id. */
function roleOf(roleDefinitionId: unknown): string {
  const key = /^\[variables\('roles'\)\.(\w+)\]$/.exec(String(roleDefinitionId))?.[1] ?? "";
  const definition = String((variable("roles") as Record<string, unknown>)[key]);
  const id = /^\[subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', '([0-9a-f-]{36})'\)\]$/.exec(
    definition,
  )?.[1];
  expect(id, `${roleDefinitionId} is a built-in role by id`).toBeDefined();
  const name = BUILT_IN_ROLES[id ?? ""];
  expect(name, `role ${id} is a known built-in role`).toBeDefined();
  return name ?? "";
}

/** Who a principalId expression names: a parameter, or the identity of the resource a variable holds the id of. */
function principalOf(expression: unknown): string {
  const text = String(expression);
  const label = /^\[parameters\('(\w+)'\)\]$/.exec(text)?.[1] ?? /^\[reference\(variables\('(\w+)'\)/.exec(text)?.[1];
  expect(label, `principal ${text}`).toBeDefined();
  return label ?? "";
}

/** The appsettings resource of a step's web app, found through the steps variable (`service: step-0N`). */
function settingsOf(step: string): Readonly<Record<string, unknown>> {
  const app = (variable("steps") as { appName: string; service: string }[]).find(
    (candidate) => candidate.service === `step-${step}`,
  );
  expect(app, `web app of step ${step}`).toBeDefined();
  const name = `[format('{0}/appsettings', ${inner(app?.appName ?? "")})]`;
  const config = ofType("Microsoft.Web/sites/config").filter((resource) => resource.name === name);
  expect(config, `one ${name}`).toHaveLength(1);
  return config[0]?.properties ?? {};
}

/** The variables a step refuses to start without: its loadConfig({}) names every one in its error. */
async function requiredByStep(folder: string): Promise<string[]> {
  const config = (await import(pathToFileURL(join(REPO_ROOT, "steps", folder, "src", "config.ts")).href)) as {
    loadConfig(env: NodeJS.ProcessEnv): unknown;
  };
  let message = "";
  try {
    config.loadConfig({});
  } catch (error) {
    message = (error as Error).message;
  }
  return [...message.matchAll(/\b([A-Z][A-Z0-9_]*) is not set\b/g)].map(([, name]) => name ?? "").sort();
}

describe("infra/main.json: its form", () => {
  it("is a resource-group deployment template", () => {
    expect(template.$schema).toBe("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#");
  });

  it("calls only the template functions the sandbox's engine evaluates", () => {
    const called = new Set(allStrings(template).flatMap(functionsCalled));
    expect([...called].filter((name) => !ENGINE_FUNCTIONS.has(name))).toEqual([]);
  });

  it("reads each resource with the api-version it deploys it with (reference and listKeys)", () => {
    const versionOf = (type: string) =>
      new Set(template.resources.filter((r) => r.type === type).map((r) => r.apiVersion));
    for (const type of new Set(template.resources.map((resource) => resource.type)))
      expect(versionOf(type).size, `one api-version for ${type}`).toBe(1);
    const reads = allStrings(template).flatMap((text) => [
      ...text.matchAll(/reference\(variables\('(\w+)'\), '([^']+)'/g),
    ]);
    expect(reads.length).toBeGreaterThan(0);
    for (const [, idVariable, version] of reads) {
      const type = /^\[resourceId\('([^']+)'/.exec(String(variable(idVariable ?? "")))?.[1] ?? "";
      expect([...versionOf(type)], `reference to ${idVariable}`).toEqual([version]);
    }
    const keys = allStrings(template).flatMap((text) => [
      ...text.matchAll(/listKeys\(resourceId\('([^']+)\/host',.*, '(\d{4}-\d\d-\d\d[^']*)'\)\.functionKeys/g),
    ]);
    expect(keys).toHaveLength(1);
    for (const [, type, version] of keys) expect([...versionOf(type ?? "")]).toEqual([version]);
  });
});

describe("infra/main.json: Key Vault", () => {
  it("authorizes with Azure RBAC, keeps deleted secrets, and has no access policies", () => {
    const vaults = ofType("Microsoft.KeyVault/vaults");
    expect(vaults).toHaveLength(1);
    const properties = vaults[0]?.properties ?? {};
    expect(properties["enableRbacAuthorization"]).toBe(true);
    expect(properties["accessPolicies"] ?? []).toEqual([]);
    expect(properties["enableSoftDelete"]).toBe(true);
    expect(properties["sku"]).toEqual({ family: "A", name: "standard" });
    expect(properties["tenantId"]).toBe("[subscription().tenantId]");
  });

  it("holds third-party-api-key, copied from the function app's host keys by listKeys", () => {
    const secrets = ofType("Microsoft.KeyVault/vaults/secrets");
    expect(secrets).toHaveLength(1);
    const secret = secrets[0] as TemplateResource;
    expect(secret.name).toBe("[format('{0}/{1}', parameters('keyVaultName'), variables('secretName'))]");
    expect(variable("secretName")).toBe("third-party-api-key");
    expect(secret.properties?.["value"]).toBe(
      "[listKeys(resourceId('Microsoft.Web/sites/host', parameters('thirdPartyFunctionAppName'), 'default'), '2024-11-01').functionKeys.default]",
    );
    // The host keeps its keys in its own storage: the key can be listed once its identity may reach it.
    expect(secret.dependsOn).toContain(`[variables('functionStorageRoleName')]`);
  });
});

describe("infra/main.json: Storage", () => {
  it("has no shared keys, HTTPS only, TLS 1.2 and no public blobs, on every account", () => {
    const accounts = ofType("Microsoft.Storage/storageAccounts");
    expect(accounts).toHaveLength(2);
    for (const account of accounts) {
      expect(account.kind).toBe("StorageV2");
      expect(account.properties).toMatchObject({
        allowSharedKeyAccess: false,
        supportsHttpsTrafficOnly: true,
        minimumTlsVersion: "TLS1_2",
        allowBlobPublicAccess: false,
      });
      expect(JSON.stringify(account)).toContain('"sku":{"name":"Standard_LRS"}');
    }
  });

  it("has the queue code-requests in the app's account", () => {
    const queues = ofType("Microsoft.Storage/storageAccounts/queueServices/queues");
    expect(queues.map((queue) => queue.name)).toEqual([
      "[format('{0}/default/{1}', parameters('storageAccountName'), variables('queueName'))]",
    ]);
    expect(variable("queueName")).toBe("code-requests");
  });
});

describe("infra/main.json: App Service", () => {
  const sites = ofType("Microsoft.Web/sites");
  const webApps = sites.filter((site) => site.kind === "app,linux");

  it("runs one Linux web app per step on Node 24 LTS and the third party as a Linux function app", () => {
    expect(webApps).toHaveLength(stepFolders.length);
    expect(sites.filter((site) => site.kind === "functionapp,linux")).toHaveLength(1);
    const plans = ofType("Microsoft.Web/serverfarms");
    expect(plans).toHaveLength(1);
    expect(plans[0]?.properties?.["reserved"]).toBe(true);
    for (const app of webApps)
      expect(variable(variableName(String(app.properties?.["siteConfig"])) ?? "")).toMatchObject({
        linuxFxVersion: "NODE|24-lts",
      });
  });

  it("serves HTTPS only, with FTP off, on every site", () => {
    for (const site of sites) {
      expect(site.properties?.["httpsOnly"], site.name).toBe(true);
      const siteConfig = site.properties?.["siteConfig"];
      const config = typeof siteConfig === "string" ? variable(variableName(siteConfig) ?? "") : siteConfig;
      expect(config, site.name).toMatchObject({ ftpsState: "Disabled", minTlsVersion: "1.2" });
    }
  });

  it("disables basic-auth publishing credentials (ftp and scm) for every site", () => {
    const policies = ofType("Microsoft.Web/sites/basicPublishingCredentialsPolicies");
    for (const site of sites)
      for (const kind of ["ftp", "scm"]) {
        const name = `[format('{0}/${kind}', ${inner(site.name)})]`;
        const policy = policies.filter((candidate) => candidate.name === name);
        expect(policy, name).toHaveLength(1);
        expect(policy[0]?.properties).toEqual({ allow: false });
      }
    expect(policies).toHaveLength(sites.length * 2);
  });

  it("gives steps 03 and 04 a system-assigned identity and their user-assigned one, and 01 and 02 none", () => {
    const identityOf = (step: string) =>
      (variable("steps") as { service: string; identity: { type: string; userAssignedIdentities?: object } }[]).find(
        (app) => app.service === `step-${step}`,
      )?.identity;
    expect(identityOf("01")).toEqual({ type: "None" });
    expect(identityOf("02")).toEqual({ type: "None" });
    for (const step of ["03", "04"]) {
      expect(identityOf(step)?.type).toBe("SystemAssigned, UserAssigned");
      expect(Object.keys(identityOf(step)?.userAssignedIdentities ?? {})).toEqual([
        `[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identity${step}Name'))]`,
      ]);
    }
  });

  it("tags each web app with the azd service of its step in azure.yaml", async () => {
    const { readFile } = await import("node:fs/promises");
    const azure = parse(await readFile(join(REPO_ROOT, "azure.yaml"), "utf8")) as {
      services: Record<string, { project: string; host: string; language: string }>;
    };
    const services = Object.keys(azure.services).sort();
    expect(webApps.map((app) => app.tags?.["azd-service-name"]).sort()).toEqual(services);
    expect(services).toEqual(stepFolders.map((folder) => `step-${folder.slice(0, 2)}`));
    for (const folder of stepFolders)
      expect(azure.services[`step-${folder.slice(0, 2)}`]).toEqual({
        project: `./steps/${folder}`,
        host: "appservice",
        language: "ts",
      });
  });

  for (const folder of stepFolders) {
    const step = folder.slice(0, 2);
    it(`gives step ${step} exactly the settings its src/config.ts requires, plus AZURE_TOKEN_CREDENTIALS from step 02 on`, async () => {
      const required = await requiredByStep(folder);
      expect(required).toContain("THIRD_PARTY_API_ENDPOINT");
      const expected = step === "01" ? required : [...required, "AZURE_TOKEN_CREDENTIALS"].sort();
      const settings = settingsOf(step);
      expect(Object.keys(settings).sort()).toEqual(expected);
      if ("AZURE_TOKEN_CREDENTIALS" in settings) expect(settings["AZURE_TOKEN_CREDENTIALS"]).toBe("prod");
    });
  }

  it("fills step 02's client secret from a securestring parameter only", () => {
    expect(settingsOf("02")["AZURE_CLIENT_SECRET"]).toBe("[parameters('step02ClientSecret')]");
    expect(settingsOf("02")["AZURE_TENANT_ID"]).toBe("[parameters('appSignInTenantId')]");
    expect(template.parameters["step02ClientSecret"]?.type).toBe("securestring");
    expect(template.parameters["appSignInTenantId"]?.defaultValue).toBe("[subscription().tenantId]");
  });

  it("connects the function app to its own storage with its identity, not a connection string", () => {
    const functionApp = sites.find((site) => site.kind === "functionapp,linux");
    expect(functionApp?.identity).toEqual({ type: "SystemAssigned" });
    const siteConfig = functionApp?.properties?.["siteConfig"] as { appSettings?: { name: string; value: string }[] };
    const appSettings = siteConfig?.appSettings ?? [];
    expect(appSettings).toContainEqual({
      name: "AzureWebJobsStorage__accountName",
      value: "[parameters('functionStorageAccountName')]",
    });
    expect(appSettings.map((setting) => setting.name)).not.toContain("AzureWebJobsStorage");
  });
});

describe("infra/main.json: identities and roles", () => {
  const assignments = ofType("Microsoft.Authorization/roleAssignments");

  it("creates keyless-id-03 and keyless-id-04, each trusting the AKS issuer only when one is given", () => {
    expect(ofType("Microsoft.ManagedIdentity/userAssignedIdentities").map((identity) => identity.name)).toEqual([
      "[parameters('identity03Name')]",
      "[parameters('identity04Name')]",
    ]);
    const credentials = ofType("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials");
    expect(credentials).toHaveLength(2);
    for (const [index, step] of ["03", "04"].entries()) {
      const credential = credentials[index] as TemplateResource;
      expect(credential.condition).toBe("[not(empty(parameters('aksOidcIssuerUrl')))]");
      expect(credential.name).toBe(`[format('{0}/keyless-aks-step-${step}', parameters('identity${step}Name'))]`);
      expect(credential.properties).toEqual({
        issuer: "[parameters('aksOidcIssuerUrl')]",
        subject: `system:serviceaccount:keyless:keyless-step-${step}`,
        audiences: ["api://AzureADTokenExchange"],
      });
    }
    expect(template.parameters["aksOidcIssuerUrl"]?.defaultValue).toBe("");
  });

  it("grants each role by a known built-in id, at one resource's scope, named guid(scope, principal, role)", () => {
    expect(assignments.length).toBeGreaterThan(0);
    for (const assignment of assignments) {
      const scopeName = variableName(assignment.scope ?? "") ?? "";
      const scope = SCOPES[scopeName];
      expect(scope, `scope of ${assignment.name}`).toBeDefined();
      expect(variable(scopeName)).toMatch(scope?.pattern ?? /^$/);
      const role = roleOf(assignment.properties?.["roleDefinitionId"]);
      expect(scope?.roles, `${role} at ${scopeName}`).toContain(role);
      expect(["ServicePrincipal", "[parameters('developerPrincipalType')]"]).toContain(
        assignment.properties?.["principalType"],
      );
      // The name: a variable holding the guid is read through.
      const name = String(
        variableName(assignment.name) ? variable(variableName(assignment.name) ?? "") : assignment.name,
      );
      const principal = principalOf(assignment.properties?.["principalId"]);
      const named = new RegExp(
        `^\\[guid\\(variables\\('${scope?.id}'\\), (?:parameters|variables)\\('${principal}'\\), ${String(
          assignment.properties?.["roleDefinitionId"],
        )
          .slice(1, -1)
          .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)\\]$`,
      );
      expect(name, `name of ${role} for ${principal}`).toMatch(named);
    }
    const ids = {
      vaultId: "Microsoft.KeyVault/vaults",
      queueId: "Microsoft.Storage/storageAccounts/queueServices/queues",
    };
    for (const [name, type] of Object.entries(ids)) expect(String(variable(name))).toContain(`resourceId('${type}'`);
  });

  it("grants exactly the lesson's roles: nothing at the resource group, nothing more", () => {
    const grants = assignments
      .map((assignment) => {
        const scope = variableName(assignment.scope ?? "");
        return `${principalOf(assignment.properties?.["principalId"])}: ${roleOf(assignment.properties?.["roleDefinitionId"])} on ${scope}`;
      })
      .sort();
    expect(grants).toEqual(
      [
        "step02PrincipalId: Key Vault Secrets User on vaultScope",
        "step03AppId: Key Vault Secrets User on vaultScope",
        "step04AppId: Key Vault Secrets User on vaultScope",
        "identity03Id: Key Vault Secrets User on vaultScope",
        "identity04Id: Key Vault Secrets User on vaultScope",
        "step04AppId: Storage Queue Data Message Sender on queueScope",
        "identity04Id: Storage Queue Data Message Sender on queueScope",
        "developerPrincipalId: Key Vault Secrets Officer on vaultScope",
        "developerPrincipalId: Storage Queue Data Contributor on queueScope",
        "functionAppId: Storage Blob Data Owner on functionStorageScope",
      ].sort(),
    );
    for (const assignment of assignments.filter((a) => String(a.properties?.["principalId"]).includes("developer")))
      expect(assignment.condition).toBe("[not(empty(parameters('developerPrincipalId')))]");
  });

  it("uses the role ids the sandbox's RBAC knows, for every role both know", () => {
    for (const [id, name] of Object.entries(BUILT_IN_ROLES)) {
      const known = findRole(id);
      if (known) expect(known.name).toBe(name);
    }
  });
});

describe("infra/main.json: no secret, and names that are free", () => {
  it("holds no secret value, gives no securestring a default and outputs nothing secret", () => {
    for (const [name, parameter] of Object.entries(template.parameters))
      if (parameter.type.toLowerCase() === "securestring") expect(parameter, name).not.toHaveProperty("defaultValue");
    const tenant = loadTenant();
    const secrets = [
      ...tenant.thirdParty.keys,
      ...tenant.servicePrincipals.map((principal) => principal.secret),
      ...tenant.users.flatMap((user) => (user.password ? [user.password] : [])),
    ];
    for (const file of ["main.json", "sandbox.parameters.json", "azure.parameters.example.json"])
      for (const secret of secrets) expect(readInfraText(file), file).not.toContain(secret);
    // Nothing in the template's literals looks like a key: 32 or more base64 characters in a row, of mixed case and digits.
    const keyLike = (text: string) =>
      [...text.matchAll(/[A-Za-z0-9+/]{32,}/g)].some(
        ([run]) => /\d/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run),
      );
    expect(allStrings(template).filter((text) => !text.startsWith("[") && keyLike(text))).toEqual([]);
    for (const [name, output] of Object.entries(template.outputs)) {
      expect(output.type.toLowerCase(), name).not.toMatch(/^secure/);
      expect(JSON.stringify(output.value), name).not.toMatch(/listKeys|step02ClientSecret/);
    }
  });

  // Each type's rules for a global name, and what the name adds to the parameter (the web apps' -0N).
  const GLOBAL_NAMES: Readonly<Record<string, { readonly rule: RegExp; readonly suffix: string }>> = {
    keyVaultName: { rule: /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, suffix: "" },
    storageAccountName: { rule: /^[a-z0-9]{3,24}$/, suffix: "" },
    functionStorageAccountName: { rule: /^[a-z0-9]{3,24}$/, suffix: "" },
    webAppNamePrefix: { rule: /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$/, suffix: "-01" },
    thirdPartyFunctionAppName: { rule: /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$/, suffix: "" },
  };

  it("names every global resource from a parameter whose default is unique to the resource group", () => {
    const global = ["Microsoft.KeyVault/vaults", "Microsoft.Storage/storageAccounts", "Microsoft.Web/sites"];
    const named = new Set(
      resources.filter((r) => global.includes(r.type)).flatMap((r) => [...parametersBehind(template, r.name)]),
    );
    expect([...named].sort()).toEqual(Object.keys(GLOBAL_NAMES).sort());
    for (const [name, { rule, suffix }] of Object.entries(GLOBAL_NAMES)) {
      const defaultValue = String(template.parameters[name]?.defaultValue);
      const parts = /^\[format\('([^']*)\{0\}([^']*)', uniqueString\(resourceGroup\(\)\.id\)\)\]$/.exec(defaultValue);
      expect(parts, `${name} defaults to a format of uniqueString(resourceGroup().id)`).not.toBeNull();
      // uniqueString gives 13 lowercase letters and digits.
      expect(`${parts?.[1]}${"a1".repeat(6)}b${parts?.[2]}${suffix}`, name).toMatch(rule);
      expect(`${sandboxParameters.parameters[name]?.value}${suffix}`, `the sandbox's ${name}`).toMatch(rule);
    }
  });
});

describe("infra/*.parameters.json", () => {
  const runTime = Object.entries(template.parameters)
    .filter(([, parameter]) => parameter.metadata?.suppliedAtDeployTime)
    .map(([name]) => name);

  it("are parameter files of the template's own parameters", () => {
    for (const file of [sandboxParameters, azureExample]) {
      expect(file.$schema).toBe("https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#");
      for (const name of Object.keys(file.parameters)) expect(template.parameters, name).toHaveProperty(name);
    }
  });

  it("give the sandbox every parameter without a default, except those supplied at deploy time", () => {
    expect(runTime.sort()).toEqual(["aksOidcIssuerUrl", "step02ClientSecret"]);
    const required = Object.entries(template.parameters)
      .filter(([name, parameter]) => !("defaultValue" in parameter) && !runTime.includes(name))
      .map(([name]) => name);
    for (const name of required) expect(sandboxParameters.parameters, name).toHaveProperty(name);
    for (const name of runTime) expect(sandboxParameters.parameters, name).not.toHaveProperty(name);
  });

  it("name the sandbox's own resources and principals, from tenant.json", () => {
    const tenant = loadTenant();
    const value = (name: string) => sandboxParameters.parameters[name]?.value;
    const app = tenant.servicePrincipals.find((principal) => principal.displayName === "keyless-app-sp");
    // The names the lessons use.
    expect(deployedNamesOf(tenant)).toEqual({ keyVault: "keyless-kv", storageAccount: "devstoreaccount1" });
    expect(value("appSignInTenantId")).toBe(tenant.tenant.alias);
    expect(value("step02ClientId")).toBe(app?.appId);
    expect(value("step02PrincipalId")).toBe(app?.objectId);
    expect(value("developerPrincipalId")).toBe(tenant.users[0]?.objectId);
    // The VM's identities are the template's.
    expect([value("identity03Name"), value("identity04Name")]).toEqual(
      tenant.hosts.virtualMachine.userAssignedIdentities,
    );
    // Each exercise's app is like a site the template makes.
    const siteNames = stepFolders.map((folder) => `${value("webAppNamePrefix")}-${folder.slice(0, 2)}`);
    for (const app of tenant.apps) expect(siteNames).toContain(app.like);
  });
});

describe("infra/main.json: outputs", () => {
  it("give every URL and principal a lesson names", () => {
    expect(Object.keys(template.outputs)).toEqual(
      expect.arrayContaining([
        ...stepFolders.map((folder) => `step${folder.slice(0, 2)}Url`),
        "thirdPartyApiEndpoint",
        "keyVaultUri",
        "keyVaultId",
        "queueUrl",
        "queueId",
        "step03PrincipalId",
        "step04PrincipalId",
        "identity03PrincipalId",
        "identity03ClientId",
        "identity04PrincipalId",
        "identity04ClientId",
      ]),
    );
    expect(template.outputs["thirdPartyApiEndpoint"]?.value).toMatch(/^\[format\('https:\/\/\{0\}\/api\/\{1\}'/);
    expect(variable("functionName")).toBe("RandomNumber");
  });
});
