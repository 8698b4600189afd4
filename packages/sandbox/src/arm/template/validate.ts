/**
 * `az deployment group validate` (and the check `az deployment group create`
 * sends first): the plan, and nothing else. A template Azure would refuse
 * throws a TemplateError, whose `toArmError()` is the 400 answer's body.
 */
import { deploymentId } from "./deploy.ts";
import type { TemplateHost } from "./host.ts";
import { describeParameters } from "./parameters.ts";
import { createPlan, type DeploymentRequest } from "./plan.ts";
import type { JsonObject } from "./values.ts";

export function validate(
  request: DeploymentRequest,
  host: TemplateHost,
  now: () => Date = () => new Date(),
): JsonObject {
  const plan = createPlan(request, host);
  return plan.secrets.scrub({
    id: deploymentId(host),
    name: host.scope.deploymentName,
    type: "Microsoft.Resources/deployments",
    properties: {
      templateHash: plan.templateHash,
      parameters: describeParameters(plan.parameters),
      mode: "Incremental",
      provisioningState: "Succeeded",
      timestamp: now().toISOString(),
      duration: "PT0S",
      correlationId: "00000000-0000-0000-0000-000000000000",
      validatedResources: plan.order.map((instance) => ({ id: instance.id })),
      dependencies: plan.order
        .filter((instance) => (plan.dependsOn.get(instance)?.size ?? 0) > 0)
        .map((instance) => ({
          dependsOn: [...(plan.dependsOn.get(instance) ?? [])].map((other) => ({
            id: other.id,
            resourceType: other.type,
            resourceName: other.name,
          })),
          id: instance.id,
          resourceType: instance.type,
          resourceName: instance.name,
        })),
    },
  });
}
