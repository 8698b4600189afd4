/**
 * What was deployed to each site, as App Service's deployment service (Kudu)
 * keeps it: every zip deployment, who made it, when, and its package. The
 * package is kept in the state store with its record, in one transaction, so
 * that a kill never leaves a deployment that was acknowledged without its
 * code; the latest successful one is what the site runs, after a restart too.
 */
import type { Journal } from "../../state/journal.ts";
import type { StateStore } from "../../state/store.ts";

/** Kudu's deployment status codes: 4 is Success, 3 Failed. */
export const KUDU_SUCCESS = 4;
export const KUDU_FAILED = 3;

export interface SiteDeployment {
  readonly id: string;
  readonly site: string;
  /** Kudu's status: 4 Success, 3 Failed. */
  readonly status: number;
  readonly statusText: string;
  /** Who deployed: the principal's name, as Kudu's `deployer`/`author` show it. */
  readonly deployer: string;
  readonly deployerObjectId: string;
  readonly receivedTime: string;
  readonly endTime: string;
  readonly message: string;
}

export class SiteDeployments {
  readonly #state: StateStore;
  readonly #journal: Journal | undefined;
  readonly #insert;
  readonly #latest;
  readonly #list;
  readonly #package;

  constructor(state: StateStore, journal?: Journal) {
    this.#state = state;
    this.#journal = journal;
    state.defineTables(
      {
        site_deployments:
          "id TEXT PRIMARY KEY, site TEXT NOT NULL, record TEXT NOT NULL, package BLOB NOT NULL, seq INTEGER NOT NULL",
      },
      ["CREATE INDEX site_deployments_by_site ON site_deployments (site, seq)"],
    );
    const { db } = state;
    this.#insert = db.prepare("INSERT INTO site_deployments (id, site, record, package, seq) VALUES (?, ?, ?, ?, ?)");
    this.#latest = db.prepare(
      "SELECT record FROM site_deployments WHERE site = ? AND json_extract(record, '$.status') = 4 ORDER BY seq DESC LIMIT 1",
    );
    this.#list = db.prepare("SELECT record FROM site_deployments WHERE site = ? ORDER BY seq DESC");
    this.#package = db.prepare("SELECT package FROM site_deployments WHERE id = ?");
  }

  /** Keeps a deployment and its package (inside the caller's transaction when there is one). */
  record(
    id: string,
    site: string,
    zip: Uint8Array,
    outcome: { status: number; statusText: string; message: string },
    deployer: { name: string; objectId: string },
  ): SiteDeployment {
    const now = new Date().toISOString();
    const deployment: SiteDeployment = {
      id,
      site: site.toLowerCase(),
      ...outcome,
      deployer: deployer.name,
      deployerObjectId: deployer.objectId,
      receivedTime: now,
      endTime: now,
    };
    this.#state.transaction(() => {
      this.#insert.run(deployment.id, deployment.site, JSON.stringify(deployment), zip, Date.now());
      if (outcome.status === KUDU_SUCCESS)
        this.#journal?.record("code deployed to a site", `${site} by ${deployer.name}`);
    });
    return deployment;
  }

  /** The site's latest successful deployment: what it runs. */
  latest(site: string): SiteDeployment | undefined {
    const row = this.#latest.get(site.toLowerCase()) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as SiteDeployment) : undefined;
  }

  /** Every deployment of a site, newest first. */
  list(site: string): SiteDeployment[] {
    return (this.#list.all(site.toLowerCase()) as { record: string }[]).map(
      (row) => JSON.parse(row.record) as SiteDeployment,
    );
  }

  packageOf(id: string): Uint8Array | undefined {
    const row = this.#package.get(id) as { package: Uint8Array } | undefined;
    return row?.package;
  }
}
