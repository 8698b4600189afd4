/**
 * The `az` command tree a command line gets: only the command groups it names are loaded (each provider's
 * commands load its own modules), and what a learner sees does not depend on it: a group's help and usage
 * errors are the same loaded alone as beside every other group, and `az --help` lists every group. In this
 * process (the tree, no request); az.test.ts runs the same help and usage errors as a process.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, type Help } from "commander";
import { describe, expect, it } from "vitest";
import { azProgram, commandGroup } from "../src/az/program.ts";
import type { Run } from "../src/az/shell.ts";
import { PROVIDERS } from "../src/registry.ts";
import { az } from "./helpers.ts";

const nothing: Run = async () => undefined;

/** Everything commander would print for a command and each command under it: their help texts, in order. */
function helpTree(command: Command): string[] {
  return [command.helpInformation(), ...command.commands.flatMap(helpTree)];
}

const names = (command: Command) => command.commands.map((group) => group.name());

describe("az's command groups, loaded as a command line needs them", () => {
  it("each provider declares exactly the top-level groups its az registers", async () => {
    for (const provider of PROVIDERS) {
      const root = new Command("az");
      if (provider.az) (await provider.az()).register(root, nothing);
      expect([provider.name, names(root)]).toEqual([provider.name, provider.azGroups ?? []]);
    }
  });

  it("reads the group from the first word that is neither an option nor an option's value", () => {
    expect(commandGroup(["keyvault", "secret", "show", "--name", "x"])).toBe("keyvault");
    expect(commandGroup(["-o", "tsv", "--query", "id", "role", "assignment", "list"])).toBe("role");
    expect(commandGroup(["--output=tsv", "--debug", "identity", "show"])).toBe("identity");
    expect(commandGroup(["--help"])).toBeUndefined();
    expect(commandGroup([])).toBeUndefined();
    expect(commandGroup(["--", "keyvault"])).toBeUndefined();
  });

  it("loads only the providers whose group a command names; every group when it names none of theirs", async () => {
    const every = [...PROVIDERS.flatMap((provider) => provider.azGroups ?? []), "sandbox"];
    expect(names(await azProgram(["-o", "tsv", "keyvault", "secret", "show"], nothing))).toEqual(["keyvault"]);
    expect(names(await azProgram(["login", "--service-principal"], nothing))).toEqual([
      "account",
      "login",
      "logout",
      "ad",
    ]);
    for (const args of [[], ["--help"], ["sandbox", "app-env"], ["storage-sync"], ["--", "keyvault"]])
      expect([args, names(await azProgram(args, nothing))]).toEqual([args, every]);
  });

  it("prints each group's help, down to every command's options, the same loaded alone as beside every group", async () => {
    const full = await azProgram([], nothing);
    const help: Help = full.createHelp();
    expect(help.visibleCommands(full).length).toBeGreaterThan(1);
    for (const group of full.commands) {
      const alone = (await azProgram([group.name()], nothing)).commands.find((c) => c.name() === group.name());
      expect(alone && helpTree(alone)).toEqual(helpTree(group));
    }
  });

  it("az --help, as a process, still lists every group", async () => {
    const result = await az(join(tmpdir(), "keyless-no-sandbox"), "--help");
    expect(result.code).toBe(0);
    const commands = result.stdout.split("Commands:\n")[1] ?? "";
    const listed = [...commands.matchAll(/^ {2}([a-z-]+) /gm)].map((match) => match[1]);
    expect(listed).toEqual(names(await azProgram([], nothing)));
  });
});
