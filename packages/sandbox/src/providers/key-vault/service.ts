/**
 * Azure Key Vault's secrets data plane (its REST API, as @azure/keyvault-secrets
 * and the other SDKs call it), on the sandbox's one pipeline (src/pipeline.ts):
 * this file says what is Key Vault's own in each of its steps: the vault named
 * in the host, the challenge that tells an SDK where to get a token, the
 * api-versions, the operation table (operations.ts), the checks of a body
 * (validation.ts), and the handlers (handlers.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuditSink } from "../../audit/log.ts";
import type { Authorizer, TokenValidator } from "../../contracts.ts";
import { type Answer, type DataPlane, pipeline } from "../../pipeline.ts";
import * as errors from "./errors.ts";
import { refusal, type VaultCall, type VaultInstance, vaultHandlers } from "./handlers.ts";
import { type VaultOperation, vaultOperation } from "./operations.ts";
import { VAULT_RESOURCE } from "./roles.ts";
import { SECRET_NAME, checkRestore, checkSet, checkUpdate } from "./validation.ts";

export { VAULT_RESOURCE } from "./roles.ts";

/**
 * The resource a vault's challenge names: `https://vault.localhost`, with the vault's port when it
 * is not 443. Azure's vaults answer on 443, so their challenge names `https://vault.azure.net` and
 * every SDK's check (the vault's host ends with `.` + the resource's) passes. The Python SDK
 * compares host *and port* (`urlparse(url).netloc`); the JavaScript and .NET SDKs compare host
 * names only. A resource that carries the port passes both, with no SDK option. The vault accepts
 * tokens for either form.
 */
export function vaultResourceOf(vaultUrl: string): string {
  const port = URL.canParse(vaultUrl) ? new URL(vaultUrl).port : "";
  return port ? `${VAULT_RESOURCE}:${port}` : VAULT_RESOURCE;
}
/** The api-versions accepted, oldest first: the SDKs of the last years. */
const API_VERSIONS = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01"];
const LATEST_API_VERSION = API_VERSIONS.at(-1) ?? "";

export interface VaultOptions {
  /** The vault of that name, when Resource Manager holds one (the first label of the request's host names it). */
  readonly vault: (name: string) => VaultInstance | undefined;
  /** The ARM id recorded for a request that named no vault this sandbox holds. */
  readonly serviceId: string;
  readonly tokens: TokenValidator;
  readonly rbac: Authorizer;
  /** Where the SDK gets its token: `https://localhost:<port>/<tenant>`. */
  readonly authority: () => string;
  readonly issuer: string;
  /** The resource the challenge names: `https://vault.localhost:<port>` (see vaultResourceOf). */
  readonly challengeResource: () => string;
  /** Told of anything unexpected that was thrown (the caller gets a 500 in Key Vault's shape, never the error). */
  readonly onError?: (error: unknown) => void;
  /** Where each request is recorded, as Key Vault's AuditEvent log would show it. */
  readonly audit?: AuditSink;
}

/** A JSON body, as Key Vault reads it whatever its content type. */
function json(call: VaultCall): { ok: true; value: unknown } | { ok: false; answer: Answer } {
  const encoding = call.req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity")
    return { ok: false, answer: refusal(errors.unreadableBody()) };
  try {
    return { ok: true, value: JSON.parse(call.body.toString("utf8")) as unknown };
  } catch {
    return { ok: false, answer: refusal(errors.badJson()) };
  }
}

