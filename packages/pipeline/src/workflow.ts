/**
 * A workflow file, read with the `yaml` package and checked with zod against
 * GitHub's workflow syntax, as far as the rehearsal plays it: each refusal
 * names the key, where it is, and why. Keys GitHub knows but the rehearsal
 * cannot play (a matrix, service containers, a job container, reusable
 * workflows) are read, and refused by the runner when a job that has them
 * would run.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";

/** A workflow the rehearsal cannot read: the file, where in it, and why. */
export class WorkflowError extends Error {
  override name = "WorkflowError";
}

/** Values in `env:` and `with:` are text once read: numbers and booleans as GitHub writes them. */
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));
const variables = z.record(z.string(), scalar);
const permissionLevel = z.enum(["read", "write", "none"]);
const permissions = z.union([z.enum(["read-all", "write-all"]), z.record(z.string(), permissionLevel)]);
const expressionOr = <T extends z.ZodType>(schema: T) => z.union([schema, z.string().regex(/^\$\{\{[\s\S]*\}\}$/)]);

const step = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "a step id starts with a letter or _, then letters, digits, - or _")
      .optional(),
    name: z.string().optional(),
    if: z.union([z.string(), z.boolean()]).optional(),
    uses: z.string().optional(),
    with: variables.optional(),
    run: z.string().optional(),
    shell: z.string().optional(),
    env: variables.optional(),
    "working-directory": z.string().optional(),
    "continue-on-error": expressionOr(z.boolean()).optional(),
    "timeout-minutes": expressionOr(z.number().positive()).optional(),
  })
  .refine((value) => (value.uses === undefined) !== (value.run === undefined), {
    message: "a step has either `uses` or `run`, not both and not neither",
  });
export type Step = z.output<typeof step>;

const defaults = z.strictObject({
  run: z.strictObject({ shell: z.string().optional(), "working-directory": z.string().optional() }).optional(),
});

const job = z.strictObject({
  name: z.string().optional(),
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  if: z.union([z.string(), z.boolean()]).optional(),
  "runs-on": z.unknown().optional(),
  permissions: permissions.optional(),
  environment: z.union([z.string(), z.strictObject({ name: z.string(), url: z.string().optional() })]).optional(),
  env: variables.optional(),
  defaults: defaults.optional(),
  steps: z.array(step).min(1).optional(),
  outputs: z.record(z.string(), z.string()).optional(),
  "timeout-minutes": expressionOr(z.number().positive()).optional(),
  "continue-on-error": expressionOr(z.boolean()).optional(),
  concurrency: z.unknown().optional(),
  // Read so that a job that has them is refused by name (the runner says why).
  strategy: z.unknown().optional(),
  services: z.unknown().optional(),
  container: z.unknown().optional(),
  uses: z.string().optional(),
  with: z.unknown().optional(),
  secrets: z.unknown().optional(),
});
export type Job = z.output<typeof job>;

const workflow = z.strictObject({
  name: z.string().optional(),
  "run-name": z.string().optional(),
  on: z.union([z.string(), z.array(z.string()), z.record(z.string(), z.unknown())]),
  permissions: permissions.optional(),
  env: variables.optional(),
  defaults: defaults.optional(),
  concurrency: z.unknown().optional(),
  jobs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "a job id starts with a letter or _"), job),
});
export type Workflow = z.output<typeof workflow>;

/** Where an issue is, as a reader of the file finds it: `jobs.deploy.steps[2].uses`. */
const where = (path: readonly PropertyKey[]) =>
  path.reduce<string>(
    (text, key) => (typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`),
    "",
  ) || "(the file)";

/** Reads and checks a workflow's text; `file` names it in refusals. */
export function parseWorkflow(text: string, file: string): Workflow {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const problem = document.errors[0];
  if (problem) throw new WorkflowError(`${file}: the YAML does not parse: ${problem.message}`);
  const parsed = workflow.safeParse(document.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
    throw new WorkflowError(`${file}: ${where(issue?.path ?? [])}${key}: ${issue?.message ?? "not a workflow"}`);
  }
  return parsed.data;
}

export function loadWorkflow(path: string, file = path): Workflow {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new WorkflowError(`${file}: no such workflow file.`);
  }
  return parseWorkflow(text, file);
}

/** A step's name as GitHub's log shows it: its name, else `Run <uses>` or `Run <first line of run>`. */
export function stepTitle(value: Step): string {
  if (value.name) return value.name;
  if (value.uses) return `Run ${value.uses}`;
  return `Run ${(value.run ?? "").trim().split("\n")[0] ?? ""}`;
}

/** Whether a job may ask GitHub for its OIDC token: `id-token: write`, or write-all (the default never grants it). */
export function grantsIdToken(permissions: Workflow["permissions"]): boolean {
  if (permissions === undefined) return false;
  if (typeof permissions === "string") return permissions === "write-all";
  return permissions["id-token"] === "write";
}
