import { ConfigError } from "./config.ts";

/**
 * One line that says why start-up failed and what to do: no stack trace,
 * and never a secret.
 */
export function describeStartupError(error: unknown): string {
  if (error instanceof ConfigError) return `${error.message} Set it and start again.`;
  const code = (error as { code?: unknown }).code;
  if (code === "EADDRINUSE") return "The port is already in use: stop the other process, or set PORT to a free port.";
  if (code === "EACCES") return "Not allowed to listen on that port: set PORT to a port above 1024.";
  return `Unexpected start-up failure: ${error instanceof Error ? error.message : String(error)}`;
}
