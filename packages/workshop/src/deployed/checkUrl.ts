/**
 * `npm run check -- --url https://<app>.azurewebsites.net`: the contract
 * suite every step passes in the sandbox, against a deployed app over real
 * HTTPS. First whether the app answers at all (reach.ts), then each check
 * the app's URL alone can answer, printed in words. The checks that make the
 * third party fail or read the app's logs need the sandbox's world: they are
 * named, not run.
 *
 * Trust is Node's own: a *.azurewebsites.net certificate needs nothing; a
 * sandbox address (https://<site>.azurewebsites.localhost:<port>) needs the
 * sandbox's CA in NODE_EXTRA_CA_CERTS, as the steps get it.
 */
import { checksThatRan, failedChecks } from "@keyless/contract-tests";
import { runCheckpoint } from "../exercises/checkpoint.ts";
import { bold, dim, fail, ok } from "../terminal/ui.ts";
import { appUrl, reachHomePage } from "./reach.ts";

/**
 * `*.localhost` names resolve to this machine, as browsers and curl do, on every system: loaded into this
 * process, where the first request and the whole suite (runContract) make their requests.
 */
await import("@keyless/sandbox/dns-preload");

/** A failed check's reason: the assertion's first line, without its class name and expect's comparison note. */
const why = (message: string) =>
  (message.split("\n")[0] ?? "").replace(/^AssertionError: /, "").replace(/ \/\/ Object\.is equality$/, "");

/** Checks the app at `text` against the contract: true when every check that ran passed. */
export async function checkUrl(text: string): Promise<boolean> {
  const url = appUrl(text);
  const address = url.href.replace(/\/$/, "");
  console.log(`Checking ${address} against the contract every step keeps ...`);
  await reachHomePage(url);
  const { report } = await runCheckpoint({ step: "04", url: address, suite: "deployed" });
  const results = report.checks;
  const loadError = report.setUpError;
  if (results.length === 0 || loadError)
    throw new Error(`The contract suite did not run${loadError ? ` (${loadError.split("\n")[0]})` : ""}.`);

  const ran = checksThatRan(report);
  const failed = failedChecks(report);
  for (const result of ran) {
    if (result.status === "passed") {
      console.log(`  ${ok(result.title)}`);
      continue;
    }
    console.log(`  ${fail(result.title)}`);
    console.log(dim(`    ${why(result.message ?? "")}`));
  }
  const notRun = results.filter((result) => result.status === "skipped");
  if (notRun.length > 0) {
    console.log(
      dim(
        `  Not run here: ${notRun.length} checks need the sandbox's world (they make the third party fail on purpose, or read the app's logs and the third party's key); npm run check -- 04 runs them:`,
      ),
    );
    for (const result of notRun) console.log(dim(`    - ${result.title}`));
  }
  if (failed.length === 0) {
    console.log(ok(`${bold(`${address} keeps the contract`)}: ${ran.length} of ${ran.length} checks.`));
    return true;
  }
  console.log(fail(bold(`${address} does not keep the contract: ${failed.length} of ${ran.length} checks failed.`)));
  console.log(
    dim(
      "  It answers, but not as the workshop's step does: is step 04's code what the app runs (the workflow's zip deploy)? az webapp log tail -g <group> -n <app> shows what it prints.",
    ),
  );
  return false;
}
