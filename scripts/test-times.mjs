// `npm run test:times`: each package's tests, one package at a time (no turbo, no cache), with the wall
// time they take and the CPU time they use (theirs and every process they start), largest first: where
// `npm test`'s minutes go. Plain JavaScript so that any Node runs it.
//
// CPU time is read from what the kernel counts for a process's waited-for children (Linux's
// /proc/self/stat); elsewhere only wall time is printed, and says so.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this project runs on

/** CPU seconds used by this process's children that have ended, or undefined off Linux. */
function childrenCpuSeconds() {
  if (!existsSync("/proc/self/stat")) return undefined;
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of proc(5) (cutime, cstime) are the 14th and 15th after the name.
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

function packagesWithTests() {
  return ["packages", "steps"].flatMap((group) =>
    readdirSync(group)
      .map((name) => join(group, name))
      .filter((folder) => {
        const manifest = join(folder, "package.json");
        return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).scripts?.test;
      }),
  );
}

function run(folder) {
  return new Promise((resolve) => {
    const child = spawn("npm", ["test", "--silent"], {
      cwd: folder,
      stdio: ["ignore", "ignore", "ignore"],
      shell: process.platform === "win32",
    });
    child.on("close", (code) => resolve(code));
  });
}

/**
 * This machine's speed now, as the suite feels it: the CPU seconds (wall seconds off Linux) that five fresh
 * Node processes take to load step 04's dependencies, the SDKs, the cost of each of the hundred-odd app starts
 * in a run. A shared machine's speed drifts by a quarter within an hour; compare runs only with this beside them.
 */
async function speedReference() {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const load =
    "for (const name of ['@azure/identity', '@azure/keyvault-secrets', '@azure/storage-queue', 'express', 'pino', 'zod']) await import(name);";
  for (let run = 0; run < 5; run++)
    await new Promise((resolve) =>
      spawn(process.execPath, ["--input-type=module", "-e", load], {
        cwd: join("steps", "04-queue"),
        stdio: "ignore",
      }).on("close", resolve),
    );
  const cpuAfter = childrenCpuSeconds();
  return cpuBefore === undefined || cpuAfter === undefined
    ? `${((performance.now() - started) / 1000).toFixed(2)} s wall`
    : `${(cpuAfter - cpuBefore).toFixed(2)} CPU-s`;
}

const only = process.argv.slice(2);
const rows = [];
const speedBefore = await speedReference();
for (const folder of packagesWithTests().filter(
  (folder) => only.length === 0 || only.some((name) => folder.includes(name)),
)) {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const code = await run(folder);
  const wall = (performance.now() - started) / 1000;
  const cpuAfter = childrenCpuSeconds();
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  rows.push({ folder, wall, cpu, code });
  console.error(`${folder}: ${wall.toFixed(1)} s${code === 0 ? "" : ` (exit ${code})`}`);
}
rows.sort((a, b) => b.wall - a.wall);
const total = (key) => rows.reduce((sum, row) => sum + (row[key] ?? 0), 0);
const width = Math.max(...rows.map((row) => row.folder.length), 5);
console.log(`${"package".padEnd(width)}  wall s   CPU s  CPU/wall`);
for (const row of rows) {
  const cpu = row.cpu === undefined ? "     n/a" : row.cpu.toFixed(1).padStart(8);
  const ratio = row.cpu === undefined ? "" : (row.cpu / row.wall).toFixed(2).padStart(9);
  console.log(
    `${row.folder.padEnd(width)} ${row.wall.toFixed(1).padStart(7)} ${cpu}${ratio}${row.code === 0 ? "" : "  failed"}`,
  );
}
console.log(
  `${"total".padEnd(width)} ${total("wall").toFixed(1).padStart(7)} ${childrenCpuSeconds() === undefined ? "     n/a (CPU time is read on Linux only)" : total("cpu").toFixed(1).padStart(8)}`,
);
console.log(
  "One package at a time: npm test runs three at once (turbo --concurrency=3), so its wall time is less than the total.",
);
console.log(
  `This machine's speed, before and after: five processes loading step 04's dependencies took ${speedBefore}, then ${await speedReference()} (3.5 CPU-s on an idle 2-core machine when this was written; more means a slower machine, and every figure above grows with it).`,
);
