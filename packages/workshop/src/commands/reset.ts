/** `npm run reset`: puts the running sandbox back to its seed (secrets, role assignments, keys, queues). */
import { Command } from "commander";
import { reachRunningWorkshop } from "../running/control.ts";
import { ok } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";

const program = new Command("npm run reset --")
  .description(
    "Put the running sandbox back to its seed: secrets, role assignments, third-party keys and Queue Storage (the seed's queues, empty), as `npm start` provisioned them.",
  )
  .action(async () => {
    await (await reachRunningWorkshop()).reset();
    console.log(
      ok(
        "The sandbox is back to its seed (packages/sandbox/seed.json). Running steps keep their key in memory: restart them to re-read it.",
      ),
    );
  });

await runCommand(program);
