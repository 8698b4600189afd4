#!/usr/bin/env node
/**
 * Runs the third party on its own: `npm start -w @keyless/third-party-api`.
 * THIRD_PARTY_API_KEYS is a comma-separated list of valid function keys.
 */
import { startThirdPartyApi } from "./index.ts";

const keys = (process.env["THIRD_PARTY_API_KEYS"] ?? "")
  .split(",")
  .map((key) => key.trim())
  .filter(Boolean);
if (keys.length === 0) {
  console.error("Set THIRD_PARTY_API_KEYS to one or more comma-separated function keys.");
  process.exit(1);
}
const api = await startThirdPartyApi({ keys, port: Number(process.env["PORT"] ?? 7071) });
console.log(`Third-party API listening: ${api.endpoint}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void api.stop().then(() => process.exit(0)));
}
