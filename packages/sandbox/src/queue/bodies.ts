/**
 * Queue Storage's documents, read from requests and written in answers, as
 * Azure's REST reference lays them out (element names, order, empty elements).
 * A reader returns undefined for a document Azure would refuse with 400
 * InvalidXmlDocument.
 */
import {
  LIMITS,
  type CorsRule,
  type Logging,
  type Message,
  type Metadata,
  type Metrics,
  type Queue,
  type RetentionPolicy,
  type ServiceProperties,
  type SignedIdentifier,
} from "./model.ts";
import {
  childOf,
  childrenOf,
  element,
  escapeXml,
  isXmlText,
  parseXml,
  rfc1123,
  textElement,
  xmlDocument,
  type XmlElement,
} from "./xml.ts";

// ——— Reading ———

/**
 * Put Message's and Update Message's body: `<QueueMessage><MessageText>…</MessageText></QueueMessage>`. The text is
 * undefined when the document has none (Update Message may change the visibility alone); the element name is read
 * without case, as Azurite reads it.
 */
export function readMessage(body: Buffer): { text: string | undefined } | undefined {
  const root = parseXml(body);
  if (root?.name !== "QueueMessage") return undefined;
  const text = root.children.find((child) => child.name.toLowerCase() === "messagetext");
  if (!text) return { text: undefined };
  // A message is text: an element inside it is no message Azure takes.
  return text.children.length === 0 && isXmlText(text.text) ? { text: text.text } : undefined;
}

/** Set Queue ACL's body: at most five stored access policies, each permitting some of r, a, u and p. An empty body clears them. */
export function readSignedIdentifiers(body: Buffer): SignedIdentifier[] | undefined {
  if (body.length === 0) return [];
  const root = parseXml(body);
  if (root?.name !== "SignedIdentifiers") return undefined;
  const identifiers: SignedIdentifier[] = [];
  for (const item of childrenOf(root, "SignedIdentifier")) {
    const id = childOf(item, "Id")?.text;
    if (!id || !isXmlText(id)) return undefined;
    const policy = childOf(item, "AccessPolicy");
    const start = policy && childOf(policy, "Start")?.text;
    const expiry = policy && childOf(policy, "Expiry")?.text;
    const permission = policy && childOf(policy, "Permission")?.text;
    if ([start, expiry].some((time) => time !== undefined && time !== "" && Number.isNaN(Date.parse(time))))
      return undefined;
    if (permission !== undefined && !/^[raup]*$/.test(permission)) return undefined;
    identifiers.push({
      id,
      ...(start ? { start: new Date(start).toISOString() } : {}),
      ...(expiry ? { expiry: new Date(expiry).toISOString() } : {}),
      ...(permission !== undefined ? { permission } : {}),
    });
  }
  return identifiers.length <= LIMITS.maxSignedIdentifiers ? identifiers : undefined;
}

const readBoolean = (element: XmlElement | undefined): boolean | undefined => {
  const text = element?.text.trim().toLowerCase();
  return text === "true" ? true : text === "false" ? false : undefined;
};

const readWholeNumber = (element: XmlElement | undefined): number | undefined => {
  const text = element?.text.trim() ?? "";
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
};

function readRetention(parent: XmlElement): RetentionPolicy | undefined {
  const policy = childOf(parent, "RetentionPolicy");
  const enabled = readBoolean(policy && childOf(policy, "Enabled"));
  if (!policy || enabled === undefined) return undefined;
  const daysElement = childOf(policy, "Days");
  const days = readWholeNumber(daysElement);
  if (daysElement && days === undefined) return undefined;
  return { enabled, ...(days !== undefined ? { days } : {}) };
}

function readLogging(logging: XmlElement): Logging | undefined {
  const version = childOf(logging, "Version")?.text.trim();
  const [remove, read, write] = ["Delete", "Read", "Write"].map((name) => readBoolean(childOf(logging, name)));
  const retentionPolicy = readRetention(logging);
  if (!version || remove === undefined || read === undefined || write === undefined || !retentionPolicy)
    return undefined;
  return { version, delete: remove, read, write, retentionPolicy };
}

