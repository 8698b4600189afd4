/**
 * A virtual machine's Instance Metadata Service (IMDS), as far as managed
 * identities go: GET /metadata/identity/oauth2/token?api-version=2018-02-01
 * with the header `Metadata: true`. On Azure it listens on 169.254.169.254,
 * a link-local address only the VM itself reaches; it asks for no secret, so
 * every process on the VM can get a token for every identity attached to it.
 *
 * Neither SDK lets the address be set in code, but both read it from the
 * environment: AZURE_POD_IDENTITY_AUTHORITY_HOST (meant for AKS pod identity)
 * replaces `http://169.254.169.254` in @azure/identity (MSAL Node's IMDS
 * source) and in Python's azure-identity (ImdsCredential), which then also
 * skip their probe of the address. The sandbox's VM is reached that way.
 */
import express, { type Express, type Request } from "express";
import type { AuditSink } from "../../audit/log.ts";
import type { Directory } from "../entra/directory.ts";
import type { ErrorAnswer, ServiceErrors } from "../../http/host.ts";
import { unknownResourceError } from "../entra/errors.ts";
import { apiVersionAtLeast, recordManagedIdentitySignIn, selectIdentity, type HostIdentity } from "./hostIdentity.ts";
import type { TokenIssuer } from "../entra/tokens.ts";
import { resourceOfScope, tokenIdOf } from "../entra/tokenRequests.ts";

/** The path of the token endpoint, after the IMDS address. */
export const IMDS_TOKEN_PATH = "/metadata/identity/oauth2/token";

/** IMDS's error shape for token requests: OAuth's {"error", "error_description"}. */
const oauthError = (
  status: number,
  error: string,
  description: string,
): ErrorAnswer & { body: { error: string; error_description: string } } => ({
  status,
  body: { error, error_description: description },
});

/** What the host answers for IMDS when a request never reaches its route: IMDS's own {"error"}. */
export const imdsErrors: ServiceErrors = {
  notFound: () => ({ status: 404, body: { error: "Not Found" } }),
  badRequest: () => oauthError(400, "invalid_request", "The request could not be read."),
  internal: () => oauthError(500, "unknown", "Failed to retrieve token from the Active directory."),
};

export function createImdsEndpoint(options: {
  readonly issuer: TokenIssuer;
  readonly directory: Directory;
  readonly resources: readonly string[];
  /** The VM's identities: IMDS answers for these, to whoever asks. */
  readonly vm: { readonly name: string; readonly userAssignedIdentities: readonly string[] };
  readonly audit?: AuditSink;
}): Express {
  const { issuer, directory, resources, vm } = options;
  const app = express();
  app.disable("x-powered-by");

  /** IMDS's checks: the SSRF guards first, then the request, then which identity. */
  async function answer(
    req: Request,
  ): Promise<{ status: number; body: object; identity?: HostIdentity; resource?: string; tokenId?: string }> {
    // `Metadata: true`, in lower case, proves the caller meant to call IMDS (a redirected request would not carry it).
    if (req.get("metadata") !== "true")
      return oauthError(400, "invalid_request", "Required metadata header not specified");
    // A request that went through a proxy is refused: IMDS is for the VM itself.
    if (req.get("x-forwarded-for") !== undefined)
      return oauthError(400, "invalid_request", "Request contains the X-Forwarded-For header, which IMDS refuses.");
    if (!apiVersionAtLeast(req.query["api-version"], "2018-02-01"))
      return oauthError(400, "invalid_request", "Invalid api-version: use 2018-02-01 or later.");
    if (typeof req.query["resource"] !== "string" || req.query["resource"] === "")
      return oauthError(400, "invalid_request", "Required audience parameter not specified");
    const selection = selectIdentity(
      req.query,
      { userAssigned: directory.userAssignedOf(vm.userAssignedIdentities) },
      "imds",
    );
    if (!selection.ok) {
      const description =
        selection.problem === "several"
          ? "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"
          : selection.problem === "ambiguous"
            ? "Only one of client_id, object_id or msi_res_id may be specified"
            : `Identity not found (sandbox hint: ${selection.detail}; ${vm.name} has ${vm.userAssignedIdentities.join(", ") || "no identity"})`;
      return oauthError(400, "invalid_request", description);
    }
    const identity = selection.identity;
    const resource = resourceOfScope(req.query["resource"]);
    if (!resources.includes(resource)) {
      const entra = unknownResourceError(resource.slice(0, 256), issuer.tenantId, resources);
      return { ...oauthError(400, "invalid_resource", entra.error_description), identity };
    }
    const now = Math.floor(Date.now() / 1000);
    const lifetime = issuer.defaultLifetimeSeconds;
    const accessToken = await issuer.issue({ audience: resource, objectId: identity.objectId, appId: identity.appId });
    // IMDS writes its numbers as strings.
    const body = {
      access_token: accessToken,
      client_id: identity.appId,
      expires_in: String(lifetime),
      expires_on: String(now + lifetime),
      ext_expires_in: String(lifetime),
      not_before: String(now),
      resource,
      token_type: "Bearer",
    };
    const tokenId = tokenIdOf(accessToken);
    return { status: 200, body, identity, resource, ...(tokenId ? { tokenId } : {}) };
  }

  app.get(IMDS_TOKEN_PATH, async (req, res) => {
    const started = performance.now();
    const outcome = await answer(req);
    res.status(outcome.status).json(outcome.body);
    const description = (outcome.body as { error_description?: unknown }).error_description;
    const failureReason =
      typeof description === "string"
        ? (description.split(" (sandbox hint")[0] ?? description).split(" Trace ID")[0]
        : undefined;
    recordManagedIdentitySignIn(
      options.audit,
      req,
      {
        status: outcome.status,
        ...(outcome.identity ? { identity: outcome.identity } : {}),
        ...(outcome.resource ? { resource: outcome.resource } : {}),
        ...(outcome.tokenId ? { tokenId: outcome.tokenId } : {}),
        ...(failureReason ? { failureReason } : {}),
      },
      started,
    );
  });

  return app;
}
