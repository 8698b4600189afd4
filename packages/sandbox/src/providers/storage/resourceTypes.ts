/**
 * Microsoft.Storage's control plane: storage accounts (shared keys off, as
 * the workshop teaches), their queue service, and queues, which the data
 * plane serves as soon as Resource Manager holds them.
 */
import { envelope, type ResourceStore, storedType } from "../../arm/resourceStore.ts";
import { ArmFailure, type ResourceTypeHandler } from "../../arm/resourceType.ts";

export const ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts";
export const QUEUE_SERVICE_TYPE = "Microsoft.Storage/storageAccounts/queueServices";
export const QUEUE_TYPE = "Microsoft.Storage/storageAccounts/queueServices/queues";

/** Azure's rules: an account 3-24 lowercase letters and digits; a queue 3-63 lowercase letters, digits and single hyphens. */
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/** What the data plane does when Resource Manager creates or deletes a queue. */
export interface QueueData {
  create(account: string, queue: string, metadata: Readonly<Record<string, string>>): void;
  delete(account: string, queue: string): void;
  exists(account: string, queue: string): boolean;
  /** The queues of an account, by name. */
  list(account: string): readonly string[];
}

export interface StorageTypesOptions {
  readonly resources: ResourceStore;
  /** An account's queue endpoint in the sandbox: `https://127.0.0.1:<port>/<account>/`. */
  readonly queueEndpoint: (account: string) => string;
  readonly queues: QueueData;
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

export function storageTypes(options: StorageTypesOptions): ResourceTypeHandler[] {
  const { resources } = options;
  const accounts = storedType(resources, {
    type: ACCOUNT_TYPE,
    accept: ({ id, body }) => {
      if (!ACCOUNT_NAME.test(id.name))
        throw new ArmFailure(
          400,
          "AccountNameInvalid",
          `${id.name.slice(0, 64)} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`,
        );
      if (!body.location) throw new ArmFailure(400, "LocationRequired", "The location property is required.");
      if (!body.sku || typeof record(body.sku)["name"] !== "string")
        throw new ArmFailure(400, "MissingRequiredProperty", "The property 'sku.name' is required.");
      const properties = record(body.properties);
      return envelope(
        id,
        { ...body, kind: body.kind ?? "StorageV2" },
        {
          ...properties,
          // The sandbox's storage takes Microsoft Entra tokens only, whatever the template asks (its data plane says so).
          allowSharedKeyAccess: false,
          supportsHttpsTrafficOnly: properties["supportsHttpsTrafficOnly"] ?? true,
          provisioningState: "Succeeded",
        },
      );
    },
    // Its endpoint carries the data plane's port, which a restart may change.
    show: (account) => ({
      ...account,
      properties: { ...account.properties, primaryEndpoints: { queue: options.queueEndpoint(account.name) } },
    }),
  });

  const stored = storedType(resources, {
    type: QUEUE_SERVICE_TYPE,
    accept: ({ id, body }) => {
      if (!resources.get(id.parent ?? ""))
        throw new ArmFailure(404, "ResourceNotFound", `The storage account '${id.names[0] ?? ""}' was not found.`);
      if (id.name !== "default")
        throw new ArmFailure(400, "InvalidResourceName", "The queue service is named default.");
      return envelope(id, body, { ...record(body.properties) });
    },
  });
  // Every account has its queue service, `default`, from the moment it exists: nobody creates it.
  const services: ResourceTypeHandler = {
    ...stored,
    get: (id) =>
      stored.get(id) ??
      (id.name === "default" && resources.get(id.parent ?? "")
        ? envelope(id, {}, { cors: { corsRules: [] } })
        : undefined),
  };

  const accountOf = (names: readonly string[]) => names[0] ?? "";
  const queues: ResourceTypeHandler = {
    type: QUEUE_TYPE,
    put({ id, body }) {
      const account = resources.get(id.id.split("/queueServices/")[0] ?? "");
      if (!account)
        throw new ArmFailure(404, "ResourceNotFound", `The storage account '${accountOf(id.names)}' was not found.`);
      if (!QUEUE_NAME.test(id.name))
        throw new ArmFailure(
          400,
          "InvalidResourceName",
          "Queue names are 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, with no two hyphens in a row.",
        );
      const metadata = record(record(body.properties)["metadata"]) as Record<string, string>;
      if (!options.queues.exists(account.name, id.name)) options.queues.create(account.name, id.name, metadata);
      return { ...envelope(id, {}, { metadata }), name: id.name };
    },
    get: (id) => (options.queues.exists(accountOf(id.names), id.name) ? envelope(id, {}, { metadata: {} }) : undefined),
    list: (parent) => {
      const account = parent.split("/storageAccounts/")[1]?.split("/")[0] ?? "";
      return options.queues.list(account).map((queue) => ({
        id: `${parent}/queues/${queue}`,
        name: queue,
        type: QUEUE_TYPE,
        properties: { metadata: {} },
      }));
    },
    delete({ id }) {
      if (!options.queues.exists(accountOf(id.names), id.name)) return false;
      options.queues.delete(accountOf(id.names), id.name);
      return true;
    },
  };
  return [accounts, services, queues];
}
