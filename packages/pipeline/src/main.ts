/**
 * `npm run pipeline -- <workflow> [--branch main] [--event push|pull_request|workflow_dispatch]
 * [--environment <name>] [--job <id>]`: runs a workflow file's own steps on this
 * machine, against the sandbox, as GitHub would run them for that push.
 *
 * `npm run pipeline -- variable set NAME --body VALUE` (and `list`, `delete`):
 * the repository's variables the workflow reads as `vars.NAME`, as `gh variable`
 * sets them on GitHub.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { Command, Option } from "commander";
import { gitFacts } from "./repository.ts";
import { runWorkflow } from "./runner.ts";
import { sandboxStateDir } from "@keyless/sandbox/state-dir";
import { REPO_ROOT } from "./sandbox.ts";
import { EVENTS, type EventName } from "./triggers.ts";
import { deleteVariable, readVariables, setVariable, variableProblem } from "./variables.ts";

/** A refusal of the command line: said in one line, exit code 1. */
function refuse(message: string): never {
  process.stderr.write(`pipeline: ${message}\n`);
  process.exit(1);
}

/** The workflow file a name means: a path, or a file of .github/workflows (the only one, when none is named). */
function workflowFile(workspace: string, name: string | undefined): string {
  const dir = join(workspace, ".github", "workflows");
  const files = existsSync(dir) ? readdirSync(dir).filter((file) => /\.ya?ml$/.test(file)) : [];
  if (name === undefined) {
    if (files.length === 1) return join(dir, files[0] ?? "");
    refuse(`name the workflow to run: ${files.join(", ") || "(.github/workflows has none)"}.`);
  }
  const candidates = [
    isAbsolute(name) ? name : resolve(process.env["INIT_CWD"] ?? process.cwd(), name),
    join(dir, name),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) refuse(`no workflow ${name}: .github/workflows has ${files.join(", ") || "none"}.`);
  return found;
}

const program = new Command("pipeline")
  .description(
    "Run a GitHub Actions workflow file's own steps on this machine against the sandbox: actions/checkout, actions/setup-node and azure/login played, every run: step as written.",
  )
  .argument("[workflow]", "the workflow: a file of .github/workflows (deploy.yml), or a path")
  .addOption(new Option("--event <event>", "the event that starts the run").choices(EVENTS).default("push"))
  .option(
    "--branch <branch>",
    "the branch pushed to (a pull request's source branch): the current git branch by default",
  )
  .option("--base <branch>", "a pull request's target branch", "main")
  .option("--environment <name>", "run the jobs in this GitHub environment (their subject names it)")
  .option("--job <ids...>", "run only these jobs (and the jobs they need)")
  .option("--repository <owner/repo>", "the repository: git's origin on github.com by default")
  .option("--actor <login>", "who pushed: the repository's owner by default")
  .option("--var <NAME=VALUE...>", "a repository variable for this run only, over the saved ones")
  .addOption(new Option("--workspace <dir>").hideHelp())
  .showHelpAfterError()
  .action(
    async (
      name: string | undefined,
      options: {
        event: EventName;
        branch?: string;
        base: string;
        environment?: string;
        job?: string[];
        repository?: string;
        actor?: string;
        var?: string[];
        workspace?: string;
      },
    ) => {
      const workspace = resolve(options.workspace ?? REPO_ROOT);
      const git = gitFacts(workspace);
      const repository = options.repository ?? git.repository;
      if (!repository)
        refuse(
          "cannot tell this repository's owner/name (no git remote 'origin' on github.com): pass --repository <owner>/<repo>, your fork's.",
        );
      if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
        refuse(`--repository ${repository}: owner/repo, as on GitHub.`);
      const stateDir = sandboxStateDir(process.env);
      const variables = { ...readVariables(stateDir) };
      for (const pair of options.var ?? []) {
        const equals = pair.indexOf("=");
        const key = equals > 0 ? pair.slice(0, equals) : pair;
        const value = equals > 0 ? pair.slice(equals + 1) : "";
        const problem = equals > 0 ? variableProblem(key, value) : `--var ${pair}: NAME=VALUE`;
        if (problem) refuse(problem);
        variables[key.toUpperCase()] = value;
      }
      const controller = new AbortController();
      let interrupted = false;
      process.on("SIGINT", () => {
        // The first Ctrl-C cancels the run (its post steps still clean up); a second one leaves at once.
        if (interrupted) process.exit(130);
        interrupted = true;
        process.stderr.write("\npipeline: cancelling (the post steps clean up; Ctrl-C again to leave now)\n");
        controller.abort();
      });
      const file = workflowFile(workspace, name);
      // A copy kept elsewhere (a learner's, in workspace/) runs as if it were in .github/workflows, where GitHub reads it.
      const inWorkflows = /^\.github\/workflows\/[^/]+\.ya?ml$/.test(relative(workspace, file).split("\\").join("/"));
      const workflowPath = inWorkflows || !/\.ya?ml$/.test(file) ? undefined : `.github/workflows/${basename(file)}`;
      if (workflowPath)
        process.stdout.write(
          `The rehearsal runs ${relative(workspace, file)} as ${workflowPath}, where GitHub would read it.\n`,
        );
      const result = await runWorkflow({
        workflowFile: file,
        ...(workflowPath ? { workflowPath } : {}),
        workspace,
        stateDir,
        event: options.event,
        branch: options.branch ?? git.branch ?? "main",
        baseBranch: options.base,
        repository,
        sha: git.sha ?? "0".repeat(40),
        actor: options.actor ?? repository.split("/")[0] ?? "octocat",
        variables,
        ...(options.job ? { jobs: options.job } : {}),
        ...(options.environment ? { environment: options.environment } : {}),
        signal: controller.signal,
      });
      process.exitCode = result.conclusion === "success" ? 0 : result.conclusion === "cancelled" ? 130 : 1;
    },
  );

const variable = program
  .command("variable")
  .description("The repository's variables (vars.*), as gh variable sets them on GitHub.");
variable
  .command("set")
  .description("Set a repository variable.")
  .argument("<name>", "its name (upper case: GitHub compares names without case)")
  .requiredOption("-b, --body <value>", "its value")
  .action((name: string, options: { body: string }) => {
    try {
      setVariable(sandboxStateDir(process.env), name, options.body);
    } catch (error) {
      refuse((error as Error).message);
    }
    process.stdout.write(`✓ Set Actions variable ${name.toUpperCase()} for the rehearsal\n`);
  });
variable
  .command("list")
  .description("List the repository's variables.")
  .action(() => {
    for (const [name, value] of Object.entries(readVariables(sandboxStateDir(process.env))))
      process.stdout.write(`${name}\t${value}\n`);
  });
variable
  .command("delete")
  .description("Delete a repository variable.")
  .argument("<name>")
  .action((name: string) => {
    if (!deleteVariable(sandboxStateDir(process.env), name)) refuse(`no variable ${name.toUpperCase()}.`);
    process.stdout.write(`✓ Deleted Actions variable ${name.toUpperCase()}\n`);
  });

await program.parseAsync(process.argv);
