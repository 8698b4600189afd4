/**
 * What Key Vault accepts, checked in full before anything changes: the
 * bodies of Set Secret (SecretSetParameters) and Update Secret
 * (SecretUpdateParameters), and a backup to restore, every version of it.
 *
 * The limits are Azure's documented ones ("About Azure Key Vault secrets"):
 * a value of 25 KB (counted as 25,600 characters), a content type of 255
 * characters, up to 15 tags of a 512-character name and a 512-character
 * value; nbf and exp are IntDates (whole Unix seconds). `null` is taken as
 * "not given", as Azure's JSON deserializer takes it and as the SDKs may send
 * it for an unset option. Properties Key Vault does not know are ignored.
 */
import { z } from "zod";
import * as errors from "./errors.ts";
import type { KeyVaultError } from "./errors.ts";
import type { StoredSecret } from "./store.ts";

/** Secret names: 1-127 characters, 0-9, a-z, A-Z and -. */
export const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** Azure's limit: 25 KB, counted as 25,600 characters. */
export const MAX_VALUE_LENGTH = 25_600;
export const MAX_CONTENT_TYPE_LENGTH = 255;
export const MAX_TAGS = 15;
export const MAX_TAG_NAME_LENGTH = 512;
export const MAX_TAG_VALUE_LENGTH = 512;
/** The format of this vault's backups (opaque to callers, as Azure's are). */
export const BACKUP_FORMAT = "keyless-sandbox-backup-1";

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A flat map of string to string. Built with Object.fromEntries so that a tag
 * named `__proto__` stays an ordinary tag (z.record would drop it).
 */
const tags = z
  .custom<Record<string, string>>(isPlainObject, { error: "Tags are a JSON object of names to string values." })
  .superRefine((value, context) => {
    const entries = Object.entries(value);
    if (entries.length > MAX_TAGS)
      context.addIssue({
        code: "custom",
        message: `Key Vault allows at most ${MAX_TAGS} tags; ${entries.length} were given.`,
      });
    for (const [name, tag] of entries) {
      if (name.length > MAX_TAG_NAME_LENGTH)
        context.addIssue({
          code: "custom",
          path: [name],
          message: `A tag name has at most ${MAX_TAG_NAME_LENGTH} characters.`,
        });
      if (typeof tag !== "string")
        context.addIssue({ code: "custom", path: [name], message: "A tag value is a string." });
      else if (tag.length > MAX_TAG_VALUE_LENGTH)
        context.addIssue({
          code: "custom",
          path: [name],
          message: `A tag value has at most ${MAX_TAG_VALUE_LENGTH} characters.`,
        });
    }
  })
  .transform((value) => Object.fromEntries(Object.entries(value)) as Record<string, string>);

const contentType = z
  .string({ error: "The content type is a string." })
  .max(MAX_CONTENT_TYPE_LENGTH, { error: `The content type has at most ${MAX_CONTENT_TYPE_LENGTH} characters.` });
/** An IntDate: whole seconds since 1970-01-01T00:00:00Z. */
const unixSeconds = z.int({ error: "A date is a whole number of seconds since 1970-01-01T00:00:00Z (an IntDate)." });
const enabled = z.boolean({ error: "enabled is true or false." });
/** Optional, and `null` is "not given". */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

const attributes = z.object(
  { enabled: optional(enabled), nbf: optional(unixSeconds), exp: optional(unixSeconds) },
  { error: "attributes is a JSON object: enabled, nbf, exp." },
);

/** The properties a set and an update share. */
const properties = { contentType: optional(contentType), tags: optional(tags), attributes: optional(attributes) };
// `value` first: when it is missing or too long, that is the problem reported.
const setParameters = z.object({ value: z.string().max(MAX_VALUE_LENGTH), ...properties });
const updateParameters = z.object(properties);

export interface SecretProperties {
  readonly contentType?: string;
  readonly tags?: Record<string, string>;
  readonly enabled?: boolean;
  readonly notBefore?: number;
  readonly expires?: number;
}
export interface SetParameters extends SecretProperties {
  readonly value: string;
}

