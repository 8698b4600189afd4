/**
 * A vault's secrets: each secret is a list of versions (the newest is the
 * current one), and a deleted secret is kept, recoverable, until it is purged
 * (soft delete, which Azure turns on for every vault).
 */
import { randomBytes } from "node:crypto";
import type { Journal } from "../../state/journal.ts";
import type { Collection, StateStore } from "../../state/store.ts";

export interface SecretVersion {
  readonly version: string;
  readonly value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  /** Unix seconds. */
  notBefore?: number;
  expires?: number;
  readonly created: number;
  updated: number;
}

export interface StoredSecret {
  readonly name: string;
  readonly versions: readonly SecretVersion[];
  /** While it is being recovered: when it is found again (ms since the epoch). */
  readonly visibleFrom?: number;
}

export interface DeletedSecret {
  readonly secret: StoredSecret;
  readonly deletedDate: number;
  readonly scheduledPurgeDate: number;
  /** While it is being deleted: when it is listed under deletedsecrets (ms since the epoch). */
  readonly visibleFrom?: number;
}

export interface VersionChanges {
  readonly contentType?: string;
  readonly tags?: Record<string, string>;
  readonly enabled?: boolean;
  readonly notBefore?: number;
  readonly expires?: number;
}

export interface NewSecretVersion {
  readonly value: string;
  readonly contentType?: string;
  readonly tags?: Record<string, string>;
  readonly enabled?: boolean;
  readonly notBefore?: number;
  readonly expires?: number;
}

/** Azure keeps a soft-deleted secret for 90 days by default. */
export const RETENTION_DAYS = 90;

const now = () => Math.floor(Date.now() / 1000);
/** Whether a deletion or recovery in progress has completed. */
const visible = (entry: { readonly visibleFrom?: number }) =>
  entry.visibleFrom === undefined || entry.visibleFrom <= Date.now();
const key = (name: string) => name.toLowerCase();

/** Where a vault keeps its secrets: the state store (kept across restarts), and the journal of changes. */
export interface SecretStoreOptions {
  readonly vault: string;
  readonly state: StateStore;
  readonly journal?: Journal;
  /** How long a deletion and a recovery take (see `transitionDelayMs`). */
  readonly transitionDelayMs?: number;
}

/**
 * A vault's secrets, in the state store: one document a secret, holding all of
 * its versions, so that a change costs the same however many secrets the
 * vault holds. Every change is one transaction, journaled with it.
 */
export class SecretStore {
  readonly #vault: string;
  readonly #state: StateStore;
  readonly #secrets: Collection<StoredSecret>;
  readonly #deleted: Collection<DeletedSecret>;
  readonly #journal: Journal | undefined;
  /**
   * On Azure, deleting and recovering a secret take a few seconds: for that
   * long the deleted secret is not yet found under `deletedsecrets`, the
   * recovered one not yet under `secrets`, and the SDKs' pollers wait for it.
   * The sandbox does the same, for this long (0: at once).
   */
  transitionDelayMs: number;

  constructor(options: SecretStoreOptions) {
    this.transitionDelayMs = options.transitionDelayMs ?? 0;
    this.#vault = options.vault;
    this.#state = options.state;
    this.#secrets = options.state.collection(`secrets:${options.vault.toLowerCase()}`);
    this.#deleted = options.state.collection(`deletedSecrets:${options.vault.toLowerCase()}`);
    this.#journal = options.journal;
  }

