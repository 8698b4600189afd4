/**
 * The contract suite against an app anywhere, by its URL alone
 * (KEYLESS_CHECK_URL): `npm run check -- --url https://<app>.azurewebsites.net`
 * runs this file. The checks that need the sandbox's world (a third party it
 * can make fail, the app's logs) are listed, skipped.
 */
import { describeDeployedContract } from "@keyless/contract-tests";

const baseUrl = process.env["KEYLESS_CHECK_URL"] ?? "";

describeDeployedContract(baseUrl, async () => ({ baseUrl }));
