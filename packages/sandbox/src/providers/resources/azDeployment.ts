/**
 * `az deployment group create|validate|what-if|show|list` and `az deployment
 * operation group list`: template deployments, as the Azure CLI runs them
 * against Resource Manager:
 *
 *   POST {group}/providers/Microsoft.Resources/deployments/{name}/validate   (create checks first)
 *   PUT  {group}/providers/Microsoft.Resources/deployments/{name}            then polls Azure-AsyncOperation
 *   POST {group}/providers/Microsoft.Resources/deployments/{name}/whatIf
 *   GET  {group}/deployments/{name}/operations
 *
 * The template travels as the file's own text (az splices it into the JSON
 * body), so Resource Manager's errors name the file's lines. Errors print as
 * az prints them: a failed validation as Python's `json.dumps` of ARM's error,
 * a failed deployment as the operation status ARM answered, raw.
 */
import type { Command } from "commander";
import type { Connection } from "../../az/connection.ts";
import { AzError } from "../../az/connection.ts";
import { checkMissing, deploymentNameOf, processParameters, readTemplate } from "../../az/deploymentParameters.ts";
import { errorModel } from "../../az/models.ts";
import { azDate, groupScope, type Run, type Shell } from "../../az/shell.ts";
import { formatWhatIf, type ResourceChange } from "../../az/whatIfFormat.ts";

/** Microsoft.Resources' api-version the commands send (what Azure CLI 2.5x and later send). */
const API = "2022-09-01";

interface DeploymentOptions {
  readonly resourceGroup: string;
  readonly name?: string;
  readonly templateFile?: string;
  readonly templateUri?: string;
  readonly parameters?: string[];
  readonly mode?: string;
  /** `--no-prompt`. */
  readonly prompt?: boolean;
}

/** An error az prints as it is, with no `(code)`: exit code 1. */
const printed = (message: string) => new AzError(undefined, message);

/** Python's `json.dumps`: `", "` and `": "` between members, and every character beyond ASCII escaped. */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (typeof value === "object" && value !== null)
    return `{${Object.entries(value)
      .map(([key, item]) => `${pythonJson(key)}: ${pythonJson(item)}`)
      .join(", ")}}`;
  if (typeof value === "string")
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  return value === undefined ? "null" : JSON.stringify(value);
}

/**
 * azure-cli's `_build_http_response_error_message`: ARM's error without its details, then
 * "Inner Errors:" and each detail, as a refused validation prints.
 */
function refusalMessage(text: string): string {
  let error: Record<string, unknown> | undefined;
  try {
    error = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
  } catch {
    error = undefined;
  }
  if (!error) return text;
  const detailed = (detail: Record<string, unknown>): string => {
    const { details, ...rest } = detail;
    const nested = Array.isArray(details) ? (details as Record<string, unknown>[]) : [];
    return [`Inner Errors: \n${pythonJson(rest)}`, ...nested.map(detailed)].join("\n\n");
  };
  const { details, ...info } = error;
  const nested = Array.isArray(details) ? (details as Record<string, unknown>[]) : [];
  return [pythonJson(info), ...nested.map(detailed)].join("\n\n");
}

/**
 * The request body as az sends it (its JsonCTemplatePolicy): the deployment's JSON with the
 * template spliced in as the file's own text, `{"properties": {…, template:<the file>}}`.
 */
function bodyWithTemplate(properties: Record<string, unknown>, template: string): string {
  return `${JSON.stringify({ properties }).slice(0, -2)}, template:${template}}}`;
}

/** The template, parameters and mode az sends, read and checked as az does before any request. */
function prepare(
  options: DeploymentOptions,
  shell: Shell,
): { name: string; properties: Record<string, unknown>; template: string } {
  if (options.templateUri)
    throw new Error("This sandbox deploys a local --template-file: a --template-uri would need the internet.");
  if (!options.templateFile)
    throw new Error("incorrect usage: Chose only one of --template-file FILE | --template-uri URI");
  const { text, parameters: declarations } = readTemplate(options.templateFile, shell);
  const parameters = processParameters(declarations, options.parameters ?? [], shell);
  checkMissing(declarations, parameters, options.prompt === false, shell);
  return {
    name: options.name ?? deploymentNameOf(options.templateFile),
    properties: { parameters, ...(options.mode ? { mode: options.mode } : { mode: "Incremental" }) },
    template: text,
  };
}

