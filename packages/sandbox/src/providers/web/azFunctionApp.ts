/**
 * `az functionapp function keys list|set|delete`: the third party's function
 * keys, for the key-rotation lesson. On Azure the third party would run these
 * on their Function App; here the sandbox plays the third party too.
 */
import type { Command } from "commander";
import type { Run } from "../../az/shell.ts";

const FUNCTION_APP = "keyless-third-party";
const FUNCTION = "RandomNumber";

export function registerFunctionApp(az: Command, run: Run): void {
  const keys = az
    .command("functionapp")
    .description("Manage function apps.")
    .command("function")
    .description("Manage function app functions.")
    .command("keys")
    .description("Manage function keys.");

  const target = (command: Command) =>
    command
      .requiredOption("-n, --name <name>", `name of the function app (${FUNCTION_APP})`)
      .requiredOption("-g, --resource-group <group>", "name of the resource group")
      .requiredOption("--function-name <name>", `name of the function (${FUNCTION})`);
  const check = (options: { name: string; functionName: string }) => {
    if (options.name !== FUNCTION_APP)
      throw Object.assign(
        new Error(`The Resource 'Microsoft.Web/sites/${options.name}' under resource group was not found.`),
        { code: "ResourceNotFound" },
      );
    if (options.functionName !== FUNCTION)
      throw Object.assign(new Error(`Function ${options.functionName} not found in ${FUNCTION_APP}.`), {
        code: "NotFound",
      });
  };

  target(keys.command("list").description("List all function keys.")).action(
    (options: { name: string; functionName: string }) =>
      run(async (connection) => {
        check(options);
        return connection.admin("GET", "/function-keys");
      }),
  );

  target(keys.command("set").description("Create or update a function key."))
    .requiredOption("--key-name <name>", "name of the key")
    .option("--key-value <value>", "value of the key (generated when omitted)")
    .action((options: { name: string; functionName: string; keyName: string; keyValue?: string }) =>
      run(async (connection) => {
        check(options);
        const value = options.keyValue ?? Buffer.from(crypto.getRandomValues(new Uint8Array(40))).toString("base64");
        const saved = await connection.admin<{ name: string; value: string }>(
          "PUT",
          `/function-keys/${encodeURIComponent(options.keyName)}`,
          { value },
        );
        return { name: saved.name, value: saved.value };
      }),
    );

  target(keys.command("delete").description("Delete a function key."))
    .requiredOption("--key-name <name>", "name of the key")
    .action((options: { name: string; functionName: string; keyName: string }) =>
      run(async (connection) => {
        check(options);
        await connection.admin("DELETE", `/function-keys/${encodeURIComponent(options.keyName)}`);
        return undefined;
      }),
    );
}
