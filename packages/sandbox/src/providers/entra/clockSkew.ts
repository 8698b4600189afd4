/**
 * Clocks may differ this much: Microsoft.IdentityModel's default, which Azure's
 * services use. A token is still accepted up to five minutes after its `exp`,
 * and from five minutes before its `nbf`. A file of its own so that what only
 * words a denial (the `az` CLI's `sandbox` commands) reads it without loading jose.
 */
export const CLOCK_SKEW_SECONDS = 300;
