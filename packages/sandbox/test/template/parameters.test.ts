import { describe, expect, it } from "vitest";
import { TemplateError, validate } from "../../src/arm/template/index.ts";
import { createFakeHost } from "./fakeHost.ts";
import { allStrings, template } from "./helpers.ts";

const host = createFakeHost();

/** The error a validation throws (the test fails if it does not throw one). */
function refusal(run: () => unknown): TemplateError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error("expected a TemplateError");
}

const TEXT = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "name": { "type": "string", "minLength": 3, "maxLength": 8 },
    "sku": { "type": "string", "defaultValue": "standard", "allowedValues": ["standard", "premium"] },
    "count": { "type": "int", "defaultValue": 2, "minValue": 1, "maxValue": 4 },
    "password": { "type": "securestring", "allowedValues": ["one-allowed-secret"] },
    "location": { "type": "string", "defaultValue": "[resourceGroup().location]" },
    "label": { "type": "string", "defaultValue": "[format('{0}-{1}', parameters('name'), parameters('sku'))]" }
  },
  "resources": []
}`;

const given = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { value }]));

describe("parameters", () => {
  it("take given values, then defaults, which may be expressions reading other parameters", () => {
    const answer = validate(
      { template: TEXT, parameters: given({ name: "kless", password: "one-allowed-secret" }) },
      host,
    );
    expect(answer["properties"]).toMatchObject({
      parameters: {
        name: { type: "String", value: "kless" },
        sku: { type: "String", value: "standard" },
        count: { type: "Int", value: 2 },
        password: { type: "SecureString" },
        location: { type: "String", value: "westeurope" },
        label: { type: "String", value: "kless-standard" },
      },
    });
    expect(allStrings(answer)).not.toContain("one-allowed-secret");
  });

  it("accept a parameters file as well as the REST body's map", () => {
    const file = {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
      contentVersion: "1.0.0.0",
      parameters: given({ name: "kless", password: "one-allowed-secret" }),
    };
    expect(() => validate({ template: TEXT, parameters: JSON.stringify(file) }, host)).not.toThrow();
  });

  it("refuse a missing value in Azure's words, naming the template's line and column", () => {
    const error = refusal(() =>
      validate({ template: TEXT, parameters: given({ password: "one-allowed-secret" }) }, host),
    );
    expect(error.code).toBe("InvalidTemplate");
    expect(error.message).toBe(
      "Deployment template validation failed: 'The value for the template parameter 'name' at line '5' and column '5' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details'.",
    );
    expect(error.toArmError().additionalInfo?.[0]?.info).toEqual({
      lineNumber: 5,
      linePosition: 5,
      path: "properties.template.parameters.name",
    });
  });

  it("refuse a parameter the template does not have, listing those it has", () => {
    const error = refusal(() =>
      validate(
        { template: TEXT, parameters: given({ name: "kless", password: "one-allowed-secret", extra: 1 }) },
        host,
      ),
    );
    expect(error.message).toContain(
      "The template parameters 'extra' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are 'name, sku, count, password, location, label'.",
    );
  });

  it.each([
    [{ name: 5 }, "Template parameter JToken type is not valid. Expected 'String'. Actual 'Integer'."],
    [{ name: "ab" }, "Length of the value should be greater than or equal to '3'."],
    [{ name: "abcdefghi" }, "Length of the value should be less than or equal to '8'."],
    [{ sku: "basic" }, "The parameter value is not part of the allowed value(s): 'standard,premium'."],
    [{ count: 9 }, "Value should be less than or equal to '4'."],
    [{ count: "2" }, "Expected 'Integer'. Actual 'String'."],
  ])("refuse %j: %s", (values, message) => {
    const error = refusal(() =>
      validate(
        { template: TEXT, parameters: given({ name: "kless", password: "one-allowed-secret", ...values }) },
        host,
      ),
    );
    expect(error.message).toContain(message);
  });

  it("never quote a secure value in an error", () => {
    const error = refusal(() =>
      validate({ template: TEXT, parameters: given({ name: "kless", password: "a-wrong-secret-value" }) }, host),
    );
    expect(error.message).toContain("The provided value for the template parameter 'password'");
    expect(JSON.stringify(error.toArmError())).not.toContain("a-wrong-secret-value");
  });

  it("refuse a Key Vault reference in a parameters file, rather than ignore it", () => {
    const parameters = {
      name: { value: "kless" },
      password: { reference: { keyVault: { id: "x" }, secretName: "s" } },
    };
    expect(refusal(() => validate({ template: TEXT, parameters }, host)).message).toContain(
      "is not supported by this sandbox",
    );
  });

  it("refuse an unknown parameter type and an unknown member", () => {
    const bad = template({ parameters: { p: { type: "text" } } });
    expect(refusal(() => validate({ template: bad }, host)).message).toContain("has type 'text', which is not valid");
    const odd = template({ parameters: { p: { type: "string", defaultValue: "x", secret: true } } });
    const error = refusal(() => validate({ template: odd }, host));
    expect(error.code).toBe("InvalidRequestContent");
    expect(error.message).toContain("Could not find member 'secret' on object of type 'TemplateInputParameter'");
  });

  it("refuse reference() in a default value: parameters are known before any resource exists", () => {
    const bad = template({ parameters: { p: { type: "string", defaultValue: "[reference('x').y]" } } });
    expect(refusal(() => validate({ template: bad }, host)).message).toContain(
      "The template parameter 'p' at line '6' and column '5' is not valid: The template function 'reference' is not expected at this location.",
    );
  });
});
