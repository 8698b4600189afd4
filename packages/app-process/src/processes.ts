/** What the workshop asks about running processes, on any system (platform.ts reads them). */
import { readProcesses } from "./platform.ts";
import { treeOf, type ProcessInfo } from "./processTable.ts";

/** A process's parent now, or undefined when it is gone. */
export async function parentOf(pid: number): Promise<number | undefined> {
  const [info] = await readProcesses([pid]);
  return info?.ppid;
}

/** A process and every process under it now, the root first; empty when it is gone. */
export async function processTree(root: number): Promise<ProcessInfo[]> {
  return treeOf(await readProcesses(), root);
}
