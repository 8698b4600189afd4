import { readFileSync } from "node:fs";

/** The sandbox's provisioned state, read from seed.json. */
export interface Seed {
  readonly tenant: { readonly id: string; readonly alias: string };
  readonly subscription: { readonly id: string; readonly resourceGroup: string; readonly location: string };
  readonly thirdParty: { readonly keys: readonly string[] };
  readonly keyVault: { readonly name: string; readonly secrets: Readonly<Record<string, string>> };
  readonly storage: { readonly account: string; readonly queues: readonly string[] };
  readonly servicePrincipals: readonly { readonly displayName: string; readonly appId: string; readonly objectId: string; readonly secret: string }[];
  /** App Service apps: the step whose settings each gets, and how it signs in (its managed identity, or a service principal's secret). */
  readonly apps: readonly SeedApp[];
  readonly users: readonly { readonly userPrincipalName: string; readonly objectId: string }[];
  readonly roleAssignments: readonly { readonly assignee: string; readonly role: string; readonly scope: string }[];
}

export interface SeedApp {
  readonly name: string;
  readonly step: "01" | "02" | "03" | "04";
  /** Its system-assigned managed identity, when it has one. */
  readonly identity?: { readonly principalId: string; readonly clientId: string };
  /** The service principal whose client secret its settings hold (step 02's way). */
  readonly signsInAs?: string;
}

export const SEED_FILE = new URL("../seed.json", import.meta.url);

export function loadSeed(file: URL | string = SEED_FILE): Seed {
  return JSON.parse(readFileSync(file, "utf8")) as Seed;
}