function readMetrics(metrics: XmlElement): Metrics | undefined {
  const version = childOf(metrics, "Version")?.text.trim();
  const enabled = readBoolean(childOf(metrics, "Enabled"));
  const includeApis = readBoolean(childOf(metrics, "IncludeAPIs"));
  const retentionPolicy = readRetention(metrics);
  if (!version || enabled === undefined || !retentionPolicy) return undefined;
  return { version, enabled, ...(includeApis !== undefined ? { includeApis } : {}), retentionPolicy };
}

/** The methods a CORS rule may allow, in Azure's list. */
const CORS_METHODS = new Set(["DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH"]);

function readCorsRule(rule: XmlElement): CorsRule | undefined {
  const text = (name: string) => childOf(rule, name)?.text.trim();
  const allowedOrigins = text("AllowedOrigins");
  const allowedMethods = text("AllowedMethods");
  const maxAgeInSeconds = readWholeNumber(childOf(rule, "MaxAgeInSeconds"));
  if (!allowedOrigins || !allowedMethods || maxAgeInSeconds === undefined) return undefined;
  if (!allowedMethods.split(",").every((method) => CORS_METHODS.has(method.trim().toUpperCase()))) return undefined;
  const values = [allowedOrigins, allowedMethods, text("AllowedHeaders") ?? "", text("ExposedHeaders") ?? ""];
  if (!values.every(isXmlText)) return undefined;
  return {
    allowedOrigins,
    allowedMethods,
    allowedHeaders: text("AllowedHeaders") ?? "",
    exposedHeaders: text("ExposedHeaders") ?? "",
    maxAgeInSeconds,
  };
}

/**
 * Set Queue Service Properties' body: only what it names changes (a document without Cors leaves the CORS rules as
 * they are), as on Azure.
 */
export function readServiceProperties(body: Buffer): Partial<ServiceProperties> | undefined {
  const root = parseXml(body);
  if (root?.name !== "StorageServiceProperties") return undefined;
  const changes: { -readonly [Key in keyof ServiceProperties]?: ServiceProperties[Key] } = {};
  const logging = childOf(root, "Logging");
  if (logging) {
    const read = readLogging(logging);
    if (!read) return undefined;
    changes.logging = read;
  }
  for (const [name, key] of [
    ["HourMetrics", "hourMetrics"],
    ["MinuteMetrics", "minuteMetrics"],
  ] as const) {
    const metrics = childOf(root, name);
    if (!metrics) continue;
    const read = readMetrics(metrics);
    if (!read) return undefined;
    changes[key] = read;
  }
  const cors = childOf(root, "Cors");
  if (cors) {
    const rules = childrenOf(cors, "CorsRule").map(readCorsRule);
    if (rules.length > LIMITS.maxCorsRules || rules.some((rule) => rule === undefined)) return undefined;
    changes.cors = rules as CorsRule[];
  }
  return changes;
}

// ——— Writing ———

/**
 * The messages of Put Message (ids, times, pop receipt), Get Messages (all of it) and Peek Messages (no pop receipt,
 * no next visibility), in `<QueueMessagesList>`.
 */
export function messagesList(messages: readonly Message[], kind: "put" | "get" | "peek"): string {
  const items = messages.map((message) =>
    element(
      "QueueMessage",
      textElement("MessageId", message.messageId),
      textElement("InsertionTime", rfc1123(message.insertedOn)),
      textElement("ExpirationTime", rfc1123(message.expiresOn)),
      kind === "peek" ? "" : textElement("PopReceipt", message.popReceipt),
      kind === "peek" ? "" : textElement("TimeNextVisible", rfc1123(message.visibleOn)),
      kind === "put" ? "" : textElement("DequeueCount", message.dequeueCount),
      kind === "put" ? "" : textElement("MessageText", message.text),
    ),
  );
  return xmlDocument(element("QueueMessagesList", ...items));
}

