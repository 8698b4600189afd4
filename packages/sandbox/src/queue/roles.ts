import type { RoleDefinition } from "../roles.ts";

/** The resource (audience) of every Storage token, in every cloud account. */
export const STORAGE_RESOURCE = "https://storage.azure.com";

const QUEUE = "Microsoft.Storage/storageAccounts/queueServices/queues";

/** Queue Storage's built-in data roles, with Azure's ids, actions (queues) and data actions (messages). */
export const QUEUE_ROLES: readonly RoleDefinition[] = [
  {
    name: "Storage Queue Data Contributor",
    id: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    actions: [`${QUEUE}/read`, `${QUEUE}/write`, `${QUEUE}/delete`],
    dataActions: [
      `${QUEUE}/messages/read`,
      `${QUEUE}/messages/write`,
      `${QUEUE}/messages/delete`,
      `${QUEUE}/messages/add/action`,
      `${QUEUE}/messages/process/action`,
    ],
  },
  {
    name: "Storage Queue Data Reader",
    id: "19e7f393-937e-4f77-808e-94535e297925",
    actions: [`${QUEUE}/read`],
    dataActions: [`${QUEUE}/messages/read`],
  },
  {
    name: "Storage Queue Data Message Sender",
    id: "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    actions: [],
    dataActions: [`${QUEUE}/messages/add/action`],
  },
  {
    name: "Storage Queue Data Message Processor",
    id: "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    actions: [],
    dataActions: [`${QUEUE}/messages/read`, `${QUEUE}/messages/process/action`],
  },
];
