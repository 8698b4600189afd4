/** The learner's own apps, as npm start runs them: why one did not start, in one sentence. */
import { describe, expect, it } from "vitest";
import { describeStartFailure } from "../src/learnerApps.ts";

const exited = (text: string) => new Error(`The step exited with 1 before listening:\n${text}`);
const syntaxError = (where: string) =>
  exited(
    `${where}:20\n  x: ,\n     ^\n\nSyntaxError [ERR_INVALID_TYPESCRIPT_SYNTAX]: Expression expected\n    at parseTypeScript (node:internal/modules/typescript:72:36)\n`,
  );

describe("a start-up failure in one sentence", () => {
  const dir = "/home/learner/keyless/workspace/03-managed-identity";

  it("the app's own words", () => {
    expect(describeStartFailure(exited("Did not start: Environment: AZURE_TENANT_ID is not set.\n"), dir)).toBe(
      "Environment: AZURE_TENANT_ID is not set.",
    );
  });

  it("Node's error, with the file and line in the learner's app, named by its URL or its path", () => {
    const expected = "src/config.ts:20: SyntaxError: Expression expected";
    expect(describeStartFailure(syntaxError(`file://${dir}/src/config.ts`), dir)).toBe(expected);
    expect(describeStartFailure(syntaxError(`${dir}/src/config.ts`), dir)).toBe(expected);
  });

  it("on Windows too: backslashes in a path, a drive letter and %20 for a space in a URL", () => {
    const windowsDir = "C:\\Users\\Ada Lovelace\\keyless\\workspace\\03-managed-identity";
    const expected = "src/config.ts:20: SyntaxError: Expression expected";
    expect(describeStartFailure(syntaxError(`${windowsDir}\\src\\config.ts`), windowsDir)).toBe(expected);
    expect(
      describeStartFailure(
        syntaxError("file:///C:/Users/Ada%20Lovelace/keyless/workspace/03-managed-identity/src/config.ts"),
        windowsDir,
      ),
    ).toBe(expected);
  });
});
