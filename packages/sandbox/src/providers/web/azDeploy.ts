/**
 * `az webapp deploy --type zip`: a package to a site's deployment service
 * (Kudu), as the Azure CLI does it with basic auth turned off: the site's SCM
 * host from Resource Manager, then `POST https://<site>.scm.<suffix>/api/
 * publish?type=zip` with the signed-in identity's Microsoft Entra token for
 * Resource Manager. The site must let that identity publish
 * (Microsoft.Web/sites/publish/Action: Website Contributor on it is the least).
 */
import { readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import { AzError } from "../../az/connection.ts";
import { type Run, usage } from "../../az/shell.ts";
import { MANAGEMENT_RESOURCE } from "../resources/audiences.ts";
import { siteId, WEB_API } from "./azSite.ts";
import { send } from "../../az/http.ts";

/** The artifact types az webapp deploy takes; the sandbox's deployment service takes zip packages. */
const TYPES = ["war", "jar", "ear", "lib", "startup", "static", "zip"];

export function registerWebAppDeploy(webapp: Command, run: Run): void {
  webapp
    .command("deploy")
    .description("Deploys a provided artifact to Azure Web Apps.")
    .requiredOption("-n, --name <name>", "name of the web app")
    .requiredOption("-g, --resource-group <group>", "name of resource group")
    .requiredOption("--src-path <path>", "path of the artifact to be deployed")
    .option("--type <type>", `used to override the type of artifact being deployed: ${TYPES.join(", ")}`)
    .option("--async <bool>", "whether to wait for the deployment (the sandbox's is always synchronous)")
    .option("--restart <bool>", "restart the app after a successful deployment (it always does here)")
    .option("--clean <bool>", "clean the target folder before deploying (it always is here)")
    .option("--timeout <ms>", "how long to wait for the deployment")
    .action((options: { name: string; resourceGroup: string; srcPath: string; type?: string }) =>
      run(async (connection, shell) => {
        const type = options.type ?? (options.srcPath.toLowerCase().endsWith(".zip") ? "zip" : undefined);
        if (type !== undefined && !TYPES.includes(type))
          throw usage(`argument --type: invalid choice: '${type}' (choose from '${TYPES.join("', '")}')`);
        if (type !== "zip")
          throw usage("The sandbox's deployment service takes zip packages only: --type zip, with a .zip --src-path.");
        let zip: Buffer;
        try {
          const path = shell.file(options.srcPath);
          if (!statSync(path).isFile()) throw new Error();
          zip = readFileSync(path);
        } catch {
          throw new AzError(
            undefined,
            `Either '${options.srcPath}' is not a valid local file path or you do not have permissions to access it`,
          );
        }
        const id = await siteId(connection, options.resourceGroup, options.name);
        const site = await connection.arm<{ properties?: { defaultHostName?: string } }>("GET", id, WEB_API);
        const host = site.properties?.defaultHostName ?? "";
        const scm = host.replace(/^([^.]+)\./, "$1.scm.");
        shell.err(`Initiating deployment\nDeploying from local path: ${options.srcPath}\n`);
        const token = (await connection.credential.getToken(MANAGEMENT_RESOURCE))?.token ?? "";
        const response = await send(`https://${scm}/api/publish?type=zip`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
          body: zip,
        }).catch(() => {
          throw new AzError(
            undefined,
            `Failed to connect to '${scm}': the sandbox's App Service front end does not answer.`,
          );
        });
        const text = await response.text();
        if (!response.ok)
          throw new AzError(
            undefined,
            `An error occured during deployment. Status Code: ${response.status}, Details: ${text}`,
          );
        shell.err("Deployment has completed successfully\n");
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return { status: response.status };
        }
      }),
    );
}
