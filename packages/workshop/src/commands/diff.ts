/**
 * `npm run diff -- 02 03`: what a lesson changes in the app's source, as a
 * coloured unified diff with a summary of the files first.
 * `npm run diff -- --update-docs`: the same diffs, written into the lessons.
 */
import { join } from "node:path";
import { Command } from "commander";
import { colorizeDiff, diffSources, summarizeDiff } from "../lessons/diff.ts";
import { updateLessons } from "../lessons/lessonBlocks.ts";
import { REPO_ROOT } from "../layout/repo.ts";
import { findStep, stepFolders } from "../layout/stepFolders.ts";
import { UsageError } from "../terminal/usageError.ts";
import { bold, dim, green, red } from "../terminal/ui.ts";
import { runCommand } from "../terminal/runCommand.ts";

const steps = stepFolders().map((folder) => folder.step);

const program = new Command("npm run diff --")
  .description("Show what changes in the app's source (src/) from one step to another: the lesson.")
  .usage("[options] <from> [to]")
  .argument("[from]", `the earlier step (${steps.join(", ")})`)
  .argument("[to]", "the later step; the one after <from> when omitted")
  .option("--stat", "list the changed files only")
  .option("--update-docs", "write the current diffs (and files) into the lessons' generated blocks, docs/*.md")
  .addHelpText(
    "after",
    "\nExamples:\n  npm run diff -- 02 03          what managed identity changes\n  npm run diff -- 01             step 01 to step 02\n  npm run diff -- --update-docs  after changing a step: the lessons show the new code\n",
  )
  .showHelpAfterError()
  .action(
    async (
      fromText: string | undefined,
      toText: string | undefined,
      options: { stat?: boolean; updateDocs?: boolean },
    ) => {
      if (options.updateDocs) {
        if (fromText !== undefined) throw new UsageError("--update-docs takes no steps: it updates every lesson.");
        const changed = await updateLessons(join(REPO_ROOT, "docs"), stepFolders());
        console.log(
          changed.length === 0
            ? "The lessons' diffs are up to date."
            : `Updated ${changed.map((name) => `docs/${name}`).join(", ")}.`,
        );
        return;
      }
      if (fromText === undefined)
        throw new UsageError("Name a step: npm run diff -- 02 03, or npm run diff -- 01 for step 01 to step 02.");
      const from = findStep(fromText);
      const to = toText === undefined ? nextStep(from.step) : findStep(toText);
      const patch = await diffSources(join(from.dir, "src"), join(to.dir, "src"));
      const changes = summarizeDiff(patch);
      console.log(
        bold(
          `steps/${from.name}/src → steps/${to.name}/src: ${changes.length} file${changes.length === 1 ? "" : "s"} changed`,
        ),
      );
      const width = Math.max(0, ...changes.map((change) => change.file.length));
      for (const change of changes) {
        console.log(
          `  ${change.status.padEnd(7)} ${change.file.padEnd(width)}  ${green(`+${change.added}`)} ${red(`-${change.removed}`)}`,
        );
      }
      if (changes.length === 0) console.log(dim("  The two steps have the same source."));
      if (!options.stat && patch) console.log(`\n${colorizeDiff(patch)}`);
    },
  );

function nextStep(step: string) {
  const folders = stepFolders();
  const next = folders[folders.findIndex((folder) => folder.step === step) + 1];
  if (!next) throw new UsageError(`Step ${step} is the last step: name two steps, e.g. npm run diff -- 01 ${step}.`);
  return next;
}

await runCommand(program);
