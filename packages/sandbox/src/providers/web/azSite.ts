/** What `az webapp` and `az functionapp` share: Microsoft.Web's api-version, and where a site is. */
import type { Connection } from "../../az/connection.ts";
import { groupScope } from "../../az/shell.ts";

/** The Microsoft.Web api-version the commands call (what Azure CLI 2.6x sends). */
export const WEB_API = "2024-11-01";

/** `{group}/providers/Microsoft.Web/sites/{name}`, in the subscription az is signed in to. */
export const siteId = async (connection: Connection, group: string, name: string) =>
  `${groupScope(await connection.subscriptionId(), group)}/providers/Microsoft.Web/sites/${name}`;
