/**
 * The environment that traces an app the launcher runs, with no change to its code: the preload
 * in NODE_OPTIONS (after whatever preloads the app already has), where to send spans, and the
 * app's name on them. Any Node app works: a step, or a learner's own.
 */
import { fileURLToPath, pathToFileURL } from "node:url";

/** The preload (see preload.ts), as the absolute URL `--import` takes from any working directory. */
export const TELEMETRY_PRELOAD = pathToFileURL(fileURLToPath(new URL("./preload.ts", import.meta.url))).href;

export interface TelemetrySettings {
  /** The app's name on its spans (OTEL_SERVICE_NAME): its App Service app, keyless-step-03. */
  readonly app: string;
  /** The collector's traces URL (the sandbox's endpoints.telemetry). */
  readonly tracesUrl: string;
  /** The app's own NODE_OPTIONS, kept first. */
  readonly nodeOptions?: string;
}

export function telemetryEnvironment({ app, tracesUrl, nodeOptions }: TelemetrySettings): Record<string, string> {
  return {
    NODE_OPTIONS: [nodeOptions, `--import ${TELEMETRY_PRELOAD}`].filter(Boolean).join(" "),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: tracesUrl,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
    OTEL_SERVICE_NAME: app,
  };
}
