/**
 * What Queue Storage keeps, in the words of its REST API: queues with their
 * metadata and stored access policies, messages, and the account's service
 * properties. Times are milliseconds since the epoch; the answers show them to
 * the second, as Azure does.
 */

/** Metadata names with the case they were given in (Azure keeps it), in order. Names compare without case. */
export type Metadata = readonly (readonly [name: string, value: string])[];

/** One stored access policy of a queue (Set Queue ACL): its id and, each optional, when and what it allows. */
export interface SignedIdentifier {
  readonly id: string;
  readonly start?: string;
  readonly expiry?: string;
  readonly permission?: string;
}

export interface Queue {
  readonly name: string;
  readonly metadata: Metadata;
  readonly acl: readonly SignedIdentifier[];
  /** Azure's approximate message count: every message stored, visible or not, until it is deleted or expires. */
  readonly messageCount: number;
}

export interface Message {
  readonly messageId: string;
  readonly text: string;
  readonly insertedOn: number;
  readonly expiresOn: number;
  /** When Get Messages may return it again. */
  readonly visibleOn: number;
  /** What Delete Message and Update Message must present: it changes each time the message is received or updated. */
  readonly popReceipt: string;
  readonly dequeueCount: number;
}

export interface RetentionPolicy {
  readonly enabled: boolean;
  readonly days?: number;
}

export interface Logging {
  readonly version: string;
  readonly delete: boolean;
  readonly read: boolean;
  readonly write: boolean;
  readonly retentionPolicy: RetentionPolicy;
}

export interface Metrics {
  readonly version: string;
  readonly enabled: boolean;
  readonly includeApis?: boolean;
  readonly retentionPolicy: RetentionPolicy;
}

export interface CorsRule {
  readonly allowedOrigins: string;
  readonly allowedMethods: string;
  readonly allowedHeaders: string;
  readonly exposedHeaders: string;
  readonly maxAgeInSeconds: number;
}

/** Get/Set Queue Service Properties: the account's logging, metrics and CORS rules. */
export interface ServiceProperties {
  readonly logging: Logging;
  readonly hourMetrics: Metrics;
  readonly minuteMetrics: Metrics;
  readonly cors: readonly CorsRule[];
}

/** A new account's service properties, as Azurite (the conformance oracle) shows them. */
export const DEFAULT_SERVICE_PROPERTIES: ServiceProperties = {
  logging: { version: "1.0", delete: true, read: true, write: true, retentionPolicy: { enabled: false } },
  hourMetrics: { version: "1.0", enabled: false, retentionPolicy: { enabled: false } },
  minuteMetrics: { version: "1.0", enabled: false, retentionPolicy: { enabled: false } },
  cors: [],
};

/** Azure's limits for Queue Storage. */
export const LIMITS = {
  /** A message's text, UTF-8 encoded. */
  messageBytes: 64 * 1024,
  /** Put Message's time to live when none is given: 7 days. */
  defaultTtlSeconds: 7 * 24 * 3600,
  /** Every visibility timeout: at most 7 days. */
  maxVisibilitySeconds: 7 * 24 * 3600,
  /** Get Messages and Update Message hide a message this long when the caller says nothing. */
  defaultVisibilitySeconds: 30,
  /** Get Messages and Peek Messages return 1 to 32 messages. */
  maxMessagesPerCall: 32,
  /** List Queues returns at most this many a page. */
  maxListResults: 5000,
  /** Stored access policies per queue. */
  maxSignedIdentifiers: 5,
  /** Metadata names and values together. */
  metadataBytes: 8 * 1024,
  /** CORS rules per account. */
  maxCorsRules: 5,
} as const;

/** A message with a time to live of -1 never expires: Azure shows it expiring at the end of 9999. */
export const NEVER_EXPIRES = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
