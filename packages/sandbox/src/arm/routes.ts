/**
 * Resource Manager's REST API for every resource, whatever its provider:
 *
 *   GET    {id}                        the resource            (az resource show, az webapp show, …)
 *   GET    {parent}/{type}             the resources of a type (az resource list, az role assignment list, …)
 *   GET    {group}/resources           everything in a group
 *   PUT    {id}                        create or replace       (az … create, a template deployment)
 *   PATCH  {id}                        change what is given
 *   DELETE {id}                        delete
 *   POST   {id}/{action}               an action: listKeys, config/appsettings/list, validate, whatIf
 *
 * The caller was authenticated before (a token for the management resource);
 * ResourceManager checks its role for each operation.
 */
import type { Request, Response } from "express";
import type { Principal } from "../contracts.ts";
import type { Deployments } from "../providers/resources/deployments.ts";
import type { ResourceManager } from "./resourceManager.ts";
import { parseResourceId } from "./resourceId.ts";
import { ArmFailure, type ResourceBody } from "./resourceType.ts";

/** ARM's error body, for a failure; anything else is thrown on, to the host's 500. */
function sendFailure(res: Response, error: unknown): void {
  if (!(error instanceof ArmFailure)) throw error;
  res.status(error.status).json({ error: { code: error.code, message: error.message } });
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** A PATCH's body over what is there: objects merged, everything else replaced. */
function merge(current: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(change)) {
    merged[key] =
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? merge(record(current[key]), record(value))
        : value;
  }
  return merged;
}

/** A collection's parent and type: `{group}/providers/Microsoft.Web/sites` lists the sites in the group. */
function collectionOf(path: string): { parent: string; type: string } | undefined {
  const segments = path.replace(/\/+$/, "").split("/");
  const last = segments.pop() ?? "";
  const parentPath = segments.join("/");
  if (segments.at(-2)?.toLowerCase() === "providers") {
    const namespace = segments.pop() ?? "";
    segments.pop();
    return { parent: segments.join("/"), type: `${namespace}/${last}` };
  }
  const parent = parseResourceId(parentPath);
  if (!parent) return undefined;
  if (last.toLowerCase() === "resourcegroups" && parent.type === "Microsoft.Resources/subscriptions")
    return { parent: parentPath, type: "Microsoft.Resources/resourceGroups" };
  return { parent: parentPath, type: `${parent.type}/${last}` };
}

export function armRoutes(
  arm: ResourceManager,
  deployments: Deployments,
): (req: Request, res: Response, next: () => void) => Promise<void> {
  return async (req, res, next) => {
    const path = req.path.replace(/\/+$/, "");
    if (!/^\/subscriptions\/[^/]+\/(resourcegroups|providers)\//i.test(`${path}/`)) return next();
    const caller = res.locals["principal"] as Principal;
    const apiVersion = String(req.query["api-version"] ?? "");
    try {
      switch (req.method) {
        case "GET": {
          if (/\/resourcegroups\/[^/]+\/resources$/i.test(path)) {
            res.json({ value: arm.listAll(path.replace(/\/resources$/i, ""), caller) });
            return;
          }
          const id = parseResourceId(path);
          if (id && arm.handlerOf(id.type)) {
            res.json(arm.get(path, caller, apiVersion));
            return;
          }
          const collection = collectionOf(path);
          if (!collection) return next();
          res.json({ value: arm.list(collection.parent, collection.type, caller) });
          return;
        }
        case "PUT":
        case "PATCH": {
          const id = arm.parse(path);
          const given = record(req.body) as ResourceBody;
          if (id.type.toLowerCase() === "microsoft.resources/deployments") {
            res.status(201).json(await deployments.create(path, req.body, caller));
            return;
          }
          const body =
            req.method === "PATCH"
              ? (merge(record(arm.get(path, caller, apiVersion)), record(given)) as ResourceBody)
              : given;
          const { resource, created } = arm.put(path, body, caller, apiVersion);
          res.status(created ? 201 : 200).json(resource);
          return;
        }
        case "DELETE": {
          const deleted = arm.delete(path, caller, apiVersion);
          res.status(deleted ? 200 : 204).end();
          return;
        }
        case "POST": {
          const segments = path.split("/");
          // `config/appsettings/list` is the action `list` on `…/config/appsettings`.
          const action = segments.pop() ?? "";
          const id = segments.join("/");
          if (action.toLowerCase() === "whatif" && /\/deployments\/[^/]+$/i.test(id)) {
            res.json(await deployments.whatIf(id, req.body, caller));
            return;
          }
          res.json(arm.invoke(id, action, caller, req.body, apiVersion) ?? {});
          return;
        }
        default:
          res
            .status(405)
            .json({ error: { code: "MethodNotAllowed", message: `${req.method} is not supported here.` } });
      }
    } catch (error) {
      sendFailure(res, error);
    }
  };
}
