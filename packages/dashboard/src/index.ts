/**
 * See it happen: the live view of the sandbox (identities, roles, secrets, the queue, and every
 * request's path with every denial explained), and the telemetry that traces the apps.
 *
 * @module @keyless/dashboard
 */
export { startDashboard, type DashboardLauncher, type DashboardOptions, type RunningDashboard } from "./server.ts";
export type { AppRun } from "./views.ts";
export { buildTraces, type Trace, type TraceNode, type TokenAcquisition } from "./traces.ts";
export { telemetryEnvironment, TELEMETRY_PRELOAD, type TelemetrySettings } from "./telemetry/environment.ts";
