// Sums vitest's JSON reports (one per package, under .test-results/, written as the shared vitest
// configuration in packages/test-config says) into the line CI reads.
// Plain JavaScript so that any Node runs it. Its argument is npm test's exit status: a failed run
// whose failure left no report (a suite that could not start, a crashed task) still counts as failed.
// The failed tests are listed last, just above that line, so that a CI log's tail names them (it may show only
// its last lines, and turbo streams every package's output interleaved).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { relative } from "node:path";

let passed = 0;
let failed = 0;
let reports = 0;
const failures = [];
for (const group of ["packages", "steps"]) {
  for (const name of readdirSync(group)) {
    const file = `${group}/${name}/.test-results/vitest.json`;
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, "utf8"));
    reports++;
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    for (const suite of report.testResults) {
      const where = relative(process.cwd(), suite.name);
      // A suite that failed to load has no tests to count: count it as one failure.
      if (suite.status === "failed" && suite.assertionResults.length === 0) {
        failed++;
        failures.push([where, suite.message]);
      }
      for (const test of suite.assertionResults)
        if (test.status === "failed") failures.push([`${where} > ${test.fullName}`, test.failureMessages.join("\n")]);
    }
  }
}
if (reports === 0) {
  console.log("0 passed, 1 failed");
  console.error("No test results found: did `npm test` run?");
  process.exit(1);
}
const testStatus = Number(process.argv[2] ?? 0);
if (testStatus !== 0 && failed === 0) {
  failed = 1;
  // Lint (Biome), a type error, or a task that could not start: turbo's last lines name it ("Failed: //#lint").
  console.error(
    "npm test failed outside the counted tests (lint, types, or a task that did not start): see its output above.",
  );
}
for (const [where, message] of failures) {
  // The first lines of each: the assertion or error, and where it failed.
  const head = String(message ?? "")
    .trim()
    .split("\n")
    .slice(0, 30)
    .join("\n    ");
  console.log(`FAILED ${where}\n    ${head}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
