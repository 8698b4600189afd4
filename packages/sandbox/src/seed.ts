import { readFileSync } from "node:fs";

/** The sandbox's provisioned state, read from seed.json. */
export interface Seed {
  readonly tenant: { readonly id: string; readonly alias: string };
  readonly subscription: { readonly id: string; readonly resourceGroup: string; readonly location: string };
  readonly thirdParty: { readonly keys: readonly string[] };
  readonly keyVault: { readonly name: string; readonly secrets: Readonly<Record<string, string>> };
  readonly storage: { readonly account: string; readonly queues: readonly string[] };
  readonly servicePrincipals: readonly {
    readonly displayName: string;
    readonly appId: string;
    readonly objectId: string;
    readonly secret: string;
  }[];
  /** User-assigned managed identities: resources of their own, attached to apps and to the VM, with their federated credentials. */
  readonly userAssignedIdentities?: readonly SeedUserAssignedIdentity[];
  /** App Service apps: the step whose settings each gets, and how it signs in (its managed identity, or a service principal's secret). */
  readonly apps: readonly SeedApp[];
  /** Where else apps can run: the VM (IMDS) and the AKS cluster (workload identity). */
  readonly hosts?: {
    readonly virtualMachine: { readonly name: string; readonly userAssignedIdentities: readonly string[] };
    readonly kubernetesCluster: { readonly name: string; readonly oidcIssuerId: string; readonly namespace: string };
  };
  /** People: the developer `az login` signs in as (the sandbox's own az, or the real one with this password). */
  readonly users: readonly {
    readonly userPrincipalName: string;
    readonly objectId: string;
    readonly password?: string;
  }[];
  readonly roleAssignments: readonly { readonly assignee: string; readonly role: string; readonly scope: string }[];
}

export interface SeedApp {
  readonly name: string;
  readonly step: "01" | "02" | "03" | "04";
  /** Its system-assigned managed identity, when it has one. */
  readonly identity?: { readonly principalId: string; readonly clientId: string };
  /** The service principal whose client secret its settings hold (step 02's way). */
  readonly signsInAs?: string;
  /** The user-assigned identities attached to it, by name, on whichever host it runs. */
  readonly userAssignedIdentities?: readonly string[];
}

export interface SeedUserAssignedIdentity {
  readonly name: string;
  /** Its ARM resource id (`mi_res_id` / `msi_res_id`). */
  readonly resourceId: string;
  readonly clientId: string;
  readonly principalId: string;
  readonly federatedIdentityCredentials?: readonly SeedFederatedCredential[];
}

/** A federated identity credential: Entra ID trusts tokens of this issuer, for this subject and audience. */
export interface SeedFederatedCredential {
  readonly name: string;
  /** The issuer URL, as Azure stores it; or `issuerOf`, the name of the sandbox's cluster whose issuer it is. */
  readonly issuer?: string;
  readonly issuerOf?: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

export const SEED_FILE = new URL("../seed.json", import.meta.url);

export function loadSeed(file: URL | string = SEED_FILE): Seed {
  return JSON.parse(readFileSync(file, "utf8")) as Seed;
}
