/**
 * The tenant file (`tenant.json`): what lives outside Resource Manager. On
 * Azure a template cannot create any of it: the directory's users and app
 * registrations (Microsoft Graph's), the subscription itself, the keys the
 * third party's Functions host issued, the apps learners run on their own
 * machines, and the other hosts' machines. Everything else (the vault and its
 * secret, the storage account and its queue, the sites, their settings and
 * identities, the role assignments) comes from the deployment it names:
 * `infra/main.json` with `infra/sandbox.parameters.json`, provisioned into
 * the resource store (provisioning.ts).
 *
 * It is checked when read: a field of the wrong shape is named, with what
 * was expected, before anything starts.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a lower-case GUID");
const name = z.string().min(1);

const servicePrincipal = z.object({
  displayName: name,
  appId: guid,
  objectId: guid,
  secret: name,
});

const user = z.object({
  userPrincipalName: z.string().regex(/^[^@\s]+@[^@\s]+$/, "a user principal name (name@domain)"),
  objectId: guid,
  /** Only a user with a password can sign in with one (the real `az login -u ... -p ...`). */
  password: name.optional(),
});

/** An exercise's app: a site like one of the template's, with its own identity and no role. */
const exerciseApp = z
  .object({
    name,
    /** The template's site whose settings it gets (`keyless-step-03`). */
    like: name,
    /** A system-assigned managed identity of its own. */
    identity: z.literal("system").optional(),
    /** Or the service principal whose client secret its settings hold (step 02's way). */
    signsInAs: name.optional(),
  })
  .refine((app) => (app.identity === undefined) !== (app.signsInAs === undefined), {
    message: 'give it either identity: "system" or signsInAs: <a service principal>',
  });

const schema = z.object({
  tenant: z.object({ id: guid, alias: name }),
  subscription: z.object({ id: guid, name }),
  /** The deployment that provisions the world: `az deployment group create` with these. */
  deployment: z.object({
    resourceGroup: name,
    location: name,
    name,
    /** Paths from the repository's root. */
    template: name,
    parameters: name,
    /**
     * The parameters no file holds, which the deployer passes at deploy time, as a pipeline does from its
     * secret store: a service principal's client secret (`secretOf`), or a cluster's OIDC issuer URL
     * (`issuerOf`, known once it listens).
     */
    deployTime: z.record(z.string(), z.union([z.object({ secretOf: name }), z.object({ issuerOf: name })])),
  }),
  users: z.array(user).min(1),
  servicePrincipals: z.array(servicePrincipal),
  thirdParty: z.object({ keys: z.array(name).min(1) }),
  apps: z.array(exerciseApp),
  hosts: z.object({
    virtualMachine: z.object({ name, userAssignedIdentities: z.array(name) }),
    kubernetesCluster: z.object({ name, oidcIssuerId: guid, namespace: name }),
  }),
});

/** The sandbox's tenant, as read from tenant.json. */
export type Tenant = z.infer<typeof schema>;
export type TenantApp = Tenant["apps"][number];

/** A federated identity credential: Entra ID trusts tokens of this issuer, for this subject and audience. */
export interface FederatedCredential {
  readonly name: string;
  /** The issuer URL, as Azure stores it; or `issuerOf`, the name of the sandbox's cluster whose issuer it is. */
  readonly issuer?: string;
  readonly issuerOf?: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

export const TENANT_FILE = new URL("../tenant.json", import.meta.url);

/** A tenant file that does not hold what the sandbox needs: the field, and what it should be. */
export class TenantFileError extends Error {
  override name = "TenantFileError";
}

/** Checks a tenant, naming the first field that is wrong. */
export function parseTenant(value: unknown, source = "tenant.json"): Tenant {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const field = (issue?.path ?? []).map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`));
  throw new TenantFileError(
    `${source}: ${field.join("").replace(/^\./, "") || "the file"} is not valid: ${issue?.message ?? "unknown"}.`,
  );
}

export function loadTenant(file: URL | string = TENANT_FILE): Tenant {
  const source = typeof file === "string" ? file : (file.pathname.split("/").at(-1) ?? "tenant.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new TenantFileError(`${source} cannot be read.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TenantFileError(`${source} is not JSON: ${(error as Error).message}`);
  }
  return parseTenant(value, source);
}
