import { describe, expect, it } from "vitest";
import { guid, uniqueString } from "../../src/arm/template/index.ts";
import { nameBasedUuid } from "../../src/arm/template/functions/hashes.ts";
import { GROUP_ID, SUBSCRIPTION, TENANT } from "./fakeHost.ts";
import { evalExpression as e } from "./helpers.ts";

describe("uniqueString and guid give Azure's values", () => {
  // Published pairs: outputs of Azure's own engine (Azure.Deployments.Expression), quoted by
  // independent reimplementations in Go, C#, bash and Terraform providers.
  it.each([
    [["test"], "rbgf3xv4ufgzg"],
    [["hello", "world"], "a7wkljktk6wne"],
    [["abc"], "cgtzqvhu4i23s"],
    [["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg"], "bmg7c6xu4tw46"],
    [["foo", "bar", "baz"], "xzi4ioaxtmth4"],
    [
      [
        "/subscriptions/31e9f9a0-9fd2-4294-a0a3-0101246d9700/resourceGroups/rg-modm201-20230913120256/providers/Microsoft.Compute/virtualMachines/bobjacmodm201",
      ],
      "yvjxno3je5on2",
    ],
  ])("uniqueString(%j) is %s", (args, expected) => {
    expect(uniqueString(args)).toBe(expected);
    expect(e(`uniqueString(${args.map((arg) => `'${arg}'`).join(", ")})`)).toBe(expected);
  });

  it("builds guid() as RFC 4122's name-based UUID (checked against RFC's own algorithm in Python's uuid5)", () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org'), the example in Python's documentation.
    expect(nameBasedUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org")).toBe(
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
    // uuid.uuid5(UUID('11fb06fb-712d-4ddd-98c7-e71bbd588830'), 'a-b'): ARM's namespace, arguments joined by '-'.
    expect(guid(["a", "b"])).toBe("2d796349-8c7e-55ec-9624-54ece82ed031");
    expect(e("guid('a', 'b')")).toBe("2d796349-8c7e-55ec-9624-54ece82ed031");
  });
});

describe("string functions", () => {
  it.each([
    ["concat('a', 1, true())", "a1True"],
    ["format('{0}-{1:D3}-{{x}}', 'kv', 7)", "kv-007-{x}"],
    ["toLower('AbC')", "abc"],
    ["toUpper('AbC')", "ABC"],
    ["trim('  x ')", "x"],
    ["replace('a-b-c', '-', '')", "abc"],
    ["substring('keyless', 3, 4)", "less"],
    ["substring('keyless', 3)", "less"],
    ["string(createObject('a', 1))", '{"a":1}'],
    ["string(false())", "False"],
    ["base64('keyless')", "a2V5bGVzcw=="],
    ["base64ToString('a2V5bGVzcw==')", "keyless"],
    ["uri('https://kv.vault.localhost/', 'secrets/x')", "https://kv.vault.localhost/secrets/x"],
    ["uriComponent('a b/c')", "a%20b%2Fc"],
    ["padLeft('7', 3, '0')", "007"],
    ["join(createArray('a', 'b'), ',')", "a,b"],
  ])("%s is %j", (expression, expected) => {
    expect(e(expression)).toBe(expected);
  });

  it("compares as Azure documents: startsWith, endsWith and indexOf ignore case, contains does not", () => {
    expect(e("startsWith('Keyless', 'key')")).toBe(true);
    expect(e("endsWith('Keyless', 'LESS')")).toBe(true);
    expect(e("indexOf('Keyless', 'LESS')")).toBe(3);
    expect(e("lastIndexOf('abcabc', 'b')")).toBe(4);
    expect(e("contains('Keyless', 'key')")).toBe(false);
    expect(e("contains('Keyless', 'Key')")).toBe(true);
  });

  it("splits on one delimiter or several", () => {
    expect(e("split('a,b;c', createArray(',', ';'))")).toEqual(["a", "b", "c"]);
    expect(e("split('a/b', '/')")).toEqual(["a", "b"]);
  });

  it("refuses a substring outside the string", () => {
    expect(() => e("substring('abc', 2, 5)")).toThrow("must refer to a location within the string");
  });
});

