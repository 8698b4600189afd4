/**
 * The REST calls `az` commands make with the signed-in identity's token, as
 * the Azure CLI makes them: Microsoft Graph (`az ad …`) and Resource Manager.
 * A refusal is printed as the CLI prints it: Graph's message alone, ARM's
 * `(code) message`.
 */
import { MANAGEMENT_RESOURCE } from "../providers/resources/audiences.ts";
import { AzError, type Connection } from "./connection.ts";
import { send } from "./http.ts";

async function call(
  connection: Connection,
  resource: string,
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const token = (await connection.credential.getToken(`${resource}/.default`))?.token ?? "";
  const response = await send(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).catch(() => {
    throw new AzError(
      undefined,
      "The sandbox is not running. Start it with npm start in another terminal, then try again.",
    );
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed };
}

/** Microsoft Graph, `/v1.0<path>`: the object (or `value` of a list) it answers. */
export async function graph<T>(connection: Connection, method: string, path: string, body?: unknown): Promise<T> {
  const base = connection.endpoints.graph;
  const answer = await call(connection, base, `${base}/v1.0${path}`, method, body);
  if (answer.status >= 400) {
    const message = (answer.body as { error?: { message?: string } } | undefined)?.error?.message;
    throw new AzError(undefined, message ?? `Microsoft Graph answered ${answer.status}.`);
  }
  const value = (answer.body as { value?: unknown } | undefined)?.value;
  return (Array.isArray(value) ? value : answer.body) as T;
}

/** Resource Manager: `<id>?api-version=<version>`. */
export async function arm<T>(
  connection: Connection,
  method: string,
  id: string,
  apiVersion: string,
  body?: unknown,
): Promise<T> {
  const url = `${connection.endpoints.resourceManager}${id}?api-version=${apiVersion}`;
  const answer = await call(connection, MANAGEMENT_RESOURCE, url, method, body);
  if (answer.status >= 400) {
    const error = (answer.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new AzError(error?.code, error?.message ?? `Resource Manager answered ${answer.status}.`);
  }
  return answer.body as T;
}
