/** The process table as each system writes it, and as this one reads it now. */
import { describe, expect, it } from "vitest";
import {
  parentOf,
  parseProcEntry,
  parsePsTable,
  parseWindowsTable,
  processTree,
  readProcesses,
  treeOf,
  type ProcessInfo,
} from "../src/index.ts";

describe("parsing what each system says", () => {
  it("Linux's /proc: a command name with spaces and parentheses, clock ticks, VmRSS in kB", () => {
    const stat = `4242 (node (my app)) S 4200 4242 4200 0 -1 4194560 0 0 0 0 150 25 0 0 20 0 11 0 9000 1000 2000`;
    const status = "Name:\tnode\nVmRSS:\t   51200 kB\n";
    expect(parseProcEntry(4242, stat, status, "node\0src/server.ts\0")).toEqual({
      pid: 4242,
      ppid: 4200,
      rssBytes: 51200 * 1024,
      cpuMs: 1750,
      command: "node src/server.ts",
    });
  });

  it("ps, as macOS writes CPU time (hundredths) and as Linux's procps does (days and hours)", () => {
    const table = parsePsTable(
      [
        "  501     1  51200   0:01.50 /usr/local/bin/node src/server.ts --port 3001",
        "  502   501   1024 1-02:03:04 azurite-queue",
        "",
      ].join("\n"),
    );
    expect(table).toEqual([
      {
        pid: 501,
        ppid: 1,
        rssBytes: 51200 * 1024,
        cpuMs: 1500,
        command: "/usr/local/bin/node src/server.ts --port 3001",
      },
      { pid: 502, ppid: 501, rssBytes: 1024 * 1024, cpuMs: (26 * 3600 + 3 * 60 + 4) * 1000, command: "azurite-queue" },
    ]);
  });

  it("PowerShell's JSON on Windows: 100 ns ticks, the working set in bytes, one process as an object", () => {
    const one = {
      ProcessId: 8,
      ParentProcessId: 4,
      WorkingSetSize: 2048,
      UserModeTime: 10_000_000,
      KernelModeTime: 5_000_000,
      CommandLine: '"C:\\Program Files\\nodejs\\node.exe" src\\server.ts',
    };
    const expected = {
      pid: 8,
      ppid: 4,
      rssBytes: 2048,
      cpuMs: 1500,
      command: '"C:\\Program Files\\nodejs\\node.exe" src\\server.ts',
    };
    expect(parseWindowsTable(JSON.stringify(one))).toEqual([expected]);
    expect(parseWindowsTable(JSON.stringify([one, { ProcessId: 0, ParentProcessId: 0, CommandLine: null }]))).toEqual([
      expected,
      { pid: 0, ppid: 0, rssBytes: undefined, cpuMs: undefined, command: "" },
    ]);
    expect(parseWindowsTable("")).toEqual([]);
  });

  it("a tree, root first, each process once, even where a reused pid makes a loop", () => {
    const proc = (pid: number, ppid: number): ProcessInfo => ({ pid, ppid, rssBytes: 1, cpuMs: 0, command: "" });
    const table = [proc(1, 0), proc(2, 1), proc(3, 2), proc(4, 1), proc(9, 8), proc(0, 3)];
    expect(treeOf(table, 2).map((info) => info.pid)).toEqual([2, 3, 0, 1, 4]);
    expect(treeOf(table, 7)).toEqual([]);
  });
});

describe("this system, now", () => {
  it("knows this process: its parent, memory and CPU time", async () => {
    const [self] = await readProcesses([process.pid]);
    expect(self).toMatchObject({ pid: process.pid, ppid: process.ppid });
    expect(self?.rssBytes).toBeGreaterThan(0);
    expect(self?.cpuMs).toBeGreaterThanOrEqual(0);
    expect(await parentOf(process.pid)).toBe(process.ppid);
    expect((await processTree(process.ppid)).map((info) => info.pid)).toContain(process.pid);
  });

  it.skipIf(process.platform === "win32")("reads the same through ps as macOS does", async () => {
    const [self] = await readProcesses([process.pid], "darwin");
    expect(self).toMatchObject({ pid: process.pid, ppid: process.ppid });
    expect(self?.rssBytes).toBeGreaterThan(0);
  });

  it("has nothing to say of a process that is gone", async () => {
    expect(await readProcesses([2 ** 22 + 17])).toEqual([]);
    expect(await parentOf(2 ** 22 + 17)).toBeUndefined();
  });
});
