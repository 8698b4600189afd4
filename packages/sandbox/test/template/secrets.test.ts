/** Secure values never leave the engine: not in an answer, an error, a what-if or an output. */
import { describe, expect, it } from "vitest";
import { deploy, HostError, TemplateError, validate, whatIf } from "../../src/arm/template/index.ts";
import { createFakeHost, GROUP_ID } from "./fakeHost.ts";
import { allStrings, template } from "./helpers.ts";

const SECRET = "Sup3r-Secret-Value-2718";
const OBJECT_SECRET = "nested-object-secret-3141";

const parts = template({
  parameters: {
    pw: { type: "securestring" },
    settings: { type: "secureObject" },
  },
  variables: { derived: "[format('pw={0}', toUpper(parameters('pw')))]" },
  resources: [
    {
      type: "Microsoft.Web/sites",
      apiVersion: "2023-12-01",
      name: "app",
      properties: {
        siteConfig: {
          appSettings: [
            { name: "DERIVED", value: "[variables('derived')]" },
            { name: "FROM_OBJECT", value: "[parameters('settings').token]" },
            { name: "PLAIN", value: "visible" },
          ],
        },
      },
    },
  ],
  outputs: {
    pw: { type: "securestring", value: "[parameters('pw')]" },
    settings: { type: "secureObject", value: "[parameters('settings')]" },
  },
});
const parameters = { pw: { value: SECRET }, settings: { value: { token: OBJECT_SECRET } } };

/** No string of a value holds a secret, in any case (a derived value may be upper-cased). */
function expectClean(value: unknown) {
  for (const text of allStrings(value)) {
    expect(text.toLowerCase()).not.toContain(SECRET.toLowerCase());
    expect(text).not.toContain(OBJECT_SECRET);
  }
}

describe("secure values", () => {
  it("are absent from validation, what-if, the deployment, its operations and its outputs", async () => {
    const host = createFakeHost();
    expectClean(validate({ template: parts, parameters }, host));
    const before = await whatIf({ template: parts, parameters }, host);
    expectClean(before);
    const { deployment, operations } = await deploy({ template: parts, parameters }, host);
    expect(deployment["properties"]).toMatchObject({
      provisioningState: "Succeeded",
      outputs: { pw: { type: "SecureString" }, settings: { type: "SecureObject" } },
    });
    expectClean([deployment, operations]);
    expectClean(await whatIf({ template: parts, parameters }, host));
    // The host, and only the host, got them.
    expect(JSON.stringify(host.puts)).toContain(`pw=${SECRET.toUpperCase()}`);
    expect(before.properties.changes[0]?.after).toMatchObject({
      properties: {
        siteConfig: {
          appSettings: [
            { name: "DERIVED", value: "(secure value)" },
            { name: "FROM_OBJECT", value: "(secure value)" },
            { name: "PLAIN", value: "visible" },
          ],
        },
      },
    });
  });

  it("are scrubbed from a host's error that quotes one", async () => {
    const host = createFakeHost();
    host.failures.set(
      `${GROUP_ID}/providers/Microsoft.Web/sites/app`.toLowerCase(),
      new HostError("BadRequest", `The setting '${SECRET}' is not allowed.`),
    );
    const { deployment, operations } = await deploy({ template: parts, parameters }, host);
    expect(deployment["properties"]).toMatchObject({ provisioningState: "Failed" });
    expect(JSON.stringify(deployment)).toContain("The setting '(secure value)' is not allowed.");
    expectClean([deployment, operations]);
  });

  it("are absent from the errors of a refused deployment", async () => {
    const host = createFakeHost();
    const bad = template({ parameters: { pw: { type: "securestring", minLength: 40, allowedValues: ["x"] } } });
    const error = await deploy({ template: bad, parameters: { pw: { value: SECRET } } }, host).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TemplateError);
    expectClean([(error as TemplateError).message, (error as TemplateError).toArmError()]);
  });
});