describe("collections, logic and numbers", () => {
  it.each([
    ["length('abc')", 3],
    ["length(createArray(1, 2))", 2],
    ["length(createObject('a', 1))", 1],
    ["empty('')", true],
    ["empty(createArray())", true],
    ["empty(createObject('a', 1))", false],
    ["contains(createArray(1, 2), 2)", true],
    ["contains(createObject('Name', 1), 'name')", true],
    ["coalesce(null(), null(), 'x')", "x"],
    ["first(createArray(1, 2))", 1],
    ["last('abc')", "c"],
    ["take(createArray(1, 2, 3), 2)", [1, 2]],
    ["skip('keyless', 3)", "less"],
    ["union(createArray(1, 2), createArray(2, 3))", [1, 2, 3]],
    ["concat(createArray(1), createArray(2, 3))", [1, 2, 3]],
    ["intersection(createArray(1, 2, 3), createArray(2, 3, 4))", [2, 3]],
    ["range(2, 3)", [2, 3, 4]],
    ["min(createArray(3, 1, 2))", 1],
    ["max(3, 1, 2)", 3],
    ["add(2, 3)", 5],
    ["sub(2, 3)", -1],
    ["mul(4, 3)", 12],
    ["div(7, 2)", 3],
    ["mod(7, 2)", 1],
    ["greater(3, 2)", true],
    ["greaterOrEquals('b', 'a')", true],
    ["less(2, 3)", true],
    ["lessOrEquals(3, 3)", true],
    ["equals(createArray(1, 'a'), createArray(1, 'a'))", true],
    ["equals('a', 'A')", false],
    ["not(and(true(), or(false(), true())))", false],
    ["if(equals(1, 2), 'a', 'b')", "b"],
    ["int('42')", 42],
    ["bool('True')", true],
    ["json('{\"a\": [1]}').a[0]", 1],
  ])("%s is %j", (expression, expected) => {
    expect(e(expression)).toEqual(expected);
  });

  it("merges nested objects in union(), the later argument winning", () => {
    expect(e('union(json(\'{"a": {"x": 1, "y": 1}, "b": 1}\'), json(\'{"a": {"y": 2}}\'))')).toEqual({
      a: { x: 1, y: 2 },
      b: 1,
    });
  });

  it("builds objects and arrays", () => {
    expect(e("createObject('a', createArray(1, 'two'), 'b', null())")).toEqual({ a: [1, "two"], b: null });
    expect(e("items(createObject('b', 2, 'a', 1))")).toEqual([
      { key: "a", value: 1 },
      { key: "b", value: 2 },
    ]);
  });

  it("refuses arguments of the wrong type and division by zero, in ARM's words", () => {
    expect(() => e("add('1', 2)")).toThrow("Unable to evaluate template language function 'add'");
    expect(() => e("div(1, 0)")).toThrow("division by zero");
    expect(() => e("int('x')")).toThrow("cannot be converted to an integer");
    expect(() => e("not('true')")).toThrow("expected 'Boolean'");
  });
});

describe("scope and resource id functions", () => {
  it("describe the deployment's resource group, subscription and tenant", () => {
    expect(e("resourceGroup().id")).toBe(GROUP_ID);
    expect(e("resourceGroup().location")).toBe("westeurope");
    expect(e("subscription().subscriptionId")).toBe(SUBSCRIPTION);
    expect(e("subscription().tenantId")).toBe(TENANT);
    expect(e("tenant().tenantId")).toBe(TENANT);
    expect(e("environment().name")).toBe("KeylessSandbox");
    expect(e("deployment().name")).toBe("main");
  });

  it("build resource ids at every scope", () => {
    expect(e("resourceId('Microsoft.KeyVault/vaults/secrets', 'kv', 's')")).toBe(
      `${GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv/secrets/s`,
    );
    expect(e("resourceId('other-rg', 'Microsoft.Web/sites', 'app')")).toBe(
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/other-rg/providers/Microsoft.Web/sites/app`,
    );
    expect(e("resourceId('sub', 'rg', 'Microsoft.Web/sites', 'app')")).toBe(
      "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Web/sites/app",
    );
    expect(
      e("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')"),
    ).toBe(
      `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
    );
    expect(e("tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p')")).toBe(
      "/providers/Microsoft.Authorization/policyDefinitions/p",
    );
    expect(
      e(
        "extensionResourceId(resourceId('Microsoft.KeyVault/vaults', 'kv'), 'Microsoft.Authorization/roleAssignments', 'g')",
      ),
    ).toBe(`${GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/g`);
  });

  it("refuses a resource id whose names do not fit its type", () => {
    expect(() => e("resourceId('Microsoft.KeyVault/vaults/secrets', 'kv')")).toThrow(
      "the type 'Microsoft.KeyVault/vaults/secrets' requires '2' resource name argument(s)",
    );
  });

  it("refuses reference() and list*() where no deployed world is at hand", () => {
    expect(() => e("reference('x')")).toThrow("The template function 'reference' is not expected at this location");
    expect(() => e("listKeys('x', '2022-03-01')")).toThrow(
      "The template function 'listKeys' is not expected at this location",
    );
  });
});
