/** This package's tests run with the configuration every package shares (packages/test-config). */
export { default } from "@keyless/test-config";
