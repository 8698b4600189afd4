/**
 * azure/login, played as its source does it (Azure/login: src/main.ts,
 * common/LoginConfig.ts, Cli/AzureCliLogin.ts; @actions/core's oidc-utils.ts),
 * with the same log lines and the same failures:
 *
 * 1. read the inputs (`client-id`, `tenant-id`, `subscription-id`, or `creds`)
 *    and check them: a service principal needs a client id and a tenant id,
 *    and a subscription id unless `allow-no-subscriptions`;
 * 2. `az cloud set -n azurecloud` (the sandbox is the only cloud here: printed, not run);
 * 3. with no client secret, OIDC: `core.getIDToken(audience)` sends
 *    `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=api%3A%2F%2FAzureADTokenExchange`
 *    with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` and reads
 *    `{"value"}`; a job without `id-token: write` has no such variables, and
 *    fails with "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable";
 * 4. `az login --service-principal --username <client-id> --tenant <tenant-id>
 *    --federated-token <token>`, its errors shown as the action shows them;
 * 5. `az account set --subscription <subscription-id>`.
 *
 * Its post step, at the job's end: `az account clear`.
 */
import type { ActionContext, PlayedAction } from "./action.ts";

const SUPPORTED_CLOUDS = ["azureusgovernment", "azurechinacloud", "azuregermancloud", "azurecloud", "azurestack"];
const README =
  "Double check if the 'auth-type' is correct. Refer to https://github.com/Azure/login#readme for more information.";

/** A failure of the login, printed as the action prints an Error: `Error: <message>`. */
class LoginError extends Error {}

/** `core.getIDToken(audience)`, as @actions/core's OidcClient does it, with its errors' words. */
async function getIDToken(env: Readonly<Record<string, string>>, audience: string): Promise<string> {
  try {
    let url = env["ACTIONS_ID_TOKEN_REQUEST_URL"];
    if (!url) throw new Error("Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable");
    const token = env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"];
    if (!token) throw new Error("Unable to get ACTIONS_ID_TOKEN_REQUEST_TOKEN env variable");
    if (audience) url = `${url}&audience=${encodeURIComponent(audience)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: "application/json", "user-agent": "actions/oidc-client" },
      });
    } catch {
      // The HTTP client's error has neither a status nor a body: the toolkit reads `.message` of nothing.
      throw new Error("Cannot read properties of undefined (reading 'message')");
    }
    const text = await response.text();
    type Answer = { value?: unknown; message?: unknown } | null;
    let body: Answer = null;
    try {
      body = JSON.parse(text) as Answer;
    } catch {
      body = null;
    }
    if (!response.ok) {
      if (body === null) throw new Error("Cannot read properties of null (reading 'message')");
      throw new Error(
        `Failed to get ID Token. \n \n        Error Code : ${response.status}\n \n        Error Message: ${String(body.message)}`,
      );
    }
    if (typeof body?.value !== "string" || body.value === "")
      throw new Error("Response json body do not have ID Token field");
    return body.value;
  } catch (error) {
    throw new LoginError(`Error message: ${(error as Error).message}`);
  }
}

/** The token's claims azure/login prints (its jwtParser); undefined when one is missing. */
function tokenDetails(token: string): string[] | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64").toString("utf8")) as Record<
      string,
      unknown
    >;
    const wanted = ["iss", "sub", "aud", "job_workflow_ref"].map((claim) => claims[claim]);
    return wanted.every((value) => value) ? wanted.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** `@actions/exec` with azure/login's stderr listener: each error line an annotation, `ERROR: ` cut off. */
async function az(context: ActionContext, azPath: string, args: readonly string[]): Promise<void> {
  const result = await context.exec(azPath, args, { silent: true });
  const error = result.stderr;
  if (error.trim() !== "" && !error.toLowerCase().startsWith("warning"))
    context.log.error(error.toLowerCase().startsWith("error") ? error.slice(7).trimEnd() : error.trimEnd());
  if (result.code !== 0) throw new LoginError(`The process '${azPath}' failed with exit code ${result.code}`);
}

async function login(context: ActionContext): Promise<void> {
  const { inputs, log } = context;
  const environment = (inputs["environment"] ?? "").toLowerCase();
  const authType = (inputs["auth-type"] ?? "").toUpperCase();
  const allowNoSubscriptions = (inputs["allow-no-subscriptions"] ?? "").toLowerCase() === "true";
  let clientId = inputs["client-id"] ?? "";
  let tenantId = inputs["tenant-id"] ?? "";
  let subscriptionId = inputs["subscription-id"] ?? "";
  let secret: string | undefined;
  const creds = inputs["creds"] ?? "";
  if (creds !== "" && authType === "SERVICE_PRINCIPAL") {
    let parsed: Record<string, string>;
    try {
      parsed = JSON.parse(creds) as Record<string, string>;
    } catch (error) {
      throw new LoginError(`${(error as Error).message}`);
    }
    if (clientId || tenantId || subscriptionId)
      log.warning(
        "At least one of the parameters 'client-id', 'subscription-id' or 'tenant-id' is set. 'creds' will be ignored.",
      );
    else {
      clientId = parsed["clientId"] ?? "";
      secret = parsed["clientSecret"];
      tenantId = parsed["tenantId"] ?? "";
      subscriptionId = parsed["subscriptionId"] ?? "";
      if (!clientId || !secret || !tenantId)
        throw new LoginError(
          "Not all parameters are provided in 'creds'. Double-check if all keys are defined in 'creds': 'clientId', 'clientSecret', 'tenantId'.",
        );
    }
  }
  if (clientId) log.mask(clientId);
  if (secret) log.mask(secret);
  // LoginConfig.validate()
  if (!SUPPORTED_CLOUDS.includes(environment))
    throw new LoginError(
      `Unsupported value '${environment}' for environment is passed. The list of supported values for environment are '${SUPPORTED_CLOUDS.join("', '")}'. `,
    );
  if (authType !== "SERVICE_PRINCIPAL" && authType !== "IDENTITY")
    throw new LoginError(
      `Unsupported value '${authType}' for authentication type is passed. The list of supported values for auth-type are 'SERVICE_PRINCIPAL', 'IDENTITY'.`,
    );
  if (authType === "SERVICE_PRINCIPAL" && (!clientId || !tenantId))
    throw new LoginError(
      "Using auth-type: SERVICE_PRINCIPAL. Not all values are present. Ensure 'client-id' and 'tenant-id' are supplied.",
    );
  if (!subscriptionId && !allowNoSubscriptions)
    throw new LoginError("Ensure 'subscription-id' is supplied or 'allow-no-subscriptions' is 'true'.");
  if ((inputs["enable-AzPSSession"] ?? "").toLowerCase() === "true")
    throw new LoginError("The rehearsal has no Azure PowerShell: set enable-AzPSSession to false (the default).");

  // AzureCliLogin.login()
  log.line("Running Azure CLI Login.");
  const azPath = context.which("az");
  if (!azPath)
    throw new LoginError(
      "Unable to locate executable file: az. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also check the file mode to verify the file is executable.",
    );
  if (environment !== "azurecloud")
    throw new LoginError(
      `The rehearsal's cloud is the sandbox, played as azurecloud: environment '${environment}' is not played.`,
    );
  // The sandbox is the one cloud its az knows: the command is shown, as the action's log shows it.
  log.line(`${azPath} cloud set -n ${environment}`);
  log.line(`Done setting cloud: "${environment}"`);
  const args = ["--service-principal", "--username", clientId, "--tenant", tenantId];
  let method: string;
  if (authType === "IDENTITY") {
    method = clientId ? "user-assigned managed identity" : "system-assigned managed identity";
    args.splice(0, args.length, "--identity");
  } else if (secret !== undefined) {
    log.line(
      "Note: Azure/login action also supports OIDC login mechanism. Refer https://github.com/azure/login#configure-a-service-principal-with-a-federated-credential-to-use-oidc-based-authentication for more details.",
    );
    args.push(`--password=${secret}`);
    method = "service principal with secret";
  } else {
    // LoginConfig.getFederatedToken()
    let token: string;
    try {
      token = await getIDToken(context.env, inputs["audience"] ?? "");
      log.mask(token);
    } catch (error) {
      log.error(
        "Failed to fetch federated token from GitHub. Please make sure to give write permissions to id-token in the workflow.",
      );
      throw error;
    }
    const details = tokenDetails(token);
    if (details)
      log.line(
        `Federated token details:\n issuer - ${details[0]}\n subject claim - ${details[1]}\n audience - ${details[2]}\n job_workflow_ref - ${details[3]}`,
      );
    else log.warning("Failed to parse the federated token. Error: a claim is missing from the token payload");
    args.push("--federated-token", token);
    method = "OIDC";
  }
  log.line(`Attempting Azure CLI login by using ${method}...`);
  if (allowNoSubscriptions) args.push("--allow-no-subscriptions");
  await az(context, azPath, ["login", ...args]);
  if (subscriptionId) {
    await az(context, azPath, ["account", "set", "--subscription", subscriptionId]);
    log.line("Subscription is set successfully.");
  }
  log.line(`Azure CLI login succeeds by using ${method}.`);
}

