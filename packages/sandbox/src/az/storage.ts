/**
 * `az storage message peek|clear` (and a message count), through the sandbox's
 * Queue Storage gateway as the signed-in developer: the real protocol, so the
 * developer's own role assignment (Storage Queue Data Contributor) applies.
 */
import type { QueueClient } from "@azure/storage-queue";
import type { Command } from "commander";
import type { Connection } from "./connection.ts";
import type { Run } from "./main.ts";

const date = (value: Date | undefined) => (value ? value.toISOString().replace(/\.\d+Z$/, "+00:00") : null);

/** Loads the Storage SDK only for storage commands: it is most of az's start-up time. */
async function queueClient(connection: Connection, queueName: string, accountName?: string): Promise<QueueClient> {
  const queueUrl = connection.endpoints.queueUrl;
  if (!queueUrl) throw Object.assign(new Error("Queue Storage is not running in the sandbox."), { code: "ServiceUnavailable" });
  const account = new URL(queueUrl).pathname.split("/")[1];
  if (accountName && accountName !== account) {
    throw Object.assign(new Error(`The storage account ${accountName} was not found. The sandbox's account is ${account}.`), { code: "StorageAccountNotFound" });
  }
  const { QueueClient } = await import("@azure/storage-queue");
  return new QueueClient(queueUrl.replace(/[^/]+$/, queueName), connection.credential);
}

interface QueueOptions {
  readonly queueName: string;
  readonly accountName?: string;
  readonly numMessages?: string;
}

export function registerStorage(az: Command, run: Run): void {
  const message = az.command("storage").description("Manage Azure Cloud Storage resources.").command("message").description("Manage queue storage messages.");
  const target = (command: Command) =>
    command
      .requiredOption("-q, --queue-name <name>", "the queue name")
      .option("--account-name <name>", "storage account name")
      .option("--auth-mode <mode>", "login (the only mode the sandbox supports: no account keys)", "login");

  target(message.command("peek").description("Retrieve one or more messages from the front of the queue, but do not alter the visibility of the message."))
    .option("--num-messages <n>", "a number of messages to peek, up to 32", "1")
    .action((options: QueueOptions) =>
      run(async (connection) => {
        const count = Math.min(Math.max(Number(options.numMessages) || 1, 1), 32);
        const { peekedMessageItems } = await (await queueClient(connection, options.queueName, options.accountName)).peekMessages({ numberOfMessages: count });
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

  target(message.command("clear").description("Delete all messages from the specified queue."))
    .action((options: QueueOptions) =>
      run(async (connection) => {
        await (await queueClient(connection, options.queueName, options.accountName)).clearMessages();
        return undefined;
      }),
    );

  target(message.command("count").description("(sandbox addition, not in the Azure CLI) The queue's approximate message count, from its properties."))
    .action((options: QueueOptions) =>
      run(async (connection) => {
        const properties = await (await queueClient(connection, options.queueName, options.accountName)).getProperties();
        return { approximateMessageCount: properties.approximateMessagesCount ?? 0 };
      }),
    );
}
