/**
 * The sandbox's `az`, run in this process, for the tests that want its answer: the same exit code and
 * words as `node packages/sandbox/src/az/main.ts …` gives, without a Node process per command (a third of
 * a CPU-second each, mostly loading modules). The sandbox's own tests prove both answer the same
 * (packages/sandbox/test/azProcess.test.ts); tests whose point is the process (npm's echo) still start one.
 */
import { azAnswer } from "@keyless/sandbox/az";

export interface AzAnswer {
  readonly code: number;
  /** What az printed: its stdout, then its stderr, as these tests collect a child's. */
  readonly output: string;
}

/** `az <args>` with this environment, reading relative file arguments from `cwd`, without a terminal. */
export async function azInProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<AzAnswer> {
  const { code, stdout, stderr } = await azAnswer(args, { env, cwd });
  return { code, output: stdout + stderr };
}
