/**
 * `az storage message peek|clear` (and a message count) and `az storage queue
 * create|delete|exists|list`, through the sandbox's Queue Storage gateway as
 * the signed-in developer: the real protocol, so the developer's own role
 * assignment (Storage Queue Data Contributor) applies. `az storage account
 * show` asks Resource Manager for the account, for its resource id: the scope
 * of a role assignment on one queue is that id plus `/queueServices/default/queues/<name>`.
 */
import type { QueueClient, QueueServiceClient } from "@azure/storage-queue";
import type { Command } from "commander";
import type { Connection } from "./connection.ts";
import { ACCOUNT_MODEL, asModel, ENDPOINTS_MODEL } from "./models.ts";
import { type Run, usage } from "./shell.ts";

const date = (value: Date | undefined) => (value ? value.toISOString().replace(/\.\d+Z$/, "+00:00") : null);

/** Loads the Storage SDK only for storage commands: it is most of az's start-up time. */
async function queueClient(connection: Connection, queueName: string, accountName?: string): Promise<QueueClient> {
  const queueUrl = connection.endpoints.queueUrl;
  if (!queueUrl)
    throw Object.assign(new Error("Queue Storage is not running in the sandbox."), { code: "ServiceUnavailable" });
  const account = new URL(queueUrl).pathname.split("/")[1];
  if (accountName && accountName !== account) {
    throw Object.assign(
      new Error(`The storage account ${accountName} was not found. The sandbox's account is ${account}.`),
      { code: "StorageAccountNotFound" },
    );
  }
  const { QueueClient } = await import("@azure/storage-queue");
  return new QueueClient(queueUrl.replace(/[^/]+$/, queueName), connection.credential);
}

/** The account's service client, for the queue-level commands (create, delete, list). */
async function serviceClient(connection: Connection, accountName?: string): Promise<QueueServiceClient> {
  const queue = await queueClient(connection, "placeholder", accountName);
  const { QueueServiceClient } = await import("@azure/storage-queue");
  return new QueueServiceClient(queue.url.replace(/\/[^/]+$/, ""), connection.credential);
}

interface QueueOptions {
  readonly queueName: string;
  readonly accountName?: string;
  readonly numMessages?: string;
}

/** The options every queue and message command takes: which account, and how to sign in to it. */
const accountOptions = (command: Command) =>
  command
    .option("--account-name <name>", "storage account name")
    .option("--auth-mode <mode>", "login (the only mode the sandbox supports: no account keys)", "login");

export function register(az: Command, run: Run): void {
  const storage = az.command("storage").description("Manage Azure Cloud Storage resources.");
  registerAccount(storage, run);
  registerQueue(storage, run);
  const message = storage.command("message").description("Manage queue storage messages.");
  const target = (command: Command) =>
    accountOptions(command.requiredOption("-q, --queue-name <name>", "the queue name"));

  target(
    message
      .command("peek")
      .description(
        "Retrieve one or more messages from the front of the queue, but do not alter the visibility of the message.",
      ),
  )
    .option("--num-messages <n>", "a number of messages to peek, up to 32", "1")
    .action((options: QueueOptions) =>
      run(async (connection) => {
        const count = Math.min(Math.max(Number(options.numMessages) || 1, 1), 32);
        const { peekedMessageItems } = await (
          await queueClient(connection, options.queueName, options.accountName)
        ).peekMessages({ numberOfMessages: count });
        return peekedMessageItems.map((item) => ({
          content: item.messageText,
          dequeueCount: item.dequeueCount,
          expirationTime: date(item.expiresOn),
          id: item.messageId,
          insertionTime: date(item.insertedOn),
          popReceipt: null,
          timeNextVisible: null,
        }));
      }),
    );

  target(message.command("clear").description("Delete all messages from the specified queue.")).action(
    (options: QueueOptions) =>
      run(async (connection) => {
        await (await queueClient(connection, options.queueName, options.accountName)).clearMessages();
        return undefined;
      }),
  );

  target(
    message
      .command("count")
      .description(
        "(sandbox addition, not in the Azure CLI) The queue's approximate message count, from its properties.",
      ),
  ).action((options: QueueOptions) =>
    run(async (connection) => {
      const properties = await (await queueClient(connection, options.queueName, options.accountName)).getProperties();
      return { approximateMessageCount: properties.approximateMessagesCount ?? 0 };
    }),
  );
}

/** Microsoft.Storage's api-version `az storage account` sends. */
const STORAGE_API = "2023-05-01";

interface StorageAccount {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly kind?: string;
  readonly location?: string;
  readonly sku?: Record<string, unknown>;
  readonly tags?: Record<string, string>;
  readonly properties?: Record<string, unknown>;
}

