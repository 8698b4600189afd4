/**
 * What an expression can see while it is evaluated: the deployment's scope,
 * the parameters and variables, the copy loops it is inside, and (only where
 * ARM allows `reference()` and `list*()`, in resource bodies and outputs) the
 * runtime that reads deployed resources.
 */
import type { DeploymentScope } from "./host.ts";
import type { Json, JsonObject } from "./values.ts";

/** Reads the deployed world for `reference()` and `list*()`. */
export interface Runtime {
  reference(target: string, apiVersion: string | undefined, full: boolean): Json;
  invoke(target: string, action: string, apiVersion: string, body: Json | undefined): Json;
}

export interface EvalContext {
  readonly scope: DeploymentScope;
  /** A parameter's value; `reader` is the context reading it, told through `markSecure` when the value is secure. */
  parameter(name: string, reader: EvalContext): Json;
  variable(name: string, reader: EvalContext): Json;
  /** The index of the loop named, or of the innermost resource loop; throws where there is none. */
  copyIndex(loopName: string | undefined): number;
  /** What `deployment()` answers. */
  deployment(): JsonObject;
  /** Undefined where `reference()` and `list*()` are not expected (parameters, variables, names, dependsOn). */
  readonly runtime: Runtime | undefined;
  /** Called when the value being computed came from a secure source (a secure parameter, a `list*()` answer). */
  markSecure(): void;
  /** The copy-loop iterations this deployment may still evaluate: shared by every context of it, so no template can make it work forever. */
  readonly budget: { remaining: number };
}
