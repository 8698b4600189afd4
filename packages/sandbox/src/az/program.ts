/**
 * The `az` command tree for one command line. Each provider's command groups load its own modules (some an
 * SDK), so a command loads only the providers whose group it names: `az keyvault secret show` the vault's
 * alone. A line that names no provider's group (`az`, `az --help`, `az sandbox …`, a typo) gets every group,
 * so that az's help and its usage errors list them all.
 */
import { Command } from "commander";
import { PROVIDERS } from "../registry.ts";
import type { Run } from "./shell.ts";

/** az's own options that take a value, which may come before the group: `az -o tsv keyvault …`. */
const TAKES_VALUE = new Set(["-o", "--output", "--query"]);

/** The group a command line names: its first word that is neither an option nor an option's value. */
export function commandGroup(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? "";
    // After `--` every word is an operand: leave that reading to commander, with every group loaded.
    if (arg === "--") return undefined;
    if (TAKES_VALUE.has(arg)) index++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/** The root command, with its options and the command groups `args` needs (every group when unsure). */
export async function azProgram(args: readonly string[], run: Run): Promise<Command> {
  const az = new Command("az")
    .description(
      "Azure CLI, for the keyless sandbox: the commands the workshop uses, with Azure CLI syntax and output.",
    )
    .option("-o, --output <format>", "output format: json, jsonc, tsv, table, none", "json")
    .option("--query <path>", "a JMESPath-like path into the result, e.g. id, [0].principalId, [].name")
    .option("--only-show-errors", "only show errors, suppressing warnings")
    .option("--debug", "show the full error")
    .helpCommand(false);
  const group = commandGroup(args);
  const owners = PROVIDERS.filter((provider) => group !== undefined && provider.azGroups?.includes(group));
  // Each resource provider brings its command groups (providers/<name>/az.ts); the sandbox's own last.
  for (const provider of owners.length > 0 ? owners : PROVIDERS)
    if (provider.az) (await provider.az()).register(az, run);
  if (owners.length === 0) (await import("./sandboxCommands.ts")).registerSandbox(az, run);
  return az;
}