/** The account as az prints the SDK's model: its properties flattened, `supportsHttpsTrafficOnly` named as the SDK names it. */
function accountJson(account: StorageAccount) {
  const { supportsHttpsTrafficOnly, primaryEndpoints, ...properties } = account.properties ?? {};
  return asModel(ACCOUNT_MODEL, {
    ...properties,
    enableHttpsTrafficOnly: supportsHttpsTrafficOnly,
    id: account.id,
    kind: account.kind,
    location: account.location,
    name: account.name,
    primaryEndpoints: asModel(ENDPOINTS_MODEL, (primaryEndpoints ?? {}) as Record<string, unknown>),
    sku: account.sku ? asModel(["name", "tier"], account.sku) : null,
    tags: account.tags,
    type: account.type,
  });
}

/**
 * `az storage account show`: the account as Resource Manager describes it (its id is the base of a
 * queue's scope). Without `-g`, az finds the account's group by listing the subscription's accounts.
 */
function registerAccount(storage: Command, run: Run): void {
  storage
    .command("account")
    .description("Manage storage accounts.")
    .command("show")
    .description("Show storage account properties.")
    .requiredOption("-n, --name <name>", "the storage account name")
    .option("-g, --resource-group <group>", "name of resource group")
    .action((options: { name: string; resourceGroup?: string }) =>
      run(async (connection) => {
        const subscription = `/subscriptions/${await connection.subscriptionId()}`;
        if (options.resourceGroup)
          return accountJson(
            await connection.arm<StorageAccount>(
              "GET",
              `${subscription}/resourceGroups/${options.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${options.name}`,
              STORAGE_API,
            ),
          );
        const { value } = await connection.arm<{ value: StorageAccount[] }>(
          "GET",
          `${subscription}/providers/Microsoft.Storage/storageAccounts`,
          STORAGE_API,
        );
        const found = value.find((account) => account.name === options.name);
        if (!found) throw usage(`Storage account '${options.name}' not found.`);
        return accountJson(found);
      }),
    );
}

/** `az storage queue create|delete|exists|list`, with the JSON az prints (`{"created": true}`, ...). */
function registerQueue(storage: Command, run: Run): void {
  const queue = storage.command("queue").description("Manage storage queues.");
  const named = (command: Command) => accountOptions(command.requiredOption("-n, --name <name>", "the queue name"));

  named(queue.command("create").description("Create a queue under the given account."))
    .option("--fail-on-exist", "throw an exception if the queue already exists")
    .option("--metadata <pairs...>", "metadata in space-separated key=value pairs")
    .action((options: { name: string; accountName?: string; failOnExist?: boolean; metadata?: string[] }) =>
      run(async (connection) => {
        const client = await queueClient(connection, options.name, options.accountName);
        const metadata = Object.fromEntries(
          (options.metadata ?? []).map((pair) => [pair.split("=")[0] ?? pair, pair.split("=").slice(1).join("=")]),
        );
        const { succeeded } = await client.createIfNotExists({ metadata });
        if (!succeeded && options.failOnExist)
          throw Object.assign(new Error("The specified queue already exists."), { code: "QueueAlreadyExists" });
        return { created: succeeded };
      }),
    );

  named(queue.command("delete").description("Delete the specified queue and any messages it contains."))
    .option("--fail-not-exist", "throw an exception if the queue does not exist")
    .action((options: { name: string; accountName?: string; failNotExist?: boolean }) =>
      run(async (connection) => {
        const { succeeded } = await (await queueClient(connection, options.name, options.accountName)).deleteIfExists();
        if (!succeeded && options.failNotExist)
          throw Object.assign(new Error("The specified queue does not exist."), { code: "QueueNotFound" });
        return { deleted: succeeded };
      }),
    );

  named(queue.command("exists").description("Return a boolean indicating whether the queue exists.")).action(
    (options: { name: string; accountName?: string }) =>
      run(async (connection) => ({
        exists: await (await queueClient(connection, options.name, options.accountName)).exists(),
      })),
  );

  accountOptions(queue.command("list").description("List queues in a storage account."))
    .option("--prefix <prefix>", "filter the results to return only queues whose names begin with the specified prefix")
    .action((options: { accountName?: string; prefix?: string }) =>
      run(
        async (connection) => {
          const queues: { approximateMessageCount: null; metadata: null; name: string }[] = [];
          for await (const item of (await serviceClient(connection, options.accountName)).listQueues(
            options.prefix ? { prefix: options.prefix } : {},
          )) {
            queues.push({ approximateMessageCount: null, metadata: null, name: item.name });
          }
          return queues;
        },
        { table: (rows) => (rows as { name: string }[]).map((row) => ({ Name: row.name })) },
      ),
    );
}