const metadataElement = (metadata: Metadata) =>
  element("Metadata", ...metadata.map(([name, value]) => textElement(name, value)));

/** List Queues' page. Prefix, Marker and MaxResults appear only when the request gave them, as on Azure. */
export function queuesList(page: {
  readonly serviceEndpoint: string;
  readonly prefix: string | undefined;
  readonly marker: string | undefined;
  readonly maxResults: string | undefined;
  readonly queues: readonly Queue[];
  readonly includeMetadata: boolean;
  readonly nextMarker: string | undefined;
}): string {
  const queues = page.queues.map((queue) =>
    element("Queue", textElement("Name", queue.name), page.includeMetadata ? metadataElement(queue.metadata) : ""),
  );
  return xmlDocument(
    `<EnumerationResults ServiceEndpoint="${escapeXml(page.serviceEndpoint)}">${[
      page.prefix !== undefined ? textElement("Prefix", page.prefix) : "",
      page.marker !== undefined ? textElement("Marker", page.marker) : "",
      page.maxResults !== undefined ? textElement("MaxResults", page.maxResults) : "",
      element("Queues", ...queues),
      textElement("NextMarker", page.nextMarker ?? ""),
    ].join("")}</EnumerationResults>`,
  );
}

/** A stored time as Azure writes it in an access policy: ISO 8601 with seven digits of fraction. */
const policyTime = (iso: string) => iso.replace(/\.(\d{3})Z$/, ".$10000Z");

export function signedIdentifiersList(identifiers: readonly SignedIdentifier[]): string {
  const items = identifiers.map((identifier) =>
    element(
      "SignedIdentifier",
      textElement("Id", identifier.id),
      element(
        "AccessPolicy",
        identifier.start ? textElement("Start", policyTime(identifier.start)) : "",
        identifier.expiry ? textElement("Expiry", policyTime(identifier.expiry)) : "",
        identifier.permission !== undefined ? textElement("Permission", identifier.permission) : "",
      ),
    ),
  );
  return xmlDocument(element("SignedIdentifiers", ...items));
}

const retentionElement = (policy: RetentionPolicy) =>
  element(
    "RetentionPolicy",
    textElement("Enabled", policy.enabled),
    policy.days !== undefined ? textElement("Days", policy.days) : "",
  );

const metricsElement = (name: string, metrics: Metrics) =>
  element(
    name,
    textElement("Version", metrics.version),
    textElement("Enabled", metrics.enabled),
    metrics.includeApis !== undefined ? textElement("IncludeAPIs", metrics.includeApis) : "",
    retentionElement(metrics.retentionPolicy),
  );

export function servicePropertiesDocument(properties: ServiceProperties): string {
  const { logging } = properties;
  return xmlDocument(
    element(
      "StorageServiceProperties",
      element(
        "Logging",
        textElement("Version", logging.version),
        textElement("Delete", logging.delete),
        textElement("Read", logging.read),
        textElement("Write", logging.write),
        retentionElement(logging.retentionPolicy),
      ),
      metricsElement("HourMetrics", properties.hourMetrics),
      metricsElement("MinuteMetrics", properties.minuteMetrics),
      element(
        "Cors",
        ...properties.cors.map((rule) =>
          element(
            "CorsRule",
            textElement("AllowedOrigins", rule.allowedOrigins),
            textElement("AllowedMethods", rule.allowedMethods),
            textElement("AllowedHeaders", rule.allowedHeaders),
            textElement("ExposedHeaders", rule.exposedHeaders),
            textElement("MaxAgeInSeconds", rule.maxAgeInSeconds),
          ),
        ),
      ),
    ),
  );
}

/** Get Queue Service Stats, on the secondary endpoint: replication is live, synced just now. */
export const serviceStatsDocument = (lastSyncTime: number): string =>
  xmlDocument(
    element(
      "StorageServiceStats",
      element("GeoReplication", textElement("Status", "live"), textElement("LastSyncTime", rfc1123(lastSyncTime))),
    ),
  );
