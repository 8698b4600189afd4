/**
 * `az deployment group what-if`: what the deployment would change, changing
 * nothing. Each resource of the template is evaluated against the world as
 * it is now and compared with what the host holds (`Create`, `Modify`,
 * `NoChange`); a resource the group holds that the template leaves alone is
 * `Ignore` (incremental mode deletes nothing). A value that reads a resource
 * not deployed yet stays an expression, and is no change; a condition that
 * cannot be known until then makes the resource `Unsupported`, with Azure's
 * reason. The answer is Azure's WhatIfOperationResult, which the Azure CLI
 * prints as "Resource changes: 1 to create, 1 to modify, 3 no change."
 */
import { diffResource, type PropertyChange } from "./delta.ts";
import type { TemplateHost } from "./host.ts";
import { createPlan, type DeploymentRequest, evaluateBody, evaluateCondition } from "./plan.ts";
import { createRuntime, type LookupCache, withLookups } from "./runtime.ts";
import { maskPaths } from "./secrets.ts";
import { clone, type Json, type JsonObject } from "./values.ts";
import { newTracking, RUN_BUDGET, Unresolved } from "./walk.ts";

export type ChangeType = "Create" | "Delete" | "Ignore" | "Deploy" | "NoChange" | "Modify" | "Unsupported";

export interface WhatIfChange {
  readonly resourceId: string;
  readonly changeType: ChangeType;
  readonly unsupportedReason?: string;
  readonly before?: JsonObject;
  readonly after?: JsonObject;
  readonly delta?: PropertyChange[];
}

export interface WhatIfResult {
  readonly status: "Succeeded";
  readonly properties: { readonly changes: WhatIfChange[] };
}

export async function whatIf(request: DeploymentRequest, host: TemplateHost): Promise<WhatIfResult> {
  const plan = createPlan(request, host);
  plan.context.budget.remaining = RUN_BUDGET;
  // Nothing changes during a what-if, so one cache serves every resource.
  const cache: LookupCache = new Map();
  const runtime = createRuntime("whatIf", host, plan.instances, cache, plan.secrets);
  const changes: WhatIfChange[] = [];
  const inTemplate = new Set<string>();

  for (const instance of plan.instances) {
    inTemplate.add(instance.id.toLowerCase());
    const ctx = { ...instance.ctx, runtime };
    let condition: boolean;
    try {
      condition = await withLookups(() => evaluateCondition(instance, ctx), cache);
    } catch (error) {
      if (!(error instanceof Unresolved)) throw error;
      changes.push({
        resourceId: instance.id,
        changeType: "Unsupported",
        unsupportedReason: `Changes to the resource declared at line '${instance.at.line}' and column '${instance.at.column}' cannot be analyzed because its condition cannot be calculated until the deployment is under way. Please see https://aka.ms/WhatIfUnidentifiableResource for more guidance.`,
      });
      continue;
    }
    if (!condition) continue;
    const track = newTracking();
    const body = await withLookups(() => evaluateBody(instance, ctx, track), cache);
    const after = maskPaths(
      clone({
        id: instance.id,
        name: instance.name,
        type: instance.type,
        apiVersion: instance.apiVersion,
        ...body,
      } as JsonObject),
      track.secure,
    ) as JsonObject;
    const stored = await host.get(instance.id, instance.apiVersion);
    if (stored === undefined) {
      changes.push({ resourceId: instance.id, changeType: "Create", after });
      continue;
    }
    // A property the template fills from a secure source is secure in what the host holds too.
    const before = maskPaths({ apiVersion: instance.apiVersion, ...clone(stored) }, track.secure) as JsonObject;
    const delta = diffResource(before, after, [...track.unknown, ...track.secure]);
    const changed = delta.some((change) => change.propertyChangeType !== "NoEffect");
    changes.push({
      resourceId: instance.id,
      changeType: changed ? "Modify" : "NoChange",
      before,
      after,
      ...(changed ? { delta } : {}),
    });
  }

  for (const resource of await host.list()) {
    const id = typeof resource["id"] === "string" ? resource["id"] : "";
    if (id !== "" && !inTemplate.has(id.toLowerCase()))
      changes.push({ resourceId: id, changeType: "Ignore", before: clone(resource) });
  }
  return plan.secrets.scrub({
    status: "Succeeded",
    properties: { changes },
  } as unknown as Json) as unknown as WhatIfResult;
}
