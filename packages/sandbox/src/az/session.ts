/**
 * Who the sandbox's `az` acts as. Without a login kept, it is the developer of
 * tenant.json (the sandbox's stand-in for an `az login` in a browser). After
 * `az login --service-principal`, it is that service principal, until
 * `az logout` or `az account clear`: every later command's token is the
 * principal's, with its roles and nothing more.
 *
 * As the Azure CLI does, the login is kept in its configuration folder
 * (AZURE_CONFIG_DIR, or `azure/` in the sandbox's state folder):
 * `azureProfile.json` (the subscriptions the principal sees, and who it is),
 * `service_principal_entries.json` (how it proves itself: the federated token
 * or the client secret, readable by its owner only) and the access tokens
 * already got, by resource. A federated token is kept as given: once it
 * expires (GitHub's live five minutes), a token for a new resource cannot be
 * got, and Entra ID says so (AADSTS700024), as for the real CLI.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A subscription as `az login` lists it and `azureProfile.json` keeps it. */
export interface ProfileSubscription {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly tenantId: string;
  readonly homeTenantId: string;
  readonly isDefault: boolean;
  readonly managedByTenants: readonly unknown[];
  readonly environmentName: string;
  readonly user: { readonly name: string; readonly type: "servicePrincipal" };
}

/** A service principal's login: who, in which tenant, and how it proves itself. */
export interface ServicePrincipalLogin {
  readonly clientId: string;
  /** The tenant as given to `az login --tenant` (its id, or `adfs`). */
  readonly tenant: string;
  /** A federated token (azure/login's way), or a client secret. */
  readonly clientAssertion?: string;
  readonly clientSecret?: string;
}

interface CachedToken {
  readonly accessToken: string;
  /** Epoch seconds. */
  readonly expiresOn: number;
}

/** A token is used again until five minutes before it expires, as MSAL does. */
const REFRESH_MARGIN_SECONDS = 300;

export class AzProfile {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The configuration folder: AZURE_CONFIG_DIR when set, else `azure/` in the sandbox's state folder. */
  static of(stateDir: string, env: Readonly<Record<string, string | undefined>>): AzProfile {
    const configured = env["AZURE_CONFIG_DIR"];
    return new AzProfile(configured && configured !== "" ? configured : join(stateDir, "azure"));
  }

  /** The service principal signed in, if one is. */
  login(): ServicePrincipalLogin | undefined {
    const entries = this.#read<ServicePrincipalLogin[]>("service_principal_entries.json");
    return Array.isArray(entries) ? entries[0] : undefined;
  }

  subscriptions(): ProfileSubscription[] {
    const profile = this.#read<{ subscriptions?: ProfileSubscription[] }>("azureProfile.json");
    return Array.isArray(profile?.subscriptions) ? profile.subscriptions : [];
  }

  /** Keeps a new login, replacing any other (the Azure CLI keeps several; the sandbox one at a time). */
  save(login: ServicePrincipalLogin, subscriptions: readonly ProfileSubscription[]): void {
    this.clear();
    this.#write("service_principal_entries.json", [login]);
    this.#write("azureProfile.json", { subscriptions });
  }

  /** `az account set --subscription`: that one becomes the default. False when the login has no such subscription. */
  setDefault(subscription: string): boolean {
    const wanted = subscription.toLowerCase();
    const subscriptions = this.subscriptions();
    const found = subscriptions.find((entry) => entry.id === wanted || entry.name.toLowerCase() === wanted);
    if (!found) return false;
    this.#write("azureProfile.json", {
      subscriptions: subscriptions.map((entry) => ({ ...entry, isDefault: entry.id === found.id })),
    });
    return true;
  }

  /** An access token got before for this resource, while it has more than five minutes left. */
  cachedToken(resource: string): CachedToken | undefined {
    const cached = this.#read<Record<string, CachedToken>>("token_cache.json")?.[resource];
    return cached && cached.expiresOn - REFRESH_MARGIN_SECONDS > Date.now() / 1000 ? cached : undefined;
  }

  cacheToken(resource: string, token: CachedToken): void {
    const cache = this.#read<Record<string, CachedToken>>("token_cache.json") ?? {};
    this.#write("token_cache.json", { ...cache, [resource]: token });
  }

  /** `az logout`, `az account clear`: no login kept (the sandbox's az is the developer again). */
  clear(): void {
    for (const file of ["service_principal_entries.json", "azureProfile.json", "token_cache.json"])
      rmSync(join(this.dir, file), { force: true });
  }

  #read<T>(file: string): T | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, file), "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  #write(file: string, value: unknown): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, file);
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    // A file that existed keeps its mode through writeFileSync: make sure only its owner reads it.
    chmodSync(path, 0o600);
  }
}