  /** When a deletion or recovery begun now completes, if it takes time. */
  #until(): { visibleFrom?: number } {
    return this.transitionDelayMs > 0 ? { visibleFrom: Date.now() + this.transitionDelayMs } : {};
  }

  #changed(kind: string, name: string): void {
    this.#journal?.record(kind, `${name} in ${this.#vault}`);
  }

  get(name: string): StoredSecret | undefined {
    const secret = this.#secrets.get(key(name));
    return secret && visible(secret) ? secret : undefined;
  }

  getDeleted(name: string): DeletedSecret | undefined {
    const deleted = this.#deleted.get(key(name));
    return deleted && visible(deleted) ? deleted : undefined;
  }

  /** Whether the secret is being deleted or recovered right now: its name can be neither set nor restored. */
  inTransition(name: string): "deleting" | "recovering" | undefined {
    const deleted = this.#deleted.get(key(name));
    if (deleted && !visible(deleted)) return "deleting";
    const secret = this.#secrets.get(key(name));
    return secret && !visible(secret) ? "recovering" : undefined;
  }

  list(): StoredSecret[] {
    return this.#secrets
      .values()
      .filter(visible)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  listDeleted(): DeletedSecret[] {
    return this.#deleted
      .values()
      .filter(visible)
      .sort((a, b) => a.secret.name.localeCompare(b.secret.name));
  }

  /** Adds a new version, creating the secret if needed. */
  set(name: string, input: NewSecretVersion): { secret: StoredSecret; version: SecretVersion } {
    const current = this.get(name);
    const created = now();
    const version: SecretVersion = {
      version: randomBytes(16).toString("hex"),
      value: input.value,
      enabled: input.enabled ?? true,
      created,
      updated: created,
      ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      ...(input.notBefore !== undefined ? { notBefore: input.notBefore } : {}),
      ...(input.expires !== undefined ? { expires: input.expires } : {}),
    };
    const secret: StoredSecret = { name: current?.name ?? name, versions: [...(current?.versions ?? []), version] };
    this.#state.transaction(() => {
      this.#secrets.put(key(name), secret);
      this.#changed("secret version set", secret.name);
    });
    return { secret, version };
  }

  /**
   * Changes one version's properties (content type, tags, enabled, nbf, exp)
   * at once, from changes already checked, and marks it updated. Properties
   * left out keep their values.
   */
  update(name: string, versionId: string, changes: VersionChanges): SecretVersion | undefined {
    const secret = this.get(name);
    const index = secret?.versions.findIndex((candidate) => candidate.version === versionId) ?? -1;
    const current = secret?.versions[index];
    if (!secret || !current) return undefined;
    const updated: SecretVersion = {
      ...current,
      ...(changes.contentType !== undefined ? { contentType: changes.contentType } : {}),
      ...(changes.tags !== undefined ? { tags: { ...changes.tags } } : {}),
      ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
      ...(changes.notBefore !== undefined ? { notBefore: changes.notBefore } : {}),
      ...(changes.expires !== undefined ? { expires: changes.expires } : {}),
      updated: now(),
    };
    this.#state.transaction(() => {
      this.#secrets.put(key(name), { ...secret, versions: secret.versions.with(index, updated) });
      this.#changed("secret attributes updated", secret.name);
    });
    return updated;
  }

  /** Undefined when no secret has that name, or when a deleted secret of that name is kept. */
  delete(name: string): DeletedSecret | undefined {
    const secret = this.get(name);
    if (!secret || this.getDeleted(name)) return undefined;
    const deletedDate = now();
    const deleted: DeletedSecret = {
      secret,
      deletedDate,
      scheduledPurgeDate: deletedDate + RETENTION_DAYS * 86_400,
      ...this.#until(),
    };
    this.#state.transaction(() => {
      this.#secrets.delete(key(name));
      this.#deleted.put(key(name), deleted);
      this.#changed("secret deleted", secret.name);
    });
    return deleted;
  }

  /** Undefined when no deleted secret has that name, or when a secret of that name exists. */
  recover(name: string): StoredSecret | undefined {
    const deleted = this.getDeleted(name);
    if (!deleted || this.get(name)) return undefined;
    const recovered: StoredSecret = { name: deleted.secret.name, versions: deleted.secret.versions, ...this.#until() };
    this.#state.transaction(() => {
      this.#deleted.delete(key(name));
      this.#secrets.put(key(name), recovered);
      this.#changed("deleted secret recovered", deleted.secret.name);
    });
    return recovered;
  }

  purge(name: string): boolean {
    return this.#state.transaction(() => {
      const purged = this.#deleted.delete(key(name));
      if (purged) this.#changed("deleted secret purged", name);
      return purged;
    });
  }

  /**
   * Puts back a whole secret (all versions), from a checked backup: a copy,
   * so the caller's object never becomes the store's. False when the name is
   * taken, by a secret or a deleted one.
   */
  restore(secret: StoredSecret): boolean {
    if (secret.versions.length === 0 || this.get(secret.name) || this.getDeleted(secret.name)) return false;
    this.#state.transaction(() => {
      this.#secrets.put(key(secret.name), {
        name: secret.name,
        versions: secret.versions.map((version) => ({
          ...version,
          ...(version.tags ? { tags: { ...version.tags } } : {}),
        })),
      });
      this.#changed("secret restored from a backup", secret.name);
    });
    return true;
  }

  clear(): void {
    this.#state.transaction(() => {
      this.#secrets.clear();
      this.#deleted.clear();
    });
  }
}

export function latest(secret: StoredSecret): SecretVersion {
  const version = secret.versions.at(-1);
  if (!version) throw new Error(`Secret ${secret.name} has no versions.`);
  return version;
}

/** The version a URL names (`/secrets/{name}/{version}`), or the latest when it names none. */
export function versionOf(secret: StoredSecret | undefined, wanted: string | undefined): SecretVersion | undefined {
  if (!secret) return undefined;
  return wanted ? secret.versions.find((candidate) => candidate.version === wanted) : latest(secret);
}