const deploymentId = async (connection: Connection, group: string, name: string) =>
  `${groupScope(await connection.subscriptionId(), group)}/providers/Microsoft.Resources/deployments/${name}`;

interface Deployment {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly location?: string;
  readonly tags?: Record<string, string>;
  readonly properties?: Record<string, unknown>;
}

/** A deployment as az prints the SDK's DeploymentExtended (and a validation's DeploymentValidateResult). */
function deploymentJson(deployment: Deployment, validated = false) {
  const properties = deployment.properties ?? {};
  return {
    ...(validated ? { error: null } : { location: deployment.location ?? null, tags: deployment.tags ?? null }),
    id: deployment.id,
    name: deployment.name,
    properties: {
      correlationId: properties["correlationId"] ?? null,
      debugSetting: null,
      dependencies: properties["dependencies"] ?? [],
      duration: properties["duration"] ?? null,
      error: errorModel(properties["error"]),
      mode: properties["mode"] ?? null,
      onErrorDeployment: null,
      outputResources: properties["outputResources"] ?? null,
      outputs: properties["outputs"] ?? null,
      parameters: properties["parameters"] ?? null,
      parametersLink: null,
      providers: null,
      provisioningState: properties["provisioningState"] ?? null,
      templateHash: properties["templateHash"] ?? null,
      templateLink: null,
      timestamp: azDate(properties["timestamp"] as string | undefined),
      validatedResources: properties["validatedResources"] ?? null,
    },
    type: deployment.type,
  };
}

/** POST validate, as `az deployment group validate` and `create` send it first: ARM's refusal printed as az prints it. */
async function validate(connection: Connection, id: string, body: string): Promise<Deployment> {
  const answer = await connection.armRequest("POST", `${id}/validate`, API, body);
  if (answer.status >= 400) throw printed(refusalMessage(answer.text));
  return JSON.parse(answer.text) as Deployment;
}

/** What `az deployment group create` does after the validation: PUT, then poll the operation until it ends. */
async function create(connection: Connection, id: string, body: string, noWait: boolean): Promise<unknown> {
  const put = await connection.armRequest("PUT", id, API, body);
  if (put.status >= 400) throw printed(put.text);
  if (noWait) return undefined;
  const operation = put.headers.get("azure-asyncoperation");
  if (operation) {
    const status = await connection.armRequest("GET", operation, API);
    const state = (JSON.parse(status.text) as { status?: string }).status;
    // A deployment that failed prints the operation's status as ARM answered it: {"status":"Failed","error":{…}}.
    if (state === "Failed" || state === "Canceled") throw printed(status.text);
  }
  return deploymentJson(await connection.arm<Deployment>("GET", id, API));
}

/** A what-if's change as az prints the SDK's WhatIfChange (every member, null when absent). */
const changeJson = (change: ResourceChange & { unsupportedReason?: string }) => ({
  after: change.after ?? null,
  before: change.before ?? null,
  changeType: change.changeType,
  delta: change.delta ?? null,
  resourceId: change.resourceId,
  unsupportedReason: change.unsupportedReason ?? null,
});

const target = (command: Command) =>
  command
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .option("-n, --name <name>", "the deployment name (default: the template file's name)")
    .option("-f, --template-file <file>", "a path to a template file (ARM JSON)")
    .option("-u, --template-uri <uri>", "a URI to a template file (not offline)")
    .option(
      "-p, --parameters <parameters...>",
      "parameters: a parameters file (@file or a path), a JSON string, or <name>=<value> pairs; given several times, later values win",
    )
    .option("--mode <mode>", "Incremental (the default) or Complete (refused by the sandbox)")
    .option("--no-prompt", "do not refuse for missing parameters: warn, and let Resource Manager refuse them");

