/**
 * What a resource provider gives Resource Manager for each of its resource
 * types: the control plane. Resource Manager (and a template deployment, which
 * goes through the same door) finds the type of an id, checks the caller's
 * role for the operation, and calls the type's handler; the handler checks the
 * body whole before it changes anything, and keeps what it changes in the
 * state store, in the caller's transaction.
 */
import type { Principal } from "../contracts.ts";
import type { ResourceId } from "./resourceId.ts";

/** A resource as ARM shows it: the envelope every type shares, and its own `properties`. */
export interface ArmResource {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly location?: string;
  readonly kind?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly sku?: Readonly<Record<string, unknown>>;
  readonly identity?: Readonly<Record<string, unknown>>;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** The body of a PUT: the envelope's writable parts. */
export interface ResourceBody {
  readonly location?: string;
  readonly kind?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly sku?: Readonly<Record<string, unknown>>;
  readonly identity?: Readonly<Record<string, unknown>>;
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** What some of ARM's errors carry beside their code and message: a template error's position, a deployment's causes. */
export interface ArmErrorExtras {
  readonly target?: string;
  readonly details?: readonly unknown[];
  readonly additionalInfo?: readonly unknown[];
}

/** A control-plane failure, in ARM's words: `{"error": {"code", "message", …}}` with its status. */
export class ArmFailure extends Error {
  override name = "ArmFailure";
  readonly status: number;
  readonly code: string;
  readonly extras: ArmErrorExtras;
  constructor(status: number, code: string, message: string, extras: ArmErrorExtras = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extras = extras;
  }

  /** The `error` member of ARM's answer. */
  body(): { code: string; message: string } & ArmErrorExtras {
    return { code: this.code, message: this.message, ...this.extras };
  }
}

/** Who asks, and how: the caller of Resource Manager (a template deployment passes its deployer). */
export interface ControlRequest {
  readonly id: ResourceId;
  readonly apiVersion: string;
  readonly caller?: Principal;
}

export interface ResourceTypeHandler {
  /** The full type: `Microsoft.KeyVault/vaults`, `Microsoft.KeyVault/vaults/secrets`. */
  readonly type: string;
  /** The api-versions it accepts; any when not given. */
  readonly apiVersions?: readonly string[];
  /**
   * Creates or updates the resource from the whole body, which it checks first
   * (an `ArmFailure` changes nothing); returns what a GET shows afterwards.
   * Runs inside a state transaction.
   */
  put(request: ControlRequest & { readonly body: ResourceBody }): ArmResource;
  /** What a GET shows; undefined when it does not exist. */
  get(id: ResourceId): ArmResource | undefined;
  /** Every resource of this type under a parent id (a resource group, a vault). */
  list(parent: string): ArmResource[];
  /** Deletes it; false when there was nothing to delete. Runs inside a state transaction. */
  delete?(request: ControlRequest): boolean;
  /**
   * Its POST actions, by name (`listKeys`, `list`): what ARM's `POST {id}/{action}` and a
   * template's `list*()` return. An action on a resource that does not exist answers
   * ResourceNotFound (`ResourceManager.existing`), but for those that need none (a deployment's
   * `validate`).
   */
  readonly actions?: Readonly<Record<string, (request: ControlRequest & { readonly body?: unknown }) => unknown>>;
  /**
   * The resource as a template deployment wrote it, with what a GET leaves out but the deployment
   * set (a site's `siteConfig.appSettings`, kept in its `config/appsettings`): what a what-if
   * compares the template with, so that a template redeployed is no change. Never what a GET shows.
   */
  asDeployed?(resource: ArmResource): ArmResource;
  /**
   * What the Activity log says of a change to one, beside its id (a role assignment's role and
   * principal): never a secret value.
   */
  activity?(resource: ArmResource): Readonly<Record<string, string>>;
}
