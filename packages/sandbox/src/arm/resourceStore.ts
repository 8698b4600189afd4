/**
 * Where Resource Manager keeps resources: one row a resource in the state
 * store, its id lower-cased as the key (ARM ids compare case-insensitively),
 * its type and parent indexed, so that reading or writing one costs the same
 * however many exist.
 *
 * Most resource types need nothing more than this (`storedType` below): the
 * body checked, the envelope added, side effects on the provider's own state
 * (a site's identity becomes a service principal; a queue is created in the
 * data plane) run in the same transaction.
 */
import type { StateStore } from "../state/store.ts";
import { parseResourceId, type ResourceId } from "./resourceId.ts";
import type { ArmResource, ControlRequest, ResourceBody, ResourceTypeHandler } from "./resourceType.ts";

const key = (id: string) => id.replace(/\/+$/, "").toLowerCase();

export class ResourceStore {
  readonly #store: StateStore;
  readonly #get;
  readonly #put;
  readonly #delete;
  readonly #children;
  readonly #ofType;

  constructor(store: StateStore) {
    this.#store = store;
    store.defineTables(
      { resources: "id TEXT PRIMARY KEY, type TEXT NOT NULL, parent TEXT NOT NULL, body TEXT NOT NULL" },
      [
        "CREATE INDEX resources_by_parent ON resources (parent, type)",
        "CREATE INDEX resources_by_type ON resources (type)",
      ],
    );
    const { db } = store;
    this.#get = db.prepare("SELECT body FROM resources WHERE id = ?");
    this.#put = db.prepare(
      "INSERT INTO resources (id, type, parent, body) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
    );
    this.#delete = db.prepare("DELETE FROM resources WHERE id = ? OR id LIKE ? ESCAPE '\\'");
    this.#children = db.prepare("SELECT body FROM resources WHERE parent = ? AND type = ? ORDER BY rowid");
    this.#ofType = db.prepare("SELECT body FROM resources WHERE type = ? ORDER BY rowid");
  }

  get(id: string): ArmResource | undefined {
    const row = this.#get.get(key(id)) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as ArmResource) : undefined;
  }

  /** Creates or replaces a resource; `parent` is the id it is listed under. */
  put(resource: ArmResource, parent: string): void {
    this.#store.transaction(() =>
      this.#put.run(key(resource.id), resource.type.toLowerCase(), key(parent), JSON.stringify(resource)),
    );
  }

  /** Deletes a resource and everything under it (its child resources); false when it did not exist. */
  delete(id: string): boolean {
    const prefix = `${key(id).replace(/[\\%_]/g, "\\$&")}/%`;
    return this.#store.transaction(() => Number(this.#delete.run(key(id), prefix).changes) > 0);
  }

  /** The resources of a type directly under a parent. */
  children(parent: string, type: string): ArmResource[] {
    return (this.#children.all(key(parent), type.toLowerCase()) as { body: string }[]).map(
      (row) => JSON.parse(row.body) as ArmResource,
    );
  }

  /** Every resource of a type, wherever it is. */
  ofType(type: string): ArmResource[] {
    return (this.#ofType.all(type.toLowerCase()) as { body: string }[]).map(
      (row) => JSON.parse(row.body) as ArmResource,
    );
  }
}

/** What a stored type adds to the generic behaviour. */
export interface StoredTypeOptions {
  readonly type: string;
  readonly apiVersions?: readonly string[];
  /**
   * Checks the body and returns the resource to keep (defaults filled in,
   * read-only properties computed), or throws an `ArmFailure`. `previous` is
   * the resource it replaces, if any. It may change the provider's own state:
   * it runs in the same transaction as the write.
   */
  readonly accept: (request: ControlRequest & { readonly body: ResourceBody }, previous?: ArmResource) => ArmResource;
  /** What a deletion does to the provider's own state, in the same transaction. */
  readonly onDelete?: (resource: ArmResource) => void;
  /** How a GET shows a kept resource, when it depends on run-time facts (a vault's URI carries its port). */
  readonly show?: (resource: ArmResource) => ArmResource;
  readonly actions?: ResourceTypeHandler["actions"];
}

/** A resource type kept as its ARM document in the resource store. */
export function storedType(resources: ResourceStore, options: StoredTypeOptions): ResourceTypeHandler {
  const show = options.show ?? ((resource: ArmResource) => resource);
  const parentOf = (id: ResourceId) => id.parent ?? "";
  /** `Microsoft.Web/sites`, not `Microsoft.Web/sites/config`: a type that lives in a group, not in another resource. */
  const isOwnType = options.type.split("/").length === 2;
  return {
    type: options.type,
    ...(options.apiVersions ? { apiVersions: options.apiVersions } : {}),
    put(request) {
      const previous = resources.get(request.id.id);
      const accepted = options.accept(request, previous);
      resources.put(accepted, parentOf(request.id));
      return show(accepted);
    },
    get(id) {
      const found = resources.get(id.id);
      return found ? show(found) : undefined;
    },
    list(parent) {
      // A subscription lists the resources of a group's own type in every group (`az identity list` with no -g).
      const bySubscription = parseResourceId(parent)?.type === "Microsoft.Resources/subscriptions" && isOwnType;
      const found = bySubscription
        ? resources.ofType(options.type).filter((resource) => resource.id.toLowerCase().startsWith(`${key(parent)}/`))
        : resources.children(parent, options.type);
      return found.map(show);
    },
    delete(request) {
      const found = resources.get(request.id.id);
      if (!found) return false;
      options.onDelete?.(found);
      return resources.delete(request.id.id);
    },
    ...(options.actions ? { actions: options.actions } : {}),
  };
}

/** The envelope every kept resource has: id, name and type from the id; location, tags and the rest from the body. */
export function envelope(id: ResourceId, body: ResourceBody, properties: Record<string, unknown>): ArmResource {
  return {
    id: id.id,
    name: id.name,
    type: id.type,
    ...(body.location !== undefined ? { location: body.location } : {}),
    ...(body.kind !== undefined ? { kind: body.kind } : {}),
    ...(body.tags !== undefined ? { tags: body.tags } : {}),
    ...(body.sku !== undefined ? { sku: body.sku } : {}),
    ...(body.identity !== undefined ? { identity: body.identity } : {}),
    properties,
  };
}
