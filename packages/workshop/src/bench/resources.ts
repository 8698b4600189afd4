/**
 * Memory and CPU time of the processes the benchmark starts, as the system
 * reports them (readProcesses in @keyless/app-process: /proc on Linux, `ps` on
 * macOS, PowerShell on Windows). Where it says nothing, the tables say "n/a".
 */
import { processTree, readProcesses } from "@keyless/app-process";

const MB = 1024 * 1024;

/** Resident memory of one process, in MB. */
export async function rssMb(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  const [info] = await readProcesses([pid]);
  return info?.rssBytes === undefined ? undefined : info.rssBytes / MB;
}

/** CPU time a process has used so far (user and system), in ms. */
export async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  const [info] = await readProcesses([pid]);
  return info?.cpuMs;
}

/** Resident memory of a process and all its descendants, in MB, and how many processes that is. */
export async function treeRss(pid: number | undefined): Promise<{ mb: number; processes: number } | undefined> {
  if (!pid) return undefined;
  const tree = (await processTree(pid)).filter((info) => info.rssBytes !== undefined);
  if (tree.length === 0) return undefined;
  return { mb: tree.reduce((sum, info) => sum + (info.rssBytes ?? 0), 0) / MB, processes: tree.length };
}