type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KeyVaultError };

const flatten = (input: z.infer<typeof updateParameters>): SecretProperties => ({
  ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
  ...(input.tags !== undefined ? { tags: input.tags } : {}),
  ...(input.attributes?.enabled !== undefined ? { enabled: input.attributes.enabled } : {}),
  ...(input.attributes?.nbf !== undefined ? { notBefore: input.attributes.nbf } : {}),
  ...(input.attributes?.exp !== undefined ? { expires: input.attributes.exp } : {}),
});

/** The first problem, in Key Vault's words: which property, and why. */
function refusal(error: z.ZodError): KeyVaultError {
  const issue = error.issues[0];
  if (!issue || issue.path.length === 0) return errors.notAnObject();
  if (issue.path[0] === "value") return issue.code === "too_big" ? errors.valueTooLarge() : errors.missingValue();
  const [top, ...rest] = issue.path.map(String);
  // A tag's name is data, not a path: name it in quotes, shortened.
  const property =
    top === "tags" && rest[0] !== undefined
      ? `tags['${rest[0].length > 40 ? `${rest[0].slice(0, 40)}…` : rest[0]}']`
      : [top, ...rest].join(".");
  return errors.invalidProperty(property, issue.message);
}

/** A Set Secret body (PUT /secrets/{name}). */
export function checkSet(body: unknown): Checked<SetParameters> {
  const parsed = setParameters.safeParse(body ?? {});
  if (!parsed.success) return { ok: false, error: refusal(parsed.error) };
  return { ok: true, value: { value: parsed.data.value, ...flatten(parsed.data) } };
}

/** An Update Secret body (PATCH /secrets/{name}/{version?}). */
export function checkUpdate(body: unknown): Checked<SecretProperties> {
  const parsed = updateParameters.safeParse(body ?? {});
  if (!parsed.success) return { ok: false, error: refusal(parsed.error) };
  return { ok: true, value: flatten(parsed.data) };
}

// A backup holds whole stored versions: every field is checked, as a set checks it.
const storedVersion = z.strictObject({
  version: z.string().regex(/^[0-9a-f]{32}$/),
  value: z.string().max(MAX_VALUE_LENGTH),
  contentType: contentType.optional(),
  tags: tags.optional(),
  enabled,
  notBefore: unixSeconds.optional(),
  expires: unixSeconds.optional(),
  created: unixSeconds,
  updated: unixSeconds,
});
const backup = z.object({
  format: z.literal(BACKUP_FORMAT),
  secret: z.strictObject({
    name: z.string().regex(SECRET_NAME),
    versions: z
      .array(storedVersion)
      .min(1)
      .refine((versions) => new Set(versions.map((version) => version.version)).size === versions.length, {
        error: "Version ids are unique.",
      }),
  }),
});
const restoreParameters = z.object({ value: z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/) });

/** A Restore Secret body: `{"value": <base64url backup>}`, the backup decoded and checked whole. */
export function checkRestore(body: unknown): Checked<StoredSecret> {
  const parameters = restoreParameters.safeParse(body);
  if (!parameters.success) return { ok: false, error: errors.badBackup() };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(parameters.data.value, "base64url").toString("utf8"));
  } catch {
    return { ok: false, error: errors.badBackup() };
  }
  const parsed = backup.safeParse(decoded);
  if (!parsed.success) return { ok: false, error: errors.badBackup() };
  const { name, versions } = parsed.data.secret;
  return {
    ok: true,
    value: {
      name,
      versions: versions.map((version) => ({
        version: version.version,
        value: version.value,
        enabled: version.enabled,
        created: version.created,
        updated: version.updated,
        ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
        ...(version.tags !== undefined ? { tags: version.tags } : {}),
        ...(version.notBefore !== undefined ? { notBefore: version.notBefore } : {}),
        ...(version.expires !== undefined ? { expires: version.expires } : {}),
      })),
    },
  };
}
