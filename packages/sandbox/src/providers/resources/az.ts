/**
 * Resource Manager's own command groups: `az group`, `az resource` and `az
 * deployment` (see azGroup.ts and azDeployment.ts).
 */
import type { Command } from "commander";
import type { Run } from "../../az/shell.ts";
import { registerDeployment } from "./azDeployment.ts";
import { registerGroup, registerResource } from "./azGroup.ts";

export function register(az: Command, run: Run): void {
  registerGroup(az, run);
  registerResource(az, run);
  registerDeployment(az, run);
}
