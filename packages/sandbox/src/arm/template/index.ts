/**
 * The ARM template engine: Azure Resource Manager's template language,
 * offline, with no HTTP and no storage of its own. Resource Manager's
 * deployments API calls these three, each with the host that deploys:
 *
 * - `validate(request, host)`: what `POST …/deployments/{name}/validate` answers;
 * - `whatIf(request, host)`: what `POST …/deployments/{name}/whatIf` answers;
 * - `deploy(request, host)`: the deployment and its operations, for `PUT …/deployments/{name}`.
 *
 * Each throws a `TemplateError` (HTTP 400, `toArmError()` is the body) for a
 * template or parameters Azure would refuse, before any change.
 */
export { deploy, type DeploymentOutcome, type DeployOptions } from "./deploy.ts";
export type { ArmErrorBody, Position } from "./errors.ts";
export { TemplateError } from "./errors.ts";
export { supportedFunctionNames } from "./functions/index.ts";
export { ARM_GUID_NAMESPACE, guid, uniqueString } from "./functions/hashes.ts";
export type { DeploymentScope, ResourcePut, StoredResource, TemplateHost } from "./host.ts";
export { HostError } from "./host.ts";
export type { DeploymentRequest } from "./plan.ts";
export { SECURE_MASK } from "./secrets.ts";
export { validate } from "./validate.ts";
export type { Json, JsonObject } from "./values.ts";
export { type ChangeType, type WhatIfChange, type WhatIfResult, whatIf } from "./whatif.ts";
export type { PropertyChange } from "./delta.ts";