export function createKeyVault(options: VaultOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  /** The vault a request names: the first label of its host. */
  const nameOf = (req: IncomingMessage) => (req.headers.host ?? "").split(":")[0]?.split(".")[0]?.toLowerCase() ?? "";
  const vaultOf = (call: VaultCall): VaultInstance => {
    const vault = options.vault(nameOf(call.req));
    if (!vault) throw new Error("The vault went away during the request.");
    return vault;
  };
  const handlers = vaultHandlers(vaultOf);
  const challenge = () => ({
    "www-authenticate": `Bearer authorization="${options.authority()}", resource="${options.challengeResource()}"`,
  });
  const unauthorized = (failure: errors.KeyVaultError): Answer => ({ ...refusal(failure), headers: challenge() });

  const vault: DataPlane<VaultOperation> = {
    name: "Azure Key Vault",
    category: "AuditEvent",
    resourceId: (req) => options.vault(nameOf(req))?.resourceId ?? options.serviceId,

    // 1. The first label of the host names the vault: one that Resource Manager holds.
    target: (req) => (options.vault(nameOf(req)) ? undefined : refusal(errors.vaultNotFound(nameOf(req)))),

    // 2. A token for the vault's resource, with or without its port (see vaultResourceOf).
    authenticate: async (_req, authorization) => {
      const check = await options.tokens.validate(authorization, VAULT_RESOURCE);
      if (!check.ok && check.problem === "audience" && check.found === options.challengeResource())
        return options.tokens.validate(authorization, check.found);
      return check;
    },
    afterAuthentication: (_req, query) => {
      const versions = query.getAll("api-version");
      if (versions.length !== 1) return refusal(errors.missingApiVersion());
      const [version = ""] = versions;
      return API_VERSIONS.includes(version)
        ? undefined
        : refusal(errors.unknownApiVersion(version, LATEST_API_VERSION));
    },

    // 3. The operation table, for every route.
    match: (req, method, path) => {
      const match = vaultOperation(method, path);
      if (match.kind === "undecodable") return refusal(errors.badRequestUri());
      if (match.kind === "unsupported") return refusal(errors.unsupportedOperation());
      const secretName = match.secretName ?? "";
      const vault = options.vault(nameOf(req))?.resourceId ?? options.serviceId;
      return {
        operation: match.operation,
        resource: match.operation.scope === "secret" ? `${vault}/secrets/${secretName}` : vault,
        params: {
          ...(match.secretName !== undefined ? { secretName: match.secretName } : {}),
          ...(match.secretVersion !== undefined ? { secretVersion: match.secretVersion } : {}),
        },
      };
    },

    // 4½. The secret's name, and the body checked whole; a restore's secret is named in its backup.
    check: (call) => {
      const { operation } = call;
      if (operation.scope === "secret" && !SECRET_NAME.test(call.params["secretName"] ?? ""))
        return refusal(errors.badName(call.params["secretName"] ?? ""));
      const validate = { "Set Secret": checkSet, "Update Secret": checkUpdate, "Restore Secret": checkRestore }[
        operation.name as "Set Secret" | "Update Secret" | "Restore Secret"
      ];
      if (!validate) return call;
      const body = json(call);
      if (!body.ok) return body.answer;
      const checked = validate(body.value);
      if (!checked.ok) return refusal(checked.error);
      if (operation.scope !== "backup") return { ...call, parsed: checked.value };
      const backup = checked.value as { readonly name: string };
      return { ...call, parsed: checked.value, resource: `${vaultOf(call).resourceId}/secrets/${backup.name}` };
    },

    // 6. The operation.
    handle: (call) => handlers[call.operation.name](call),

    errors: {
      badTarget: () => refusal(errors.badRequestUri()),
      missingToken: () => unauthorized(errors.missingToken()),
      invalidToken: (_req, check) =>
        unauthorized(errors.invalidToken(check, { audience: options.challengeResource(), issuer: options.issuer })),
      forbidden: (req, { principal, action, resource }) => {
        const vault = options.vault(nameOf(req));
        return refusal(
          errors.forbiddenByRbac({
            ...(principal.appId ? { appId: principal.appId } : {}),
            objectId: principal.objectId,
            issuer: options.issuer,
            action,
            resource,
            vault: vault?.name ?? nameOf(req),
            location: vault?.location ?? "",
          }),
        );
      },
      badBody: (_req, reason, operation) =>
        refusal(
          reason === "body"
            ? errors.badJson()
            : operation.name === "Set Secret"
              ? errors.valueTooLarge()
              : errors.requestTooLarge(`${Math.round((operation.bodyLimit ?? 0) / 1024)} KB`),
        ),
      internal: () => refusal(errors.internalError()),
    },
    ...(options.onError ? { onError: options.onError } : {}),
  };
  return pipeline(vault, { rbac: options.rbac, ...(options.audit ? { audit: options.audit } : {}) });
}
