/**
 * What a played action is: the repository it stands for, the major versions
 * played, its inputs with their defaults (its action.yml's), and what its
 * main (and post) step does, through what `@actions/core` and
 * `@actions/exec` give a real action: its inputs, the step's environment,
 * a log that masks, programs on the job's PATH, and the job's PATH itself.
 */
import type { RunLog } from "../log.ts";

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ActionContext {
  /** Every input: those the step gave (`with:`), the others at their defaults. */
  readonly inputs: Readonly<Record<string, string>>;
  /** The step's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly log: RunLog;
  readonly workspace: string;
  /** The full path of a program on the job's PATH (`io.which`), or undefined. */
  which(program: string): string | undefined;
  /** Runs a program with the step's environment (`exec.exec`); `silent` keeps its output out of the log. */
  exec(file: string, args: readonly string[], options?: { readonly silent?: boolean }): Promise<ExecResult>;
  /** Puts a folder first on PATH for this step and the later ones (`core.addPath`). */
  addPath(dir: string): void;
  /** The job's own folders: where its tools live. */
  readonly toolsDir: string;
}

export interface PlayedAction {
  /** `owner/repo`, lower case. */
  readonly repository: string;
  /** The major versions played: `v4`. */
  readonly majors: readonly string[];
  /** Every input the action has, with its default ('' for none). */
  readonly inputs: Readonly<Record<string, string>>;
  /** Its main step: true when it succeeded (it has written why not otherwise). */
  main(context: ActionContext): Promise<boolean>;
  /** Its post step, at the job's end, when the main step ran. */
  post?(context: ActionContext): Promise<void>;
}