export function registerDeployment(az: Command, run: Run): void {
  const deployment = az
    .command("deployment")
    .description("Manage Azure Resource Manager template deployment at subscription scope.");
  const group = deployment
    .command("group")
    .description("Manage Azure Resource Manager template deployment at resource group.");

  target(group.command("validate").description("Validate whether a template is valid at resource group.")).action(
    (options: DeploymentOptions) =>
      run(async (connection, shell) => {
        const { name, properties, template } = prepare(options, shell);
        const id = await deploymentId(connection, options.resourceGroup, name);
        return deploymentJson(await validate(connection, id, bodyWithTemplate(properties, template)), true);
      }),
  );

  target(group.command("create").description("Start a deployment at resource group."))
    .option("--no-wait", "do not wait for the long-running operation to finish")
    .action((options: DeploymentOptions & { wait?: boolean }) =>
      run(async (connection, shell) => {
        const { name, properties, template } = prepare(options, shell);
        const id = await deploymentId(connection, options.resourceGroup, name);
        const body = bodyWithTemplate(properties, template);
        await validate(connection, id, body);
        return create(connection, id, body, options.wait === false);
      }),
    );

  target(group.command("what-if").description("Execute a deployment What-If operation at resource group scope."))
    .option("--no-pretty-print", "print the raw what-if result as JSON instead of az's summary")
    .option(
      "-r, --result-format <format>",
      "FullResourcePayloads (the default) or ResourceIdOnly",
      "FullResourcePayloads",
    )
    .option(
      "-x, --exclude-change-types <types...>",
      "change types to leave out: Create, Delete, Modify, Deploy, Ignore, NoChange, Unsupported",
    )
    .action(
      (options: DeploymentOptions & { prettyPrint?: boolean; resultFormat: string; excludeChangeTypes?: string[] }) =>
        run(async (connection, shell) => {
          const { name, properties, template } = prepare(options, shell);
          const id = await deploymentId(connection, options.resourceGroup, name);
          const body = bodyWithTemplate(
            { ...properties, whatIfSettings: { resultFormat: options.resultFormat } },
            template,
          );
          const answer = await connection.armRequest("POST", `${id}/whatIf`, API, body);
          if (answer.status >= 400) throw printed(answer.text);
          const result = JSON.parse(answer.text) as { status?: string; properties?: { changes?: ResourceChange[] } };
          const excluded = new Set((options.excludeChangeTypes ?? []).map((type) => type.toLowerCase()));
          const changes = (result.properties?.changes ?? []).filter(
            (change) => !excluded.has(change.changeType.toLowerCase()),
          );
          if (options.prettyPrint === false)
            return { changes: changes.map(changeJson), error: null, status: result.status ?? null };
          // az prints its summary itself, in colour on a terminal, and nothing else.
          const color = shell.colors && !shell.env["AZURE_CORE_NO_COLOR"];
          shell.out(`${formatWhatIf(changes, color)}\n`);
          return undefined;
        }),
    );

  group
    .command("show")
    .description("Get a deployment at resource group.")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .requiredOption("-n, --name <name>", "the deployment name")
    .action((options: { resourceGroup: string; name: string }) =>
      run(async (connection) =>
        deploymentJson(
          await connection.arm<Deployment>(
            "GET",
            await deploymentId(connection, options.resourceGroup, options.name),
            API,
          ),
        ),
      ),
    );

  group
    .command("list")
    .description("List deployments at resource group.")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .action((options: { resourceGroup: string }) =>
      run(async (connection) => {
        const scope = groupScope(await connection.subscriptionId(), options.resourceGroup);
        const { value } = await connection.arm<{ value: Deployment[] }>(
          "GET",
          `${scope}/providers/Microsoft.Resources/deployments`,
          API,
        );
        return value.map((found) => deploymentJson(found));
      }),
    );

  deployment
    .command("operation")
    .description("Manage deployment operations.")
    .command("group")
    .description("Manage deployment operations at resource group.")
    .command("list")
    .description("List deployment operations at resource group.")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .requiredOption("-n, --name <name>", "the deployment name")
    .action((options: { resourceGroup: string; name: string }) =>
      run(async (connection) => {
        // The path az takes: ARM's older road to a group's deployments, without `providers/Microsoft.Resources`.
        const scope = groupScope(await connection.subscriptionId(), options.resourceGroup);
        const { value } = await connection.arm<{ value: Deployment[] }>(
          "GET",
          `${scope}/deployments/${options.name}/operations`,
          API,
        );
        return value.map(({ id, type, properties = {}, ...rest }) => ({
          id,
          operationId: (rest as { operationId?: string }).operationId ?? id.split("/").at(-1),
          properties: {
            duration: properties["duration"] ?? null,
            provisioningOperation: properties["provisioningOperation"] ?? null,
            provisioningState: properties["provisioningState"] ?? null,
            request: null,
            response: null,
            serviceRequestId: null,
            statusCode: properties["statusCode"] ?? null,
            statusMessage: properties["statusMessage"] ?? null,
            targetResource: properties["targetResource"] ?? null,
            timestamp: azDate(properties["timestamp"] as string | undefined),
          },
          type,
        }));
      }),
    );
}
