import { readFileSync } from "node:fs";

/** The sandbox's provisioned state, read from seed.json. */
export interface Seed {
  readonly tenant: { readonly id: string; readonly alias: string };
  readonly subscription: { readonly id: string; readonly resourceGroup: string; readonly location: string };
  readonly thirdParty: { readonly keys: readonly string[] };
  readonly keyVault: { readonly name: string; readonly secrets: Readonly<Record<string, string>> };
  readonly storage: { readonly account: string; readonly queues: readonly string[] };
  readonly servicePrincipals: readonly { readonly displayName: string; readonly appId: string; readonly objectId: string; readonly secret: string }[];
  readonly apps: readonly { readonly name: string; readonly identity: { readonly principalId: string; readonly clientId: string } }[];
  readonly users: readonly { readonly userPrincipalName: string; readonly objectId: string }[];
  readonly roleAssignments: readonly { readonly assignee: string; readonly role: string; readonly scope: string }[];
}

export const SEED_FILE = new URL("../seed.json", import.meta.url);

export function loadSeed(file: URL | string = SEED_FILE): Seed {
  return JSON.parse(readFileSync(file, "utf8")) as Seed;
}
