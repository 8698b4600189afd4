import type { AccessKeySource } from "./thirdPartyApi.ts";

/*
 * ANTI-PATTERN, ON PURPOSE: the third party's access key is written in the
 * source code.
 *
 * Everyone who can read this repository, its forks, its history, a build
 * artifact or a screenshot of this file now holds the key, and removing the
 * line later does not remove it from git history. Rotating the key means
 * editing code and redeploying. A secret scanner finds it (run
 * `npm run scan:secrets`); so does an attacker.
 *
 * Step 02 moves the key into Azure Key Vault and reads it at run time.
 */
export const THIRD_PARTY_API_KEY = "xz0IzgFlfoHKD5PPutAvU7+5x0jB0tbBVp0CAJCMOqS3dJXjIVjslw==";

/** The key never changes without a redeploy, so there is nothing to refresh. */
export const thirdPartyKey: AccessKeySource = {
  current: () => THIRD_PARTY_API_KEY,
};
