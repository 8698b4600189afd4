/**
 * Resource Manager's REST API for every resource, whatever its provider:
 *
 *   GET    {id}                        the resource            (az resource show, az webapp show, …)
 *   HEAD   {id}                        204 if it exists, 404 if not (az group exists)
 *   GET    {parent}/{type}             the resources of a type (az role assignment list, az identity list, …)
 *   GET    {group}/resources           everything in a group   (az resource list -g)
 *   GET    {subscription}/resources    everything in the subscription (az resource list)
 *   PUT    {id}                        create or replace       (az … create, a template deployment)
 *   PATCH  {id}                        change what is given
 *   DELETE {id}                        delete                  (a group: with everything in it)
 *   POST   {id}/{action}               an action: listKeys, config/appsettings/list, validate, whatIf
 *
 * and a deployment's own: its PUT answers with the `Azure-AsyncOperation` URL
 * a client polls (`…/deployments/{name}/operationStatuses/{id}`), as ARM's
 * long-running operations do.
 *
 * The caller was authenticated before (a token for the management resource);
 * ResourceManager checks its role for each operation.
 */
import type { Request, Response } from "express";
import type { Principal } from "../contracts.ts";
import type { Deployments } from "../providers/resources/deployments.ts";
import { resourceManagerErrors } from "./errors.ts";
import { odataFilter } from "./odataFilter.ts";
import { readRequestBody, type RequestBody, TemplateText } from "./requestBody.ts";
import type { ResourceManager } from "./resourceManager.ts";
import { parseResourceId } from "./resourceId.ts";
import { ArmFailure, type ResourceBody } from "./resourceType.ts";

/** ARM's error body, for a failure; anything else is thrown on, to the host's 500. */
function sendFailure(res: Response, error: unknown): void {
  if (!(error instanceof ArmFailure)) throw error;
  res.status(error.status).json({ error: error.body() });
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

/**
 * ARM's older road to a group's deployments, `{group}/deployments/{name}[/operations]`, which the
 * Azure CLI still takes for a deployment's operations: the same resources as
 * `{group}/providers/Microsoft.Resources/deployments/…`.
 */
const withDeploymentsProvider = (path: string) =>
  path.replace(
    /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+)\/deployments(\/|$)/i,
    "$1/providers/Microsoft.Resources/deployments$2",
  );

const DEPLOYMENT = /\/providers\/Microsoft\.Resources\/deployments\/[^/]+$/i;
const OPERATION_STATUS = /^(.*\/providers\/Microsoft\.Resources\/deployments\/[^/]+)\/operationStatuses\/[^/]+$/i;

/** A deployment request's body, its template as the text it was sent as (its positions are the file's, for az). */
function deploymentBody(body: RequestBody): unknown {
  const value = record(body.value);
  const properties = record(value["properties"]);
  const text = body.textOf(["properties", "template"]);
  if (text === undefined || typeof properties["template"] !== "object") return value;
  return { ...value, properties: { ...properties, template: new TemplateText(text) } };
}

export function armRoutes(
  arm: ResourceManager,
  deployments: Deployments,
): (req: Request, res: Response, next: () => void) => Promise<void> {
  return async (req, res, next) => {
    const path = withDeploymentsProvider(req.path.replace(/\/+$/, ""));
    const inSubscription = /^\/subscriptions\/[^/]+\/(resourcegroups|providers)\//i.test(`${path}/`);
    const subscriptionResources = /^\/subscriptions\/[^/]+\/resources$/i.test(path);
    if (!inSubscription && !subscriptionResources) return next();
    const caller = res.locals["principal"] as Principal;
    const apiVersion = String(req.query["api-version"] ?? "");
    const body = readRequestBody(typeof req.body === "string" ? req.body : "");
    if (!body) {
      const answer = resourceManagerErrors.badRequest("body", req);
      res.status(answer.status).json(answer.body);
      return;
    }
    try {
      switch (req.method) {
        case "GET": {
          if (subscriptionResources || /\/resourcegroups\/[^/]+\/resources$/i.test(path)) {
            const scope = path.replace(/\/resources$/i, "");
            res.json({ value: arm.listAll(scope, caller).filter(odataFilter(req.query["$filter"], scope)) });
            return;
          }
          const status = OPERATION_STATUS.exec(path);
          if (status) {
            res.json(deployments.status(status[1] ?? "", caller));
            return;
          }
          // A resource's id (a type no provider serves is ARM's NoRegisteredProviderFound), else a collection.
          if (parseResourceId(path)) {
            res.json(arm.get(path, caller, apiVersion));
            return;
          }
          const collection = collectionOf(path);
          if (!collection) return next();
          const matches = odataFilter(req.query["$filter"], collection.parent);
          res.json({ value: arm.list(collection.parent, collection.type, caller).filter(matches) });
          return;
        }
        case "HEAD": {
          res.status(arm.checkExistence(path, caller) ? 204 : 404).end();
          return;
        }
        case "PUT":
        case "PATCH": {
          const id = arm.parse(path);
          if (DEPLOYMENT.test(id.id) && req.method === "PUT") {
            const { deployment, created, operation } = await deployments.create(path, deploymentBody(body), caller);
            // Where a client polls the deployment's progress (done already: it ran before this answer).
            const host = `${req.protocol}://${req.get("host") ?? "localhost"}`;
            res.setHeader(
              "azure-asyncoperation",
              `${host}${id.id}/operationStatuses/${operation}?api-version=${encodeURIComponent(apiVersion)}`,
            );
            res.status(created ? 201 : 200).json(deployment);
            return;
          }
          const given = record(body.value) as ResourceBody;
          // A PATCH merges over the resource as it is kept (a GET leaves out what only an action shows: settings' values).
          const current = () => {
            // The caller must be allowed to read it, and it must exist (ResourceNotFound otherwise).
            arm.get(path, caller, apiVersion);
            return arm.findAsDeployed(path);
          };
          const merged = req.method === "PATCH" ? (merge(record(current()), record(given)) as ResourceBody) : given;
          const { resource, created } = arm.put(path, merged, caller, apiVersion);
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
          if (DEPLOYMENT.test(id) && /^(whatIf|validate)$/i.test(action)) {
            const request = deploymentBody(body);
            res.json(
              action.toLowerCase() === "whatif"
                ? await deployments.whatIf(id, request, caller)
                : deployments.validate(id, request, caller),
            );
            return;
          }
          res.json(arm.invoke(id, action, caller, body.value, apiVersion) ?? {});
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