export const azureLogin: PlayedAction = {
  repository: "azure/login",
  majors: ["v2", "v3"],
  inputs: {
    creds: "",
    "client-id": "",
    "tenant-id": "",
    "subscription-id": "",
    "enable-AzPSSession": "false",
    environment: "azurecloud",
    "allow-no-subscriptions": "false",
    audience: "api://AzureADTokenExchange",
    "auth-type": "SERVICE_PRINCIPAL",
  },
  async main(context) {
    try {
      if (context.env["AZURE_LOGIN_PRE_CLEANUP"] === "true") await clear(context);
      await login(context);
      return true;
    } catch (error) {
      // `${error}`, as the action writes it: "Error: <message>".
      context.log.error(`Login failed with ${String(error)}. ${README}`);
      return false;
    }
  },
  async post(context) {
    // post-if: (!env.AZURE_LOGIN_POST_CLEANUP || env.AZURE_LOGIN_POST_CLEANUP != 'false')
    if ((context.env["AZURE_LOGIN_POST_CLEANUP"] ?? "").toLowerCase() === "false") return;
    try {
      await clear(context);
    } catch (error) {
      context.log.warning(`Login cleanup failed with ${String(error)}. Cleanup will be skipped.`);
    }
  },
};

/** cleanupAzCLIAccounts(): `az account clear`, shown as @actions/exec shows a command. */
async function clear(context: ActionContext): Promise<void> {
  const azPath = context.which("az");
  if (!azPath) throw new LoginError("Unable to locate executable file: az.");
  context.log.line("Clearing azure cli accounts from the local cache.");
  context.log.line(`[command]${azPath} account clear`);
  const result = await context.exec(azPath, ["account", "clear"], { silent: true });
  if (result.code !== 0) throw new LoginError(`The process '${azPath}' failed with exit code ${result.code}`);
}
