import { pino } from "pino";

export type Logger = pino.Logger;

/**
 * Structured JSON logs, as Azure App Service collects them from stdout.
 * Redaction is a safety net: the code never logs a key in the first place.
 */
export function createLogger(level = "info"): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: ["key", "*.key", "secret", "*.secret", 'headers["x-functions-key"]'], censor: "[redacted]" },
  });
}
